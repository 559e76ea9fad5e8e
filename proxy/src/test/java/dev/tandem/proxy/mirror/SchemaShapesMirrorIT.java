package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.util.PGobject;

/**
 * The schema shapes time-series applications have, written through the proxy with typed drivers: enums, domains over
 * int, text and timestamptz with CHECKs, composites (one with an enum field), arrays of enums and of composites,
 * ranges and multiranges of built-in and user-defined subtypes, citext and hstore; identity columns (ALWAYS, BY
 * DEFAULT, OVERRIDING SYSTEM VALUE), serial, stored and (PostgreSQL 18) virtual generated columns and defaults; a partitioned table with a
 * sub-partitioned partition and DEFAULT partitions, written by its name and by each partition's (only it is in the
 * include patterns); a view with an INSTEAD OF INSERT trigger (its table is not mirrored: the target's trigger fills
 * it); tables with INSERT rules (DO ALSO, conditional DO INSTEAD into an inheritance child);
 * quoted mixed-case and unicode names in a schema whose name needs quoting; and the edge values of each column type
 * (where the source or the target is before PostgreSQL 14, which has neither multiranges nor numeric infinities: arrays
 * of ranges and NaN instead, the shapes both releases hold).
 * The types are created on the target in another order, with other types before them, so their OIDs differ from the
 * source's; {@code source.user} is set, so the mirror maps parameter type OIDs by name
 * ({@link SchemaShapesWithoutSourceUserIT} runs the same scenarios without it). The database has a dual-write
 * mark and time columns, so the mirror counts late rows while it replays. After each scenario every table of the
 * source and of the target must be identical, with nothing in the divergence ledger. asyncpg and psycopg 3 run
 * {@code src/test/python/schema_shapes.py} (Debian's packages, which {@code .ci/run} installs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SchemaShapesMirrorIT {

    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Path.of("src/test/python/schema_shapes.py");

    private static final String SOURCE_TYPES = """
            CREATE EXTENSION IF NOT EXISTS citext; CREATE EXTENSION IF NOT EXISTS hstore;
            CREATE SCHEMA shapes;
            CREATE TYPE shapes.mood AS ENUM ('sad', 'ok', 'happy');
            CREATE DOMAIN shapes.pos_int AS int CHECK (VALUE > 0);
            CREATE DOMAIN shapes.short_text AS text CHECK (length(VALUE) < 100);
            CREATE DOMAIN shapes.recent AS timestamptz CHECK (VALUE > '2000-01-01');
            CREATE TYPE shapes.point3 AS (x float8, y float8, z float8);
            CREATE TYPE shapes.tagged AS (m shapes.mood, note text);
            CREATE TYPE shapes.floatrange AS RANGE (subtype = float8);
            """;
    /** The same types in another order, after others: none has the source's OID. */
    private static final String TARGET_TYPES = """
            CREATE SCHEMA shapes;
            CREATE TYPE public.unused_enum AS ENUM ('a'); CREATE TYPE public.unused_composite AS (a int);
            CREATE TYPE shapes.floatrange AS RANGE (subtype = float8);
            CREATE TYPE shapes.point3 AS (x float8, y float8, z float8);
            CREATE TYPE shapes.mood AS ENUM ('sad', 'ok', 'happy');
            CREATE TYPE shapes.tagged AS (m shapes.mood, note text);
            CREATE DOMAIN shapes.recent AS timestamptz CHECK (VALUE > '2000-01-01');
            CREATE DOMAIN shapes.short_text AS text CHECK (length(VALUE) < 100);
            CREATE DOMAIN shapes.pos_int AS int CHECK (VALUE > 0);
            CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS citext;
            """;
    private static final String TABLES = """
            CREATE TABLE shapes.typed (id int PRIMARY KEY, m shapes.mood, ms shapes.mood[], p shapes.pos_int,
              st shapes.short_text, r shapes.recent, pt shapes.point3, pts shapes.point3[], tg shapes.tagged,
              tgs shapes.tagged[], tr tstzrange, tmr tstzmultirange, fr shapes.floatrange, ci citext, hs hstore);
            CREATE TABLE shapes.ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              b int GENERATED BY DEFAULT AS IDENTITY, s serial, g int GENERATED ALWAYS AS (b * 2) STORED,
              d text DEFAULT 'dflt', v int);
            CREATE TABLE shapes.events (t timestamptz NOT NULL, device int NOT NULL, v float8) PARTITION BY RANGE (t);
            CREATE TABLE shapes.events_2026_01 PARTITION OF shapes.events
              FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
            CREATE TABLE shapes.events_2026_02 PARTITION OF shapes.events
              FOR VALUES FROM ('2026-02-01') TO ('2026-03-01') PARTITION BY LIST (device);
            CREATE TABLE shapes.events_2026_02_a PARTITION OF shapes.events_2026_02 FOR VALUES IN (1, 2);
            CREATE TABLE shapes.events_2026_02_rest PARTITION OF shapes.events_2026_02 DEFAULT;
            CREATE TABLE shapes.events_default PARTITION OF shapes.events DEFAULT;
            CREATE TABLE shapes.store (id int PRIMARY KEY, v text);
            CREATE VIEW shapes.store_view AS SELECT id, v FROM shapes.store;
            CREATE FUNCTION shapes.store_view_insert() RETURNS trigger LANGUAGE plpgsql
              AS $$ BEGIN INSERT INTO shapes.store VALUES (NEW.id, upper(NEW.v)); RETURN NEW; END $$;
            CREATE TRIGGER store_view_insert INSTEAD OF INSERT ON shapes.store_view FOR EACH ROW
              EXECUTE FUNCTION shapes.store_view_insert();
            CREATE SCHEMA "Odd Schema";
            CREATE TABLE "Odd Schema"."Mixed Case" ("Id" int PRIMARY KEY, "Col A" text, "ünï cödé" text,
              "select" int);
            CREATE TABLE shapes."Ünïcode tåble" (id int PRIMARY KEY, "Wert" text);
            CREATE TABLE shapes.edge (id int PRIMARY KEY, tz timestamptz, ts timestamp, d date, n numeric, f float8,
              r real, t text, a int[], ta text[], b bytea, j jsonb, i interval, u uuid);
            CREATE TABLE shapes.audit (t timestamptz, what text);
            CREATE TABLE shapes.ruled (t timestamptz NOT NULL, v int);
            CREATE RULE ruled_audit AS ON INSERT TO shapes.ruled
              DO ALSO INSERT INTO shapes.audit VALUES (NEW.t, 'ruled ' || NEW.v);
            CREATE TABLE shapes.routed (t timestamptz NOT NULL, v int);
            CREATE TABLE shapes.routed_old (CHECK (t < '2026-01-01')) INHERITS (shapes.routed);
            CREATE RULE routed_old AS ON INSERT TO shapes.routed WHERE NEW.t < '2026-01-01'
              DO INSTEAD INSERT INTO shapes.routed_old VALUES (NEW.*);
            """;

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    RunningMirrorProxy mirror;

    /** Whether the proxy has {@code source.user}, to map type OIDs by name. */
    boolean sourceUser() {
        return true;
    }

    /** The older release of the pair: the scenarios write only what both hold. */
    private static int oldestRelease() {
        return Math.min(PG.source().majorVersion(), PG.target().majorVersion());
    }

    @BeforeAll
    void start(@TempDir Path spool) throws Exception {
        String db = PG.pair().freshDatabase("schema_shapes");
        // multiranges came with PostgreSQL 14: before, on either side, the column is an array of ranges, which the
        // drivers write from the same list of ranges
        String tables = oldestRelease() >= 14 ? TABLES : TABLES.replace("tstzmultirange", "tstzrange[]");
        PG.source().execute(db, SOURCE_TYPES + tables);
        PG.target().execute(db, TARGET_TYPES + tables);
        // PostgreSQL 18's generated columns are virtual unless the table says STORED: computed when read, never written
        for (PgServer server : List.of(PG.source(), PG.target())) {
            server.execute(db, "ALTER TABLE shapes.ident ADD COLUMN gv int GENERATED ALWAYS AS (b * 3) "
                    + (server.majorVersion() >= 18 ? "VIRTUAL" : "STORED"));
        }
        // the operator's dual-write mark, there before the mirror's first transaction: late rows are counted at once
        PG.target().execute(db, TandemSchema.ddl() + "; INSERT INTO tandem.dual_write (database, marked_at, marked_by)"
                + " VALUES ('" + db + "', '2026-06-01 00:00:00+00', 'test')");
        // the partitioned table alone (its partitions are mirrored through it), the view and not its table, the tables
        // with rules and not the tables their rules write
        List<String> args = new ArrayList<>(List.of("--mirror-table", "shapes.typed", "--mirror-table", "shapes.ident",
                "--mirror-table", "shapes.events", "--mirror-table", "shapes.store_view", "--mirror-table",
                "shapes.\"Ünïcode tåble\"", "--mirror-table", "shapes.edge", "--mirror-table", "shapes.ruled",
                "--mirror-table", "shapes.routed", "--mirror-table", "\"Odd Schema\".*",
                "--set", "verifier.time-columns.shapes.events=t", "--set", "verifier.time-columns.shapes.edge=tz",
                "--set", "verifier.time-columns.shapes.ruled=t", "--set", "verifier.time-columns.shapes.routed=t"));
        if (sourceUser()) {
            args.addAll(List.of("--set", "source.user=" + PG.source().user()));
        }
        mirror = RunningMirrorProxy.start(PG.pair(), db, spool, args.toArray(String[]::new));
    }

    @AfterAll
    void stop() {
        if (mirror != null) {
            mirror.close();
        }
    }

    @BeforeEach
    void empty() throws Exception {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        String truncate = "TRUNCATE " + String.join(", ", tables()) + " RESTART IDENTITY";
        PG.pair().executeOnBoth(mirror.database, truncate);
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence");
    }

    @ParameterizedTest
    @ValueSource(strings = {"asyncpg", "psycopg3"})
    void whatTheTypedDriverWroteInBinaryIsOnTheTarget(String driver) throws Exception {
        String module = driver.equals("psycopg3") ? "psycopg" : driver;
        assumeTrue(importable(module), PYTHON + " cannot import " + module
                + " (.ci/run installs python3-psycopg and python3-asyncpg)");
        String committed = run(driver);
        // what the scenario says it committed is on the source, so the comparison compares something
        assertThat(committed).contains("\"typed\": " + count("shapes.typed"))
                .contains("\"edge\": " + count("shapes.edge"));
        boolean typesMapped = sourceUser() || !driver.equals("psycopg3");
        boolean elementTypesCompared = targetComparesElementTypes();
        if (typesMapped && !elementTypesCompared) {
            assertIdenticalWithoutDivergence();
            return;
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        List<List<String>> ledgered = new ArrayList<>();
        if (!typesMapped) {
            // psycopg 3 declares the source's OIDs of the enum and composite types it registered: without source.user
            // they cannot be mapped, and those transactions are ledgered, saying which parameter and what to do
            ledgered.add(List.of("typed", "-", "parameter 2 is sent in binary with the user-defined type OID n, which"
                    + " is another type's or none on the target: set source.user for the mirror to map it by the"
                    + " type's name"));
        }
        if (elementTypesCompared) {
            // the binary arrays of enums and of composites (asyncpg's parameters and COPY, psycopg 3's COPY) hold the
            // source's OIDs of their elements' types, which this target refuses (README: ledgered, not altered)
            ledgered.add(List.of("typed", "42804", "wrong element type"));
        }
        assertThat(PG.target().query(mirror.database, "SELECT DISTINCT table_name, coalesce(sqlstate, '-'),"
                + " regexp_replace(message, 'OID [0-9]+', 'OID n') FROM tandem.divergence"))
                .containsExactlyInAnyOrderElementsOf(ledgered);
        // the rest reached the target as the source has it, and every other table's
        String reached;
        if (!elementTypesCompared) {
            reached = "100,101,102,103,200"; // the binary COPY's rows and the domains'
        } else if (driver.equals("asyncpg")) {
            reached = "100"; // the row of NULLs
        } else {
            reached = typesMapped ? "1,2,3,4,5,6,7,10,11,12,13,200" : "200"; // all but the COPY's, or the domains'
        }
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(id::text, ',' ORDER BY id)"
                + " FROM shapes.typed")).isEqualTo(reached);
        String rows = "SELECT x::text FROM shapes.typed x WHERE id IN (" + reached + ") ORDER BY 1";
        assertThat(PG.target().query(mirror.database, rows)).isEqualTo(PG.source().query(mirror.database, rows));
        assertIdentical(tables().stream().filter(t -> !t.equals("shapes.typed")).toList());
    }

    /**
     * Whether the target refuses a binary array whose elements carry the source's OID of their type, another type's or
     * none on the target, as PostgreSQL 13 does (17.6 reads them as its column's type): a binary COPY of a
     * {@code shapes.mood[]} tells.
     */
    private boolean targetComparesElementTypes() throws SQLException {
        int sourceMood = Integer.parseInt(PG.source().queryValue(mirror.database,
                "SELECT 'shapes.mood'::regtype::oid"));
        ByteBuffer copy = ByteBuffer.allocate(64).put("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1))
                .putInt(0).putInt(0) // flags, header extension
                .putShort((short) 1).putInt(26) // one field of 26 bytes:
                .putInt(1).putInt(0).putInt(sourceMood) // one dimension, no NULLs, the source's OID of the type
                .putInt(1).putInt(1) // one element from index 1
                .putInt(2).put("ok".getBytes(StandardCharsets.US_ASCII))
                .putShort((short) -1);
        try (Connection c = PG.target().connect(mirror.database); Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE element_probe (a shapes.mood[])");
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY element_probe FROM STDIN (FORMAT binary)",
                    new ByteArrayInputStream(copy.array(), 0, copy.position()));
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            if ("42804".equals(e.getSQLState())) {
                return true;
            }
            throw e;
        }
    }

    /** pgjdbc sends user-defined types in text, with the source's OIDs of the types it named. */
    @Test
    void pgjdbcsTypedObjectsServerPreparedAndRewrittenBatchesAreOnTheTarget() throws Exception {
        try (Connection c = mirror.connect("prepareThreshold", "1", "reWriteBatchedInserts", "true");
             PreparedStatement ps = c.prepareStatement("INSERT INTO shapes.typed (id, m, ms, p, st, r, pt, tg, tr,"
                     + " fr, ci, hs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 1; i <= 6; i++) {
                ps.setInt(1, i);
                ps.setObject(2, object("shapes.mood", i % 2 == 0 ? "ok" : "happy"));
                ps.setArray(3, c.createArrayOf("shapes.mood", new Object[] {"sad", null, "happy"}));
                ps.setInt(4, i);
                ps.setString(5, "text " + i);
                ps.setObject(6, OffsetDateTime.parse("2026-01-15T10:00:00+09:00").plusHours(i));
                ps.setObject(7, object("shapes.point3", "(1.5,-0," + i + ")"));
                ps.setObject(8, object("shapes.tagged", "(ok,\"a \"\"quoted\"\" note\")"));
                ps.setObject(9, object("tstzrange", "[2026-01-01 00:00+00,2026-02-01 00:00+00)"));
                ps.setObject(10, object("shapes.floatrange", "(-infinity,2.5]"));
                ps.setObject(11, object("citext", "CaseLess"));
                ps.setObject(12, object("hstore", "\"k\"=>\"v\", \"n\"=>NULL"));
                ps.addBatch();
                if (i % 3 == 0) {
                    ps.executeBatch();
                }
            }
        }
        assertIdenticalWithoutDivergence();
        assertThat(count("shapes.typed")).isEqualTo("6");
    }

    /**
     * A PREPARE keeps its parameters' types without their modifiers: the source never cuts or rounds an argument to
     * {@code varchar(3)} or {@code numeric(10,2)}, and the replay must not either.
     */
    @Test
    void anExecuteOfAPrepareWithTypeModifiersInsertsTheSameValues() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("PREPARE keep (int, numeric(10, 2), varchar(3), timestamptz(0), interval hour, char(2), bit(3))"
                    + " AS INSERT INTO shapes.edge (id, n, t, tz, i, ta)"
                    + " VALUES ($1, $2, $3, $4, $5, ARRAY[$6, $7::text])");
            s.execute("EXECUTE keep (1, 1.23456, 'abcdef', '2026-01-01 10:00:00.789+00', '1 day 2 hours 3 minutes',"
                    + " 'xyz', B'10101')");
        }
        assertIdenticalWithoutDivergence();
        assertThat(PG.source().queryValue(mirror.database, "SELECT t FROM shapes.edge")).isEqualTo("abcdef");
    }

    /**
     * PostgreSQL refuses an INSERT into a table with INSERT rules inside the WITH ... RETURNING the mirror counts late
     * rows with; the INSERTs themselves must reach the target, and the rules do there what they did on the source.
     */
    @Test
    void insertsIntoTablesWithRulesAreMirroredWhileLateRowsAreCounted() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO shapes.ruled VALUES ('2026-01-10 00:00:00+00', 1), ('2030-01-01 00:00:00+00', 2)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO shapes.ruled VALUES (?, ?)")) {
                for (int i = 3; i < 6; i++) {
                    ps.setObject(1, OffsetDateTime.parse("2026-02-01T00:00:00Z").plusDays(i));
                    ps.setInt(2, i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            s.execute("INSERT INTO shapes.routed VALUES ('2025-06-01 00:00:00+00', 1)");
            s.execute("INSERT INTO shapes.routed VALUES ('2026-03-01 00:00:00+00', 2)");
        }
        assertIdenticalWithoutDivergence();
        assertThat(count("shapes.audit")).isEqualTo("5");
        assertThat(count("shapes.routed_old")).isEqualTo("1");
    }

    private static PGobject object(String type, String value) throws SQLException {
        PGobject o = new PGobject();
        o.setType(type);
        o.setValue(value);
        return o;
    }

    /** Every table of the two schemas, quoted and qualified; partitioned tables by their partitions. */
    private List<String> tables() {
        return PG.source().query(mirror.database, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('shapes', 'Odd Schema')"
                + " AND c.relkind = 'r' ORDER BY 1").stream().map(row -> row.get(0)).toList();
    }

    private void assertIdenticalWithoutDivergence() throws InterruptedException {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT table_name, sqlstate, message FROM tandem.divergence"))
                .as("divergence ledger").isEmpty();
        assertIdentical(tables());
    }

    private void assertIdentical(List<String> tables) {
        for (String table : tables) {
            String rows = "SELECT x::text FROM ONLY " + table + " x ORDER BY 1";
            assertThat(PG.target().query(mirror.database, rows)).as("target %s equals source", table)
                    .isEqualTo(PG.source().query(mirror.database, rows));
        }
    }

    private String count(String table) {
        return PG.source().queryValue(mirror.database, "SELECT count(*) FROM " + table);
    }

    /** Runs one scenario through the proxy; it must succeed. Returns its last line: the rows it committed. */
    private String run(String scenario) throws Exception {
        Process p = new ProcessBuilder(PYTHON, SCRIPT.toString(), "127.0.0.1",
                String.valueOf(mirror.app.relayAddress().getPort()), mirror.database, PG.source().user(), scenario,
                String.valueOf(oldestRelease())).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", scenario).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> lines = out.lines().toList();
        return lines.get(lines.size() - 1);
    }

    private static boolean importable(String module) {
        try {
            return new ProcessBuilder(PYTHON, "-c", "import " + module).redirectErrorStream(true).start()
                    .waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
