package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * The dual-write guarantee, judged by comparing the full contents of source and target after each scenario: what the
 * source committed is on the target once; what it rolled back is not.
 */
class MirrorEndToEndIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;
    static final AtomicInteger ids = new AtomicInteger();

    static final String TABLE = "CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL, v double precision,"
            + " note text, PRIMARY KEY (t, device))";

    /** Defaults the target fills in for columns a COPY leaves out, and a generated column it computes itself. */
    static final String COPIES = "CREATE TABLE copies (id int PRIMARY KEY, a text, b text, c int DEFAULT 42,"
            + " d text DEFAULT 'dflt', twice int GENERATED ALWAYS AS (id * 2) STORED)";
    static final String PARTED = "CREATE TABLE parted (day date NOT NULL, id int, v text) PARTITION BY RANGE (day);"
            + " CREATE TABLE parted_jan PARTITION OF parted FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');"
            + " CREATE TABLE parted_feb PARTITION OF parted FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')";

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "mirror_e2e", started -> mirror = started)
            .tables(TABLE + "; CREATE TABLE scratch (t timestamptz, device int, v double precision,"
                    + " note text); CREATE TABLE local_only (v int); " + COPIES + "; " + PARTED)
            .flags("--mirror-table", "public.metrics", "--mirror-table", "public.copies",
                    "--mirror-table", "public.parted")
            .emptiedBeforeEach("metrics, copies, parted");

    private static OffsetDateTime at(int id) {
        return OffsetDateTime.ofInstant(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(id), ZoneOffset.UTC);
    }

    private static void insert(PreparedStatement ps, int id) throws SQLException {
        ps.setObject(1, at(id));
        ps.setInt(2, id % 7);
        ps.setDouble(3, id / 3.0);
        ps.setString(4, id % 5 == 0 ? null : "n" + id);
    }

    private void settle() throws InterruptedException {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("metrics");
    }

    @Test
    void autocommitInsertsInEveryProtocolMode() throws Exception {
        for (String mode : List.of("simple", "extended", "extendedForPrepared")) {
            try (Connection c = mirror.connect("preferQueryMode", mode, "prepareThreshold", "1");
                 PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < 20; i++) {
                    insert(ps, ids.incrementAndGet());
                    ps.executeUpdate();
                }
            }
        }
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES ('2026-02-01', 1, 1.5, 'multi'), ('2026-02-02', 2, NULL, E'quote''s')");
            s.execute("INSERT INTO local_only VALUES (1)");
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("62");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM local_only")).isEqualTo("0");
    }

    @Test
    void explicitTransactionsCommittedAndRolledBackWithSavepoints() throws Exception {
        try (Connection c = mirror.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
            c.setAutoCommit(false);
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            c.commit();
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            c.rollback();
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            Savepoint sp = c.setSavepoint();
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            c.rollback(sp);
            int dup = ids.incrementAndGet();
            insert(ps, dup);
            ps.executeUpdate();
            c.commit();
            // a failed transaction: the duplicate key aborts it, COMMIT turns into ROLLBACK
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            insert(ps, dup);
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class);
            c.commit();
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("3");
    }

    @Test
    void batchesWithAndWithoutRewrite() throws Exception {
        for (String rewrite : List.of("true", "false")) {
            try (Connection c = mirror.connect("reWriteBatchedInserts", rewrite);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < 500; i++) {
                    insert(ps, ids.incrementAndGet());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("1000");
    }

    @Test
    void copyInTextCsvAndBinary() throws Exception {
        PG.source().execute(mirror.database, "TRUNCATE scratch; INSERT INTO scratch SELECT '2026-03-01'::timestamptz"
                + " + g * interval '1 second', g, g * 1.5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'b' || g END"
                + " FROM generate_series(1, 1000) g");
        try (Connection c = mirror.connect()) {
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder text = new StringBuilder();
            StringBuilder csv = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                int id = ids.incrementAndGet();
                text.append(at(id)).append('\t').append(id % 7).append('\t').append(i).append("\tt\\tab\n");
                int id2 = ids.incrementAndGet();
                csv.append(at(id2)).append(',').append(id2 % 7).append(',').append(i).append(",\"c,\"\"sv\"\n");
            }
            copy.copyIn("COPY metrics FROM STDIN", new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)));
            copy.copyIn("COPY metrics FROM STDIN (FORMAT csv)", new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)));
            ByteArrayOutputStream binary = new ByteArrayOutputStream();
            copy.copyOut("COPY scratch TO STDOUT (FORMAT binary)", binary);
            copy.copyIn("COPY metrics (t, device, v, note) FROM STDIN (FORMAT binary)",
                    new ByteArrayInputStream(binary.toByteArray()));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("3000");
    }

    private static void copyIn(CopyManager copy, String sql, String data) throws Exception {
        copy.copyIn(sql, new ByteArrayInputStream(data.getBytes(StandardCharsets.UTF_8)));
    }

    private void settleCopies() throws InterruptedException {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        for (String table : List.of("metrics", "copies", "parted")) {
            mirror.assertIdentical(table);
        }
    }

    /**
     * COPY's options, and PostgreSQL 17's ON_ERROR: a source before 17 refuses it (it is not sent), and a target
     * before 17 refuses its replay, so that transaction is ledgered with the target's reason, as for other syntax only
     * the source's release has, and the mirror moves on.
     */
    @Test
    void copyWithCsvOptionsColumnListsOldSyntaxPartitionsAndGeneratedColumns() throws Exception {
        boolean onError = PG.source().majorVersion() >= 17;
        boolean onErrorMirrored = onError && PG.target().majorVersion() >= 17;
        try (Connection c = mirror.connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            // a header, another delimiter, quote, escape and NULL string, FORCE_NOT_NULL, quoted newlines
            copyIn(copy, "COPY copies (id, a, b) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';',"
                    + " QUOTE '''', ESCAPE '\\', NULL 'NIL', FORCE_NOT_NULL (b))",
                    "id;a;b\n1;'semi;colon';NIL\n2;'line\nbreak\r\nand \\'quote';'x'\n3;NIL;''\n");
            // a column list in another order than the table's and shorter: the target fills c and d itself
            copyIn(copy, "COPY copies (b, id) FROM STDIN", "bee\t10\n\\N\t11\n");
            // the pre-9.0 option syntax psql scripts still use
            copyIn(copy, "COPY copies (id, c, a) FROM STDIN WITH CSV HEADER", "id,c,a\n20,7,old\n21,,\"\"\n");
            ByteArrayOutputStream binary = new ByteArrayOutputStream();
            copy.copyOut("COPY (SELECT 'bin' || g, 100 + g FROM generate_series(1, 50) g) TO STDOUT (FORMAT binary)",
                    binary);
            copy.copyIn("COPY copies (a, id) FROM STDIN (FORMAT binary)", new ByteArrayInputStream(binary.toByteArray()));
            // PostgreSQL 17: rows with values the column's type rejects are skipped, on the source and on the target
            if (onError) {
                copyIn(copy, "COPY copies (id, c) FROM STDIN (FORMAT csv, ON_ERROR ignore)",
                        "30,1\nthirty-one,2\n32,x\n33,3\n");
            }
            copyIn(copy, "COPY parted FROM STDIN (FORMAT csv)", "2026-01-05,1,jan\n2026-02-05,2,feb\n2026-01-31,3,\n");
        }
        String kept = "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM copies"
                + " WHERE id BETWEEN 30 AND 33";
        if (onError && !onErrorMirrored) {
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.source().queryValue(mirror.database, kept)).isEqualTo("30,33");
            assertThat(PG.target().queryValue(mirror.database, kept)).as("the rows the source kept").isEmpty();
            assertThat(PG.target().query(mirror.database, "SELECT sqlstate, message FROM tandem.divergence"
                    + " WHERE table_name = 'copies'")).containsExactly(List.of("42601",
                            "option \"on_error\" not recognized"));
            // what the ledger says is missing, so the comparison below compares the rest
            PG.source().execute(mirror.database, "DELETE FROM copies WHERE id BETWEEN 30 AND 33");
            PG.target().execute(mirror.database, "DELETE FROM tandem.divergence WHERE table_name = 'copies'");
        }
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM copies"))
                .isEqualTo(onErrorMirrored ? "59" : "57");
        assertThat(PG.target().queryValue(mirror.database, kept)).isEqualTo(onErrorMirrored ? "30,33" : "");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM parted_feb")).isEqualTo("1");
    }

    /**
     * An application may write into a partition by its own name: the rows belong to the mirrored partitioned table, so
     * they are mirrored, also into a partition created after the proxy last read the target's catalog. A partition of a
     * table that is not mirrored is not.
     */
    @Test
    void writesIntoAPartitionByItsOwnNameAreMirroredLikeWritesIntoItsPartitionedTable() throws Exception {
        PG.pair().executeOnBoth(mirror.database, "CREATE TABLE parted_mar PARTITION OF parted"
                + " FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');"
                + " CREATE TABLE loose (day date NOT NULL, id int) PARTITION BY RANGE (day);"
                + " CREATE TABLE loose_jan PARTITION OF loose FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')");
        try (Connection c = mirror.connect(); Statement s = c.createStatement();
             PreparedStatement ps = c.prepareStatement("INSERT INTO parted_feb VALUES (?, ?, 'extended')")) {
            s.execute("INSERT INTO public.parted_jan VALUES ('2026-01-05', 1, 'simple'), ('2026-01-06', 2, NULL)");
            ps.setObject(1, java.time.LocalDate.parse("2026-02-03"));
            ps.setInt(2, 3);
            ps.executeUpdate();
            s.execute("INSERT INTO parted_mar VALUES ('2026-03-09', 4, 'a partition newer than the look-up')");
            copyIn(c.unwrap(PGConnection.class).getCopyAPI(), "COPY parted_jan (day, id) FROM STDIN", "2026-01-20\t5\n");
            s.execute("INSERT INTO loose_jan VALUES ('2026-01-05', 1)");
        }
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(id::text, ',' ORDER BY id) FROM parted"))
                .isEqualTo("1,2,3,4,5");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM loose")).isEqualTo("0");
        PG.pair().executeOnBoth(mirror.database, "DROP TABLE parted_mar, loose");
    }

    /** A partition created through the proxy is on the source only: counted, with a warning saying what to do. */
    @Test
    void aPartitionCreatedThroughTheProxyIsCounted() throws Exception {
        double before = unmirrored("public.parted", "create_partition");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE parted_jun PARTITION OF parted FOR VALUES FROM ('2026-06-01') TO ('2026-07-01')");
            s.execute("DROP TABLE parted_jun");
        }
        assertThat(unmirrored("public.parted", "create_partition")).isEqualTo(before + 1);
    }

    /** A partition created on the source only cannot be told from any other table there: its rows are counted. */
    @Test
    void writesIntoAPartitionTheTargetLacksAreCountedNotSilentlyDropped() throws Exception {
        PG.source().execute(mirror.database, "CREATE TABLE parted_apr PARTITION OF parted"
                + " FOR VALUES FROM ('2026-04-01') TO ('2026-05-01')");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO parted_apr VALUES ('2026-04-02', 1, 'source only'), ('2026-04-03', 2, NULL)");
            s.execute("BEGIN; INSERT INTO parted_apr VALUES ('2026-04-04', 3, 'again');"
                    + " INSERT INTO parted_apr VALUES ('2026-04-05', 4, 'same transaction'); COMMIT");
        } finally {
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            PG.source().execute(mirror.database, "DROP TABLE parted_apr");
        }
        assertThat(mirror.app.registry().get("tandem.mirror.transactions").tag("table", "public.parted_apr")
                .tag("outcome", "not_on_target").counter().count()).isEqualTo(2);
        // the rows the source wrote and the target did not get, both statements' (tandem_mirror_rows_total)
        assertThat(mirror.app.registry().get("tandem.mirror.rows").tag("table", "public.parted_apr")
                .tag("outcome", "not_on_target").counter().count()).isEqualTo(4);
    }

    /**
     * A temporary table named like a mirrored table hides it from unqualified names in its session: those writes go
     * to the temporary table on the source and must not reach the mirrored table on the target, in either protocol,
     * and once the temporary table is gone (dropped, discarded, ON COMMIT DROP) the name means the mirrored table again.
     */
    @Test
    void writesIntoATemporaryTableNamedLikeAMirroredTableAreNotMirrored() throws Exception {
        String row = "('2026-03-01', %d, %d, '%s')";
        double ddl = unmirrored("public.metrics", "ddl");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES " + row.formatted(1, 1, "permanent"));
            s.execute("CREATE TEMP TABLE metrics (LIKE public.metrics)");
            s.execute("INSERT INTO metrics VALUES " + row.formatted(2, 2, "temporary"));
            s.execute("INSERT INTO public.metrics VALUES " + row.formatted(3, 3, "permanent, qualified"));
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES ('2026-03-01', ?, 4, ?)")) {
                ps.setInt(1, 4);
                ps.setString(2, "temporary, extended");
                ps.executeUpdate();
            }
            copyIn(c.unwrap(PGConnection.class).getCopyAPI(), "COPY metrics (t, device) FROM STDIN",
                    "2026-03-01\t5\n");
            // pipelined: the INSERT is sent before the DROP is answered, and runs after it
            s.addBatch("DROP TABLE metrics");
            s.addBatch("INSERT INTO metrics VALUES " + row.formatted(6, 6, "permanent, after the DROP"));
            s.executeBatch();
            s.execute("CREATE TEMP TABLE metrics (LIKE public.metrics); INSERT INTO metrics VALUES "
                    + row.formatted(7, 7, "temporary, same query string"));
            s.execute("SET search_path TO public, pg_temp");
            s.execute("INSERT INTO metrics VALUES " + row.formatted(8, 8, "permanent, pg_temp searched last"));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics")).isEqualTo("1,3,6,8");
        assertThat(unmirrored("public.metrics", "ddl")).as("DDL on the temporary table is not DDL on the mirrored one")
                .isEqualTo(ddl);
    }

    /**
     * A path that does not list {@code pg_temp} searches the temporary schema first, so a temporary table hides the
     * mirrored one under {@code SET search_path TO public} as under the server's default, and under the
     * {@code "$user", public} PostgreSQL 18 reports at start-up. Before, the proxy took such a path to search public
     * first and mirrored the temporary table's rows into the mirrored one.
     */
    @Test
    void aTemporaryTableHidesTheMirroredOneUnderAPathThatDoesNotListPgTemp() throws Exception {
        String row = "('2026-03-01', %d, %d, '%s')";
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("SET search_path TO public");
            s.execute("CREATE TEMP TABLE metrics (LIKE public.metrics)");
            s.execute("INSERT INTO metrics VALUES " + row.formatted(1, 1, "temporary"));
            s.execute("INSERT INTO public.metrics VALUES " + row.formatted(2, 2, "permanent, qualified"));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics")).isEqualTo("2");
    }

    private static double unmirrored(String table, String kind) {
        var counter = mirror.app.registry().find("tandem.unmirrored.writes").tag("table", table).tag("kind", kind)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    /**
     * A statement prepared before a temporary table hid its table, run after: PostgreSQL re-plans it against the
     * temporary table here (the session's first), but would not always; so it is not mirrored, and counted.
     */
    @Test
    void aStatementPreparedBeforeATemporaryTableHidItsTableIsCounted() throws Exception {
        double before = unmirrored("public.metrics", "prepared_before_temporary_table");
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.login("postgres", mirror.database);
            client.send(WireClient.frame('P', WireClient.concat(WireClient.cstrings("ins",
                    "INSERT INTO metrics VALUES ('2026-03-03', $1::int, 1, 'x')"), new byte[] {0, 0})));
            client.send(executeNamed("ins", 1));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('1', '2', 'C', 'Z');
            client.send(WireClient.query("CREATE TEMP TABLE metrics (LIKE public.metrics)"));
            client.readUntilReady();
            client.send(executeNamed("ins", 2));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('2', 'C', 'Z');
            client.send(WireClient.query("SELECT count(*) FROM pg_temp.metrics"));
            assertThat(client.readUntilReady()).filteredOn(m -> m.type() == 'D').singleElement()
                    .as("the source re-planned the statement into the temporary table")
                    .satisfies(row -> assertThat(row.text()).endsWith("1"));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics")).isEqualTo("1");
        assertThat(unmirrored("public.metrics", "prepared_before_temporary_table")).isEqualTo(before + 1);
        // and ledgered: the rows may be missing on the target, so the cutover check waits for a verify and settle
        awaitOneMetricsLedgerEntry("not mirrored: a statement prepared before the session created a temporary table%");
    }

    /**
     * SQL-level PREPARE and the protocol's Parse make prepared statements of one namespace on the server: a Bind may
     * name a PREPAREd statement, an EXECUTE a parsed one. Before, the capture kept the two apart, and such a write was
     * on the source only, neither mirrored nor counted. A PREPAREd statement is replayed as its body with each
     * declared type cast to (the bigint sent in binary is one the target would else read as an int); an EXECUTE of a
     * parsed statement is written out like one of a PREPARE, unless its Parse gave the types by OID: then it is
     * ledgered.
     */
    @Test
    void preparedStatementsOfSqlAndOfTheProtocolShareOneNamespace() throws Exception {
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.login("postgres", mirror.database);
            client.send(WireClient.query("PREPARE by_sql (int) AS INSERT INTO metrics VALUES ('2026-03-05', $1, 1,"
                    + " 'prepared'); PREPARE by_sql_big (bigint) AS INSERT INTO metrics VALUES ('2026-03-05', $1, 2,"
                    + " 'binary')"));
            client.readUntilReady();
            client.send(executeNamed("by_sql", 1));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('2', 'C', 'Z');
            ByteBuffer bind = ByteBuffer.allocate(64).put(WireClient.cstrings("", "by_sql_big")).putShort((short) 1)
                    .putShort((short) 1).putShort((short) 1).putInt(8).putLong(2).putShort((short) 0);
            client.send(WireClient.concat(WireClient.frame('B', java.util.Arrays.copyOf(bind.array(),
                    bind.position())), WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}),
                    WireClient.frame('S', new byte[0])));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('2', 'C', 'Z');
            client.send(WireClient.concat(WireClient.frame('P', WireClient.concat(WireClient.cstrings("parsed",
                    "INSERT INTO metrics VALUES ('2026-03-06', $1, 3, 'parsed')"), new byte[] {0, 0})),
                    WireClient.frame('S', new byte[0])));
            client.readUntilReady();
            client.send(WireClient.query("EXECUTE parsed(3)"));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'Z');
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device || ':' || note, ','"
                + " ORDER BY device) FROM metrics")).isEqualTo("1:prepared,2:binary,3:parsed");
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.login("postgres", mirror.database);
            client.send(WireClient.concat(WireClient.frame('P', WireClient.concat(WireClient.cstrings("typed",
                    "INSERT INTO metrics VALUES ('2026-03-07', $1, 4, 'typed')"), new byte[] {0, 1, 0, 0, 0, 23})),
                    WireClient.frame('S', new byte[0])));
            client.readUntilReady();
            client.send(WireClient.query("EXECUTE typed(4)"));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'Z');
        }
        awaitOneMetricsLedgerEntry("%an SQL EXECUTE of a statement the client prepared with a Parse message%");
        PG.source().execute(mirror.database, "DELETE FROM metrics WHERE device = 4");
        settle();
    }

    /** Waits for the one ledger entry of table metrics whose message is LIKE {@code pattern}, then removes it. */
    private static void awaitOneMetricsLedgerEntry(String pattern) throws Exception {
        String entry = "SELECT count(*) FROM tandem.divergence WHERE table_name = 'metrics' AND message LIKE "
                + Identifiers.quoteLiteral(pattern);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"1".equals(PG.target().queryValue(mirror.database, entry))) {
            assertThat(System.nanoTime()).as("the ledger entry is written").isLessThan(deadline);
            Thread.sleep(100);
        }
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence WHERE table_name = 'metrics'");
    }

    /** Bind (one text parameter), Execute and Sync of the named statement. */
    private static byte[] executeNamed(String statement, int value) {
        byte[] text = String.valueOf(value).getBytes(StandardCharsets.US_ASCII);
        ByteBuffer bind = ByteBuffer.allocate(64).put(WireClient.cstrings("", statement))
                .putShort((short) 0).putShort((short) 1).putInt(text.length).put(text).putShort((short) 0);
        return WireClient.concat(WireClient.frame('B', java.util.Arrays.copyOf(bind.array(), bind.position())),
                WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}), WireClient.frame('S', new byte[0]));
    }

    /**
     * The session's temporary schema named as the server names it ({@code pg_temp_3}, from {@code pg_my_temp_schema()}
     * or psql's {@code \d}) is followed like {@code pg_temp}: a DROP there gives the mirrored table its name back.
     */
    @Test
    void theTemporarySchemaByItsOwnNameIsFollowedToo() throws Exception {
        String insert = "INSERT INTO metrics VALUES ('2026-03-04', %d, %d, '%s')";
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE scratch (x int)"); // the session's temporary schema exists from here on
            String schema;
            try (var rs = s.executeQuery("SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()")) {
                rs.next();
                schema = rs.getString(1);
            }
            assertThat(schema).matches("pg_temp_[0-9]+");
            s.execute("CREATE TABLE " + schema + ".metrics (LIKE public.metrics)");
            s.execute(insert.formatted(1, 1, "temporary: created by the schema name"));
            s.execute("DROP TABLE " + schema + ".metrics");
            s.execute(insert.formatted(2, 2, "permanent: dropped by the schema name"));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics WHERE t = '2026-03-04'")).isEqualTo("2");
    }

    /** Creating, dropping and renaming a temporary table follow the transaction: undone by a rollback. */
    @Test
    void temporaryTablesFollowTheirTransactions() throws Exception {
        String insert = "INSERT INTO metrics VALUES ('2026-03-02', %d, %d, '%s')";
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("CREATE TEMP TABLE metrics (LIKE public.metrics) ON COMMIT DROP");
            s.execute(insert.formatted(1, 1, "temporary until the commit"));
            c.commit();
            s.execute(insert.formatted(2, 2, "permanent: dropped at the commit"));
            c.commit();
            s.execute("CREATE TEMP TABLE metrics (LIKE public.metrics)");
            c.rollback();
            s.execute(insert.formatted(3, 3, "permanent: the CREATE rolled back"));
            c.commit();
            s.execute("CREATE TEMP TABLE metrics (LIKE public.metrics)");
            Savepoint beforeDrop = c.setSavepoint();
            s.execute("DROP TABLE metrics");
            c.rollback(beforeDrop);
            s.execute(insert.formatted(4, 4, "temporary: the DROP rolled back to its savepoint"));
            c.commit();
            s.execute("DROP TABLE metrics");
            s.execute(insert.formatted(5, 5, "permanent: dropped in this transaction"));
            c.rollback();
            s.execute(insert.formatted(6, 6, "temporary: the DROP rolled back"));
            c.commit();
            c.setAutoCommit(true);
            s.execute("DISCARD TEMP");
            s.execute(insert.formatted(7, 7, "permanent: discarded"));
            s.execute("CREATE TEMP TABLE other (LIKE public.metrics)");
            s.execute("ALTER TABLE other RENAME TO metrics");
            s.execute(insert.formatted(8, 8, "temporary: renamed to the mirrored name"));
            s.execute("ALTER TABLE metrics RENAME TO other");
            s.execute(insert.formatted(9, 9, "permanent: renamed away"));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics")).isEqualTo("2,3,7,9");
    }

    @Test
    void failedCopiesInsideATransactionRolledBackToASavepointMirrorOnlyWhatCommitted() throws Exception {
        try (Connection c = mirror.connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            c.setAutoCommit(false);
            copyIn(copy, "COPY copies (id, a) FROM STDIN", "1\tbefore\n");
            Savepoint badRow = c.setSavepoint();
            assertThatThrownBy(() -> copyIn(copy, "COPY copies (id, a) FROM STDIN", "2\tok\nnot-a-number\tbad\n"))
                    .isInstanceOf(SQLException.class);
            c.rollback(badRow);
            copyIn(copy, "COPY copies (id, a) FROM STDIN", "3\tafter the bad row\n");
            Savepoint cancelled = c.setSavepoint();
            CopyIn in = copy.copyIn("COPY copies (id, a) FROM STDIN");
            byte[] row = "4\tcancelled\n".getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(row, 0, row.length);
            in.flushCopy();
            in.cancelCopy(); // CopyFail: the source answers with the error pgjdbc expects
            c.rollback(cancelled);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO copies (id, a) VALUES (5, 'insert after CopyFail')");
            }
            copyIn(copy, "COPY copies (id, a) FROM STDIN", "6\tlast\n");
            c.commit();
        }
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(id::text, ',' ORDER BY id) FROM copies"))
                .isEqualTo("1,3,5,6");
    }

    @Test
    void copyFreezeIsLedgeredByTheTargetWhichDidNotSeeTheTruncateItNeedsAndTheMirrorMovesOn() throws Exception {
        try (Connection c = mirror.connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("TRUNCATE copies"); // FREEZE needs it in the same transaction; TRUNCATE is not mirrored
            }
            copyIn(copy, "COPY copies (id, a) FROM STDIN WITH (FORMAT csv, FREEZE)", "1,frozen\n");
            c.commit();
            c.setAutoCommit(true);
            copyIn(copy, "COPY copies (id, a) FROM STDIN", "2\tafter\n");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT id FROM copies")).containsExactly(List.of("2"));
        assertThat(PG.target().query(mirror.database, "SELECT table_name, sqlstate FROM tandem.divergence"
                + " WHERE message LIKE '%FREEZE%'")).containsExactly(List.of("copies", "55000"));
    }

    @Test
    void valuesAreReadUnderTheSessionsTimeZoneDateStyleAndStringRulesOnTheTargetToo() throws Exception {
        // the target's own settings are the defaults: without the source session's, it stores other instants
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("SET TimeZone TO 'Asia/Tokyo'");
            s.execute("INSERT INTO metrics VALUES ('2026-03-01 10:00', 1, 1, 'tokyo')");
            s.execute("SET DateStyle TO 'ISO, DMY'");
            s.execute("INSERT INTO metrics VALUES ('02/03/2026 10:00', 2, 2, 'dmy')");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn("COPY metrics (t, device, v, note) FROM STDIN (FORMAT csv)", new ByteArrayInputStream(
                    "03/03/2026 10:00,3,3,copy\n".getBytes(StandardCharsets.UTF_8)));
            s.execute("SET standard_conforming_strings TO off");
            s.execute("INSERT INTO metrics VALUES ('2026-03-04 10:00', 4, 4, 'tab\\there')");
            s.execute("BEGIN");
            s.execute("SET LOCAL TimeZone TO 'America/New_York'");
            s.execute("INSERT INTO metrics VALUES ('2026-03-05 10:00', 5, 5, 'local')");
            s.execute("COMMIT");
            s.execute("INSERT INTO metrics VALUES ('2026-03-06 10:00', 6, 6, 'after local')");
            // outside BEGIN, SET LOCAL lasts until the implicit transaction ends: the query string's, the batch's
            s.execute("SET LOCAL TimeZone TO 'America/New_York'; INSERT INTO metrics VALUES ('2026-03-08 10:00', 8, 8,"
                    + " 'local in a query string')");
            s.addBatch("SET LOCAL TimeZone TO 'America/Los_Angeles'");
            s.addBatch("INSERT INTO metrics VALUES ('2026-03-09 10:00', 9, 9, 'local in a batch')");
            s.executeBatch();
            s.execute("INSERT INTO metrics VALUES ('2026-03-10 10:00', 10, 10, 'after both')");
        }
        // a timestamp without zone bound into a timestamptz column
        try (Connection c = mirror.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
            c.createStatement().execute("SET TIME ZONE 'Europe/Paris'");
            ps.setObject(1, java.time.LocalDateTime.parse("2026-03-07T10:00:00"));
            ps.setInt(2, 7);
            ps.setDouble(3, 7);
            ps.setString(4, "paris");
            ps.executeUpdate();
        }
        settle();
        assertThat(PG.source().query(mirror.database, "SELECT device, t::text, note FROM metrics ORDER BY device"))
                .as("what the source stored: each value read under the session's settings then")
                .containsExactly(List.of("1", "2026-03-01 01:00:00+00", "tokyo"),
                        List.of("2", "2026-03-02 01:00:00+00", "dmy"), List.of("3", "2026-03-03 01:00:00+00", "copy"),
                        List.of("4", "2026-03-04 01:00:00+00", "tab\there"),
                        List.of("5", "2026-03-05 15:00:00+00", "local"),
                        List.of("6", "2026-03-06 01:00:00+00", "after local"),
                        List.of("7", "2026-03-07 09:00:00+00", "paris"),
                        List.of("8", "2026-03-08 14:00:00+00", "local in a query string"),
                        List.of("9", "2026-03-09 17:00:00+00", "local in a batch"),
                        List.of("10", "2026-03-10 01:00:00+00", "after both"));
        assertThat(PG.target().query(mirror.database, "SELECT message FROM tandem.divergence"
                + " WHERE message LIKE '%changed TimeZone%'")).isEmpty();
    }

    @Test
    void psqlSessionsTimeZoneAndDateStyleFromItsEnvironmentAreTheTargetsToo() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        // libpq sends these in its StartupMessage: the source reports them before the first ReadyForQuery
        psql(Map.of("PGTZ", "America/Los_Angeles", "PGDATESTYLE", "ISO, DMY"), null, "-c",
                "INSERT INTO metrics VALUES ('04/03/2026 10:00', 8, 8, 'psql')");
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT t::text FROM metrics WHERE device = 8"))
                .isEqualTo("2026-03-04 18:00:00+00");
    }

    @Test
    void aWriteAfterAChangeOfTimeZoneInItsOwnQueryStringRunsUnderItOrIsLedgered() throws Exception {
        try (Connection c = mirror.connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            // the source reports the new TimeZone only at the end of the query string, after the INSERT ran: the
            // proxy follows the SET itself
            s.execute("SET TimeZone TO 'Asia/Tokyo'; INSERT INTO metrics VALUES ('2026-03-01 10:00', 1, 1, 'set')");
            // a setting that does not change how values are read changes nothing
            s.execute("SET statement_timeout = '1min'; INSERT INTO metrics VALUES ('2026-03-02 10:00', 2, 2, 'ok')");
            // a change it cannot follow: the INSERT after it is ledgered, not replayed under another zone
            s.execute("SELECT set_config('TimeZone', 'America/New_York', false);"
                    + " INSERT INTO metrics VALUES ('2026-03-03 10:00', 3, 3, 'set_config')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT device, t::text FROM metrics ORDER BY device"))
                .containsExactly(List.of("1", "2026-03-01 01:00:00+00"), List.of("2", "2026-03-02 01:00:00+00"));
        awaitOneMetricsLedgerEntry(
                "%may have changed TimeZone, DateStyle, IntervalStyle or standard_conforming_strings%");
    }

    /**
     * An INSERT whose values call set_config changes the session it runs in; replayed, it changed the mirror's own
     * session on the target: with {@code transaction_read_only} its progress write failed, again on every retry, and
     * nothing more was applied to the database. It is ledgered instead, and what follows it is mirrored.
     */
    @Test
    void anInsertCallingSetConfigIsLedgeredNotReplayedIntoTheMirrorsSession() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES ('2026-03-05 10:00+00', 1, 1,"
                    + " set_config('transaction_read_only', 'on', false))");
        }
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES ('2026-03-05 11:00+00', 2, 2, 'after')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT device, note FROM metrics ORDER BY device"))
                .containsExactly(List.of("2", "after"));
        awaitOneMetricsLedgerEntry("%it calls set_config%");
    }

    /**
     * A function called in an INSERT's values may change the session it runs in (set_config, or SET in a plpgsql
     * body) where the capture cannot see it. Replayed, it changed the mirror's own target session: under another role
     * or read-only the progress write failed on every retry (the database's mirror stopped for good); a search_path
     * kept for the session sent later transactions' rows into another schema's table. Each such transaction is
     * ledgered instead, whatever else its group holds, and what follows it is mirrored where it belongs.
     */
    @Test
    void anInsertWhoseFunctionChangesTheMirrorsSessionIsLedgeredAndChangesNothingAfterIt() throws Exception {
        PG.pair().executeOnBoth(mirror.database, "DO $$ BEGIN CREATE ROLE tandem_sneak NOLOGIN;"
                + " EXCEPTION WHEN duplicate_object THEN NULL; END $$; CREATE SCHEMA IF NOT EXISTS decoy;"
                + " CREATE TABLE IF NOT EXISTS decoy.metrics (LIKE public.metrics);"
                + " GRANT USAGE ON SCHEMA decoy TO tandem_sneak; GRANT ALL ON decoy.metrics TO tandem_sneak");
        List<String> changes = List.of(
                "PERFORM set_config('role', 'tandem_sneak', false)",
                "SET SESSION AUTHORIZATION tandem_sneak",
                "PERFORM set_config('transaction_read_only', 'on', false)",
                "PERFORM set_config('search_path', 'decoy, public', false)",
                "SET LOCAL search_path = decoy, public",
                "PERFORM set_config('session_replication_role', 'replica', false)",
                "PERFORM set_config('default_transaction_read_only', 'on', false)",
                "PERFORM set_config('lock_timeout', '1', false)",
                "PERFORM set_config('statement_timeout', '1', false)");
        int device = 100;
        for (String change : changes) {
            PG.pair().executeOnBoth(mirror.database, "CREATE OR REPLACE FUNCTION public.sneak() RETURNS text"
                    + " LANGUAGE plpgsql AS $f$ BEGIN " + change + "; RETURN 'sneak'; END $f$");
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO metrics VALUES ('2026-03-06 10:00+00', " + device + ", 1, 'before')");
            }
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO metrics VALUES ('2026-03-06 11:00+00', " + device + ", 1, public.sneak())");
            }
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO metrics VALUES ('2026-03-06 12:00+00', " + device + ", 2, 'after')");
            }
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().query(mirror.database, "SELECT device, note FROM metrics WHERE device = " + device
                    + " ORDER BY t")).as(change).containsExactly(List.of("" + device, "before"),
                    List.of("" + device, "after"));
            assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM decoy.metrics")).as(change)
                    .isEqualTo("0");
            awaitOneMetricsLedgerEntry("%changed the mirror's own session on the target (found with %");
            device++;
        }
    }

    /**
     * A zone set as hours east of UTC is reported by the server under a name of its own ({@code '+05'} as
     * {@code <+05>-05}): a statement prepared in the request that set it, and run later, ran under the zone it was
     * parsed under, and is replayed, not ledgered as run under another.
     */
    @Test
    void aStatementPreparedWhereAZoneWasSetAsHoursRunsUnderThatZoneLater() throws Exception {
        try (Connection c = mirror.connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("SET TIME ZONE '+05'; PREPARE east (int) AS INSERT INTO metrics VALUES ('2026-03-01 10:00', $1,"
                    + " 1, 'east')");
            s.execute("EXECUTE east(1)");
            s.execute("SET TIME ZONE -3.5; PREPARE west (int) AS INSERT INTO metrics VALUES ('2026-03-01 10:00', $1,"
                    + " 2, 'west')");
            s.execute("EXECUTE west(2)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().query(mirror.database, "SELECT device, t::text FROM metrics ORDER BY device"))
                .containsExactly(List.of("1", "2026-03-01 05:00:00+00"), List.of("2", "2026-03-01 13:30:00+00"));
        assertThat(PG.target().query(mirror.database, "SELECT device, t::text FROM metrics ORDER BY device"))
                .containsExactly(List.of("1", "2026-03-01 05:00:00+00"), List.of("2", "2026-03-01 13:30:00+00"));
        assertThat(PG.target().query(mirror.database, "SELECT message FROM tandem.divergence"
                + " WHERE statement LIKE '%''east''%' OR statement LIKE '%''west''%'")).isEmpty();
    }

    @Test
    void aPreparedStatementRunUnderOtherSettingsThanItWasParsedUnderIsLedgeredNotReplayedUnderThem() throws Exception {
        // the source reads a prepared statement's constants at the PREPARE or Parse: a later SET does not change them
        try (Connection c = mirror.connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("SET TimeZone TO 'UTC'");
            s.execute("PREPARE zoned (int) AS INSERT INTO metrics VALUES ('2026-03-01 10:00', $1, 1, 'zoned')");
            s.execute("PREPARE escaped (int) AS INSERT INTO metrics VALUES ('2026-03-02 10:00', $1, 2, 'a\\b')");
            s.execute("PREPARE bound AS INSERT INTO metrics VALUES ($1::timestamptz, $2, 3, NULL)");
            s.execute("EXECUTE zoned(1)");
            s.execute("SET TimeZone TO 'Asia/Tokyo'");
            s.execute("EXECUTE zoned(2)");
            // an argument is read when the EXECUTE runs, under the settings the replay runs under too
            s.execute("EXECUTE bound('2026-03-03 10:00', 3)");
            s.execute("SET TimeZone TO 'UTC'");
            s.execute("SET standard_conforming_strings TO off");
            s.execute("EXECUTE escaped(4)");
        }
        try (Connection c = mirror.connect("prepareThreshold", "1");
             PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES ('2026-03-05 10:00', ?, 5, NULL)");
             Statement s = c.createStatement()) {
            s.execute("SET TimeZone TO 'UTC'");
            ps.setInt(1, 5);
            ps.executeUpdate();
            s.execute("SET TimeZone TO 'Pacific/Chatham'");
            ps.setInt(1, 6);
            ps.executeUpdate();
            // back under the Parse's zone: the source may have read the text again under Chatham's in between
            s.execute("SET TimeZone TO 'UTC'");
            ps.setInt(1, 7);
            ps.executeUpdate();
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().query(mirror.database,
                "SELECT device, t::text, coalesce(note, '') FROM metrics ORDER BY device"))
                .as("the source kept the constants it read at the PREPARE and Parse, under UTC")
                .containsExactly(List.of("1", "2026-03-01 10:00:00+00", "zoned"),
                        List.of("2", "2026-03-01 10:00:00+00", "zoned"), List.of("3", "2026-03-03 01:00:00+00", ""),
                        List.of("4", "2026-03-02 10:00:00+00", "a\\b"), List.of("5", "2026-03-05 10:00:00+00", ""),
                        List.of("6", "2026-03-05 10:00:00+00", ""), List.of("7", "2026-03-05 10:00:00+00", ""));
        assertThat(PG.target().query(mirror.database, "SELECT device, t::text FROM metrics ORDER BY device"))
                .containsExactly(List.of("1", "2026-03-01 10:00:00+00"), List.of("3", "2026-03-03 01:00:00+00"),
                        List.of("5", "2026-03-05 10:00:00+00"));
        String ledgered = "SELECT count(*) FROM tandem.divergence WHERE table_name = 'metrics'"
                + " AND message LIKE '%a prepared statement run %'";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"4".equals(PG.target().queryValue(mirror.database, ledgered))) {
            assertThat(System.nanoTime()).as("the four runs are ledgered").isLessThan(deadline);
            Thread.sleep(100);
        }
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence WHERE table_name = 'metrics'");
    }

    @Test
    void sessionsOfOtherTimeZonesWritingOneStatementTextKeepTheirOwnInstantsOnTheTarget() throws Exception {
        // the applier parses a statement text once per target connection: under one session's TimeZone, its
        // constants would be that session's instants in every other session's rows too
        String sql = "INSERT INTO metrics VALUES ('2026-03-01 10:00', ?, 1, NULL)";
        try (Connection utc = mirror.connect(); Connection tokyo = mirror.connect();
             Statement inUtc = utc.createStatement(); Statement inTokyo = tokyo.createStatement();
             PreparedStatement utcInsert = utc.prepareStatement(sql);
             PreparedStatement tokyoInsert = tokyo.prepareStatement(sql)) {
            inUtc.execute("SET TimeZone TO 'UTC'");
            inTokyo.execute("SET TimeZone TO 'Asia/Tokyo'");
            for (int i = 0; i < 3; i++) {
                utcInsert.setInt(1, 2 * i);
                utcInsert.executeUpdate();
                tokyoInsert.setInt(1, 2 * i + 1);
                tokyoInsert.executeUpdate();
            }
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(DISTINCT t) FROM metrics")).isEqualTo("2");
    }

    @Test
    void copyDataInTheSessionsClientEncodingIsReplayedInThatEncoding() throws Exception {
        try (Connection c = mirror.connect("allowEncodingChanges", "true"); Statement s = c.createStatement()) {
            s.execute("SET client_encoding TO 'LATIN1'");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            // Latin-1 bytes: 0xE9 is 'é'; 0xC3 0xA9 is 'Ã©', which also happens to be valid UTF-8 for 'é'
            copy.copyIn("COPY copies (id, a) FROM STDIN", new ByteArrayInputStream(
                    new byte[] {'1', '\t', 'c', 'a', 'f', (byte) 0xE9, '\n'}));
            copy.copyIn("COPY copies (id, a) FROM STDIN (FORMAT csv)", new ByteArrayInputStream(
                    new byte[] {'2', ',', (byte) 0xC3, (byte) 0xA9, '\n'}));
        }
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(a, ',' ORDER BY id) FROM copies"))
                .isEqualTo("café,Ã©");
    }

    @Test
    void statementsOfASessionThatIsNotUtf8AreReplayedInItsEncoding() throws Exception {
        try (Connection c = mirror.connect("allowEncodingChanges", "true"); Statement s = c.createStatement()) {
            s.execute("SET client_encoding TO 'LATIN1'");
            s.execute("INSERT INTO copies (id, a) VALUES (11, 'plain')");
            s.execute("INSERT INTO copies (id, a) VALUES (12, 'café')");
            try (var insert = c.prepareStatement("INSERT INTO copies (id, a) VALUES (?, ?)")) {
                insert.setInt(1, 13);
                insert.setString(2, "naïve");
                insert.executeUpdate();
                insert.setInt(1, 14);
                insert.setString(2, "ascii");
                insert.executeUpdate();
            }
        }
        settleCopies();
        // pgjdbc goes on sending UTF-8, which the source, told LATIN1, stores as 'cafÃ©'; the mirror sends the same
        // bytes in LATIN1 too (on its own UTF8 connection they would be 'café', a silent difference)
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(a, ',' ORDER BY id) FROM copies"
                + " WHERE id > 10")).isEqualTo("plain,cafÃ©,naÃ¯ve,ascii");
    }

    @Test
    void textInLatin1Win1252AndShiftJisSessionsIsMirroredAsTheSourceReadIt() throws Exception {
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.send(WireClient.startup(196608, "user", "postgres", "database", mirror.database,
                    "client_encoding", "LATIN1"));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).contains('R', 'Z');
            // 0xE9 is 'é' and 0xEF 'ï' in LATIN1; neither is a character in UTF-8
            client.send(WireClient.frame('Q', bytes("INSERT INTO copies (id, a) VALUES (21, 'caf", 0xE9, "')", 0)));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'Z');
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            batch.writeBytes(WireClient.frame('P', bytes(0, "INSERT INTO copies (id, a, b)"
                    + " VALUES ($1::int, $2, 'na", 0xEF, "ve')", 0, 0, 0)));
            for (int id = 22; id <= 23; id++) {
                // the value as text, then as a binary text value: the server reads both in the client encoding
                short format = (short) (id - 22);
                ByteBuffer bind = ByteBuffer.allocate(64).put(new byte[] {0, 0})
                        .putShort((short) 2).putShort((short) 0).putShort(format)
                        .putShort((short) 2).putInt(2).put(bytes(String.valueOf(id)))
                        .putInt(3).put(new byte[] {(byte) 0xE9, 't', (byte) 0xE9})
                        .putShort((short) 0);
                batch.writeBytes(WireClient.frame('B', java.util.Arrays.copyOf(bind.array(), bind.position())));
                batch.writeBytes(WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}));
            }
            batch.writeBytes(WireClient.frame('S', new byte[0]));
            client.send(batch.toByteArray());
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type)
                    .containsExactly('1', '2', 'C', '2', 'C', 'Z');
            client.send(WireClient.query("SET client_encoding TO 'WIN1252'"));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).contains('S', 'Z');
            // 0x80 is the euro sign in WIN1252
            client.send(WireClient.frame('Q', bytes("INSERT INTO copies (id, a) VALUES (24, '", 0x80, "')", 0)));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'Z');
            client.send(WireClient.query("SET client_encoding TO 'SJIS'"));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).contains('S', 'Z');
            // 0x95 0x5C is one character in Shift JIS whose second byte is a backslash in ASCII: read as bytes, the
            // escape string would not end at the quote after it
            client.send(WireClient.frame('Q', bytes("INSERT INTO copies (id, a) VALUES (25, E'", 0x95, 0x5C,
                    "'); INSERT INTO copies (id, a) VALUES (26, 'x')", 0)));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'C', 'Z');
        }
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(a || coalesce(' ' || b, ''), ','"
                + " ORDER BY id) FROM copies")).isEqualTo("café,été naïve,été naïve,€,表,x");
    }

    @Test
    void aStatementTheSourceMayHaveReadInAnEncodingSetEarlierInItsBatchIsLedgered() throws Exception {
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.login("postgres", mirror.database);
            // one extended-protocol batch: the source reads the INSERT after the SET ran, in LATIN1, while the proxy
            // read it when it was sent, in UTF8, the encoding the source had reported then
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (byte[] sql : List.of(bytes("SET client_encoding TO 'LATIN1'", 0),
                    bytes("INSERT INTO copies (id, a) VALUES (31, 'x", 0xE9, "')", 0))) {
                batch.writeBytes(WireClient.frame('P', WireClient.concat(new byte[] {0}, sql, new byte[] {0, 0})));
                batch.writeBytes(WireClient.frame('B', new byte[] {0, 0, 0, 0, 0, 0, 0, 0}));
                batch.writeBytes(WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}));
            }
            batch.writeBytes(WireClient.frame('S', new byte[0]));
            client.send(batch.toByteArray());
            // PostgreSQL 14 and later report the change just before ReadyForQuery, 13 as soon as the SET ran: the
            // proxy ledgers the INSERT either way
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactlyElementsOf(
                    PG.source().majorVersion() < 14 ? List.of('1', '2', 'S', 'C', '1', '2', 'C', 'Z')
                            : List.of('1', '2', 'C', '1', '2', 'C', 'S', 'Z'));
            client.send(WireClient.query("INSERT INTO copies (id, a) VALUES (32, 'ascii')"));
            client.readUntilReady();
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT a FROM copies WHERE id = 31")).isEqualTo("xé");
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(id::text, ',') FROM copies"))
                .isEqualTo("32");
        assertThat(PG.target().query(mirror.database, "SELECT message FROM tandem.divergence WHERE message LIKE"
                + " '%client_encoding changed while%'")).hasSize(1);
    }

    @Test
    void aBinaryObjectReferenceParameterIsLedgeredNotReplayedAsTheSourcesOid() throws Exception {
        String oid = PG.source().queryValue(mirror.database, "SELECT 'copies'::regclass::oid");
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.login("postgres", mirror.database);
            ByteBuffer bind = ByteBuffer.allocate(64).put(new byte[] {0, 0})
                    .putShort((short) 2).putShort((short) 0).putShort((short) 1)
                    .putShort((short) 2).putInt(2).put(bytes("51")).putInt(4).putInt((int) Long.parseLong(oid))
                    .putShort((short) 0);
            client.send(WireClient.concat(
                    // $2 is a regclass in binary: the source's OID of the table copies
                    WireClient.frame('P', WireClient.concat(bytes(0, "INSERT INTO copies (id, a) VALUES ($1::int,"
                            + " $2::text)", 0), ByteBuffer.allocate(10).putShort((short) 2).putInt(0).putInt(2205)
                            .array())),
                    WireClient.frame('B', java.util.Arrays.copyOf(bind.array(), bind.position())),
                    WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}),
                    WireClient.frame('S', new byte[0])));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type)
                    .containsExactly('1', '2', 'C', 'Z');
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT a FROM copies WHERE id = 51")).isEqualTo("copies");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM copies WHERE id = 51")).isEqualTo("0");
        assertThat(PG.target().query(mirror.database, "SELECT message FROM tandem.divergence WHERE message LIKE"
                + " '%object reference%'")).hasSize(1);
    }

    /** Strings (as ASCII) and ints (as single bytes) one after the other. */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String text) {
                out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write((Integer) part);
            }
        }
        return out.toByteArray();
    }

    @Test
    void aCopyBetweenInsertsInOneQueryStringIsOneTransactionMirroredOnce() throws Exception {
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.login("postgres", mirror.database);
            client.send(WireClient.query("INSERT INTO copies (id, a) VALUES (1, 'before');"
                    + " COPY copies (id, a) FROM STDIN; INSERT INTO copies (id, a) VALUES (3, 'after')"));
            WireClient.Message m;
            do {
                m = client.read();
            } while (m.type() != 'G');
            client.send(WireClient.frame('d', "2\tcopied\n".getBytes(StandardCharsets.UTF_8)));
            client.send(WireClient.frame('c', new byte[0]));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'C', 'Z');
            // and one that fails after its COPY: nothing of it is mirrored
            client.send(WireClient.query("COPY copies (id, a) FROM STDIN; INSERT INTO copies (id) VALUES (1)"));
            do {
                m = client.read();
            } while (m.type() != 'G');
            client.send(WireClient.frame('d', "4\trolled back\n".getBytes(StandardCharsets.UTF_8)));
            client.send(WireClient.frame('c', new byte[0]));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('C', 'E', 'Z');
        }
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(id::text, ',' ORDER BY id) FROM copies"))
                .isEqualTo("1,2,3");
    }

    @Test
    void sqlExecuteOfAPreparedInsertIsMirroredLikeTheInsert() throws Exception {
        List<String> modes = List.of("simple", "extended");
        for (int m = 0; m < modes.size(); m++) {
            int d = 10 * m;
            try (Connection c = mirror.connect("preferQueryMode", modes.get(m)); Statement s = c.createStatement()) {
                s.execute("PREPARE add (timestamptz, int, float8, text) AS INSERT INTO metrics VALUES ($1, $2, $3, $4)");
                s.execute("EXECUTE add ('2026-03-01 00:00:00+00', " + (d + 1) + ", 1.5, 'a, (b) $1')");
                c.setAutoCommit(false);
                s.execute("EXECUTE add ('2026-03-01', " + (d + 2) + ", greatest(1, (2)), concat('it''s', ',', $$x$$))");
                s.execute("INSERT INTO metrics VALUES ('2026-03-01', " + (d + 3) + ", 3, 'plain')");
                c.commit();
                s.execute("EXECUTE add ('2026-03-01', " + (d + 4) + ", 4, 'rolled back')");
                c.rollback();
                Savepoint sp = c.setSavepoint();
                s.execute("EXECUTE add ('2026-03-01', " + (d + 5) + ", 5, 'to savepoint')");
                c.rollback(sp);
                s.execute("EXECUTE add ('2026-03-01', " + (d + 6) + ", 6, 'after savepoint')");
                c.commit();
                c.setAutoCommit(true);
                // the server refuses a wrong number of arguments: nothing to mirror
                assertThatThrownBy(() -> s.execute("EXECUTE add ('2026-03-01', " + (d + 7) + ")"))
                        .isInstanceOf(SQLException.class);
                // types the server infers from the columns, and a name prepared again after DEALLOCATE
                s.execute("DEALLOCATE add");
                s.execute("PREPARE add AS INSERT INTO metrics (t, device, note) VALUES ($1, $2, 'inferred')");
                s.execute("EXECUTE add ('2026-03-02', " + (d + 8) + ")");
                s.execute("DISCARD ALL");
                s.execute("PREPARE add (int) AS INSERT INTO metrics (t, device) VALUES ('2026-03-03', $1)");
                s.execute("EXECUTE add (" + (d + 9) + ")");
            }
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics")).isEqualTo("1,2,3,6,8,9,11,12,13,16,18,19");
    }

    @Test
    void psqlSqlExecuteOfAPreparedInsertIsMirrored() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        psql(Map.of(), null, "-c",
                "PREPARE add (int, text) AS INSERT INTO metrics (t, device, note) VALUES ('2026-04-01', $1, $2);"
                        + " BEGIN; EXECUTE add (1, 'one'); ROLLBACK; EXECUTE add (2, 'two; \"2\"');"
                        + " BEGIN; EXECUTE add (3, E'three\\n'); COMMIT");
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(device::text, ',' ORDER BY device)"
                + " FROM metrics")).isEqualTo("2,3");
    }

    /**
     * pgbench's pipeline mode: each client sends a script's transactions without waiting, prepared and unprepared,
     * with one Sync at {@code \\endpipeline}. Until then the server runs what is outside BEGIN/COMMIT in an implicit
     * transaction that the next BEGIN takes over: the 'auto' row is rolled back with the 'undone' one.
     */
    @Test
    void pgbenchPipelinedTransactionsAreMirroredExactly(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("pgbench"), "pgbench is not on the PATH (CI installs postgresql)");
        Path script = dir.resolve("pipeline.sql");
        Files.writeString(script, """
                \\set n random(1, 1000000000)
                \\startpipeline
                BEGIN;
                INSERT INTO metrics VALUES ('2026-05-01'::timestamptz + :n * interval '1 ms', :client_id, :n, 'p');
                INSERT INTO metrics VALUES ('2026-05-01'::timestamptz + :n * interval '1 ms', :client_id + 100, 1, 'q');
                COMMIT;
                INSERT INTO metrics VALUES ('2026-06-01'::timestamptz + :n * interval '1 ms', :client_id, :n, 'auto');
                BEGIN;
                INSERT INTO metrics VALUES ('2026-07-01'::timestamptz + :n * interval '1 ms', :client_id, 0, 'undone');
                ROLLBACK;
                \\endpipeline
                """);
        for (String mode : List.of("extended", "prepared")) {
            List<String> command = new ArrayList<>(List.of("pgbench", "-h", "127.0.0.1", "-p",
                    String.valueOf(mirror.app.relayAddress().getPort()), "-U", "postgres", "-n", "-c", "4", "-j", "2",
                    "-t", "50", "-M", mode, "-f", script.toString(), mirror.database));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("number of transactions actually processed: 200/200");
        }
        settle();
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM metrics WHERE note = 'undone'"))
                .isEqualTo("0");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo(
                PG.source().queryValue(mirror.database, "SELECT count(*) FROM metrics"));
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM metrics WHERE note = 'auto'"))
                .isEqualTo("0");
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("800");
        mirror.assertIdentical("metrics");
    }

    @Test
    void psqlBackslashCopyIsMirrored() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        psql(Map.of(), "id,a,b\n1,\"multi\nline\",b\n2,,\n".getBytes(StandardCharsets.UTF_8), "-c",
                "\\copy copies (id, a, b) from stdin with (format csv, header)");
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM copies")).isEqualTo("2");
    }

    @Test
    void psqlInALatin1SessionIsMirroredAsTheSourceReadIt(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        Path script = dir.resolve("latin1.sql");
        // a file in LATIN1, as a legacy application's would be: 0xE9 is 'é', 0xFC 'ü'
        Files.write(script, bytes("INSERT INTO copies (id, a) VALUES (41, 'caf", 0xE9, "');\n",
                "BEGIN;\nINSERT INTO copies (id, a) VALUES (42, 'gr", 0xFC, "n') RETURNING a;\nCOMMIT;\n",
                "\\copy copies (id, a) from stdin\n43\tna", 0xEF, "ve\n\\.\n"));
        psql(Map.of("PGCLIENTENCODING", "LATIN1"), null, "-f", script.toString());
        settleCopies();
        assertThat(PG.target().queryValue(mirror.database, "SELECT string_agg(a, ',' ORDER BY id) FROM copies"))
                .isEqualTo("café,grün,naïve");
    }

    /** Runs psql through the proxy with ON_ERROR_STOP, {@code stdin} as its input (or none); it must succeed. */
    private static void psql(Map<String, String> environment, byte[] stdin, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("psql", "-h", "127.0.0.1", "-p",
                String.valueOf(mirror.app.relayAddress().getPort()), "-U", "postgres", "-d", mirror.database,
                "-v", "ON_ERROR_STOP=1"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process p = builder.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin);
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private static boolean onPath(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The scenario: 50 clients for 30 s (-Dtandem.e2e.seconds=N to run shorter or longer). */
    @Test
    void fiftyConcurrentClientsForThirtySecondsLoseAndDuplicateNothing() throws Exception {
        int clients = 50;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long until = System.nanoTime() + Duration.ofSeconds(Long.getLong("tandem.e2e.seconds", 30)).toNanos();
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int n = 0; n < clients; n++) {
                int client = n;
                done.add(pool.submit(() -> {
                    int committed = 0;
                    try (Connection c = mirror.connect(); PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
                        c.setAutoCommit(client % 2 == 0);
                        while (System.nanoTime() < until) {
                            insert(ps, ids.incrementAndGet());
                            ps.executeUpdate();
                            if (client % 2 == 1) {
                                if (committed % 5 == 4) {
                                    c.rollback();
                                } else {
                                    c.commit();
                                }
                            }
                            committed++;
                        }
                        if (client % 2 == 1) {
                            c.commit();
                        }
                    }
                    return committed;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get(2, TimeUnit.MINUTES)).isPositive();
            }
        } finally {
            pool.shutdownNow();
        }
        settle();
    }

    @Test
    void targetDownAndBackLosesAndDuplicatesNothing() throws Exception {
        try (Connection c = mirror.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
            for (int i = 0; i < 100; i++) {
                insert(ps, ids.incrementAndGet());
                ps.executeUpdate();
            }
            PG.target().stop();
            try {
                for (int i = 0; i < 300; i++) {
                    insert(ps, ids.incrementAndGet());
                    ps.executeUpdate(); // the application keeps writing while the target is down
                }
            } finally {
                PG.target().start();
            }
            for (int i = 0; i < 100; i++) {
                insert(ps, ids.incrementAndGet());
                ps.executeUpdate();
            }
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(60));
        mirror.assertIdentical("metrics");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("500");
    }

    @Test
    void aStatementTheTargetRejectsIsLedgeredAndTheMirrorMovesOn() throws Exception {
        PG.source().execute(mirror.database, "ALTER TABLE metrics ADD COLUMN extra int");
        try {
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO metrics (t, device, extra) VALUES ('2026-05-01', 1, 7)");
                s.execute("INSERT INTO metrics (t, device) VALUES ('2026-05-02', 2)");
            }
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().query(mirror.database, "SELECT sqlstate, table_name FROM tandem.divergence"
                    + " WHERE message LIKE '%extra%'")).contains(List.of("42703", "metrics"));
            assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("1");
        } finally {
            PG.source().execute(mirror.database, "ALTER TABLE metrics DROP COLUMN extra");
        }
    }
}
