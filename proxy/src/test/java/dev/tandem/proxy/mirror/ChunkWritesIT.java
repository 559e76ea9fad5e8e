package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * Writes that name a TimescaleDB chunk directly. TimescaleDB is not installable here: its chunks are stood in for by
 * child tables (as chunks are), and its catalog by views of the documented {@code timescaledb_information.hypertables}
 * and {@code .chunks} (same schema, names and columns). On the target a chunk of the same name belongs to another
 * hypertable, as chunk ids are drawn per server: a write mirrored by the chunk's name would land there.
 */
class ChunkWritesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static String database(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.pair().executeOnBoth(db, "CREATE TABLE ev (t timestamptz NOT NULL, id int, note text);"
                + " CREATE TABLE other (t timestamptz NOT NULL, id int, note text);"
                + " CREATE TABLE unmirrored (t timestamptz NOT NULL, id int, note text);"
                + " CREATE SCHEMA _timescaledb_internal;" + HypertableCatalog.CREATE
                + HypertableCatalog.hypertable(1, "public", "ev", "t")
                + HypertableCatalog.hypertable(2, "public", "other", "t")
                + HypertableCatalog.hypertable(3, "public", "unmirrored", "t"));
        PG.source().execute(db, "CREATE TABLE _timescaledb_internal._hyper_1_1_chunk () INHERITS (ev);"
                + " CREATE TABLE _timescaledb_internal._hyper_3_2_chunk () INHERITS (unmirrored);"
                + " CREATE VIEW timescaledb_information.chunks AS SELECT * FROM (VALUES"
                + " ('public'::name, 'ev'::name, '_timescaledb_internal'::name, '_hyper_1_1_chunk'::name),"
                + " ('public', 'unmirrored', '_timescaledb_internal', '_hyper_3_2_chunk'))"
                + " v(hypertable_schema, hypertable_name, chunk_schema, chunk_name)");
        PG.target().execute(db, "CREATE TABLE _timescaledb_internal._hyper_1_1_chunk () INHERITS (other)");
        return db;
    }

    @Test
    void withSourceCredentialsAWriteIntoAChunkByItsNameIsMirroredIntoItsHypertable(@TempDir Path spool)
            throws Exception {
        String db = database("chunk_writes");
        // no --mirror-table: hypertables are the default set, and 'unmirrored' is excluded
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool,
                "--set", "source.user=" + PG.source().user(), "--mirror-exclude", "public.unmirrored");
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO ev VALUES ('2026-01-01 00:00:00+00', 1, 'the hypertable')");
            s.execute("INSERT INTO _timescaledb_internal._hyper_1_1_chunk VALUES ('2026-01-01 01:00:00+00', 2,"
                    + " 'simple'), ('2026-01-01 02:00:00+00', 3, 'two rows')");
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO \"_timescaledb_internal\".\"_hyper_1_1_chunk\""
                    + " (id, t, note) VALUES (?, ?, ?)")) {
                for (int id = 4; id <= 6; id++) {
                    p.setInt(1, id);
                    p.setTimestamp(2, Timestamp.from(Instant.parse("2026-01-01T03:00:00Z").plusSeconds(id)));
                    p.setString(3, "batch");
                    p.addBatch();
                }
                p.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY _timescaledb_internal._hyper_1_1_chunk FROM STDIN",
                    new ByteArrayInputStream("2026-01-01 04:00:00+00\t7\tcopy\n".getBytes(StandardCharsets.UTF_8)));
            s.execute("SET search_path = _timescaledb_internal, public");
            s.execute("INSERT INTO _hyper_1_1_chunk VALUES ('2026-01-01 05:00:00+00', 8, 'unqualified')");
            // replayed into the hypertable, the statement still names the chunk in its RETURNING
            s.execute("INSERT INTO _hyper_1_1_chunk VALUES ('2026-01-01 05:30:00+00', 10, 'returning')"
                    + " RETURNING _hyper_1_1_chunk.id");
            s.execute("INSERT INTO _hyper_1_1_chunk VALUES ('2026-01-01 05:45:00+00', 11, 'qualified returning')"
                    + " RETURNING _timescaledb_internal._hyper_1_1_chunk.id");
            s.execute("INSERT INTO _hyper_3_2_chunk VALUES ('2026-01-01 05:00:00+00', 9, 'an excluded hypertable')");
            // not mirrored, and counted under the chunk's hypertable, as the INSERTs into it are mirrored into it
            s.execute("UPDATE _hyper_1_1_chunk SET note = 'updated' WHERE id = 8");
            s.execute("DELETE FROM _timescaledb_internal._hyper_1_1_chunk WHERE id = 2");
            // a chunk of a hypertable not mirrored: not counted
            s.execute("UPDATE _hyper_3_2_chunk SET note = 'updated' WHERE id = 9");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            awaitCounted(proxy, "public.ev", "update");
            awaitCounted(proxy, "public.ev", "delete");
            assertThat(proxy.app.registry().find("tandem.unmirrored.writes").counters())
                    .extracting(m -> m.getId().getTag("table") + "/" + m.getId().getTag("kind"))
                    .containsExactlyInAnyOrder("public.ev/update", "public.ev/delete");
            PG.source().execute(db, "UPDATE ev SET note = 'unqualified' WHERE id = 8;"
                    + " INSERT INTO _timescaledb_internal._hyper_1_1_chunk VALUES ('2026-01-01 01:00:00+00', 2,"
                    + " 'simple')"); // undone on the source, for the comparison below
        }
        assertThat(RunningMirrorProxy.contents(PG.source(), db, "ev")).hasSize(10);
        assertThat(RunningMirrorProxy.contents(PG.target(), db, "ev"))
                .isEqualTo(RunningMirrorProxy.contents(PG.source(), db, "ev"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM other")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM unmirrored")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    /**
     * Chunks not named {@code _hyper_<n>_<m>_chunk}: of a hypertable created with
     * {@code associated_schema_name => 'ev_chunks', associated_table_prefix => 'ev'}, and one {@code create_chunk} named
     * {@code archive.jan_2026}. The target's {@code _timescaledb_catalog} (stood in for with the columns read) has what
     * the schema clone copied: the hypertables' prefixes and the chunks that existed then; {@code ev_chunks.ev_9_chunk}
     * was created on the source since.
     */
    @Test
    void aWriteIntoAChunkNamedByItsHypertablesOwnPrefixOrFreelyIsMirroredIntoItsHypertable(@TempDir Path spool)
            throws Exception {
        String db = database("chunk_prefixes");
        PG.pair().executeOnBoth(db, "CREATE SCHEMA ev_chunks; CREATE SCHEMA archive;"
                + " CREATE TABLE archive.jan_2026 () INHERITS (ev);"
                + " UPDATE _timescaledb_catalog.hypertable SET associated_table_prefix = 'ev' WHERE id = 1;"
                + " CREATE TABLE _timescaledb_catalog.chunk (id int PRIMARY KEY, hypertable_id int, schema_name name,"
                + " table_name name, dropped bool NOT NULL DEFAULT false);"
                + " INSERT INTO _timescaledb_catalog.chunk VALUES (5, 1, 'archive', 'jan_2026')");
        PG.source().execute(db, "CREATE TABLE ev_chunks.ev_9_chunk () INHERITS (ev);"
                + " CREATE OR REPLACE VIEW timescaledb_information.chunks AS SELECT * FROM (VALUES"
                + " ('public'::name, 'ev'::name, 'ev_chunks'::name, 'ev_9_chunk'::name),"
                + " ('public', 'ev', 'archive', 'jan_2026'))"
                + " v(hypertable_schema, hypertable_name, chunk_schema, chunk_name)");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool,
                "--set", "source.user=" + PG.source().user());
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO ev_chunks.ev_9_chunk VALUES ('2026-01-09 00:00:00+00', 1, 'own prefix')");
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY ev_chunks.ev_9_chunk FROM STDIN",
                    new ByteArrayInputStream("2026-01-09 01:00:00+00\t2\tcopy\n".getBytes(StandardCharsets.UTF_8)));
            s.execute("INSERT INTO archive.jan_2026 VALUES ('2026-01-10 00:00:00+00', 3, 'named freely')");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
        }
        assertThat(RunningMirrorProxy.contents(PG.target(), db, "ev"))
                .isEqualTo(RunningMirrorProxy.contents(PG.source(), db, "ev")).hasSize(3);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM ONLY archive.jan_2026")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    /** Waits for the count of an unmirrored write: the source is asked for a chunk's hypertable off the event loop. */
    private static void awaitCounted(RunningMirrorProxy proxy, String table, String kind) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (count(proxy, table, kind) < 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(count(proxy, table, kind)).as(table + " " + kind).isEqualTo(1);
    }

    private static double count(RunningMirrorProxy proxy, String table, String kind) {
        var c = proxy.app.registry().find("tandem.unmirrored.writes").tag("table", table).tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }

    /** A transaction the mirror applies again, after an attempt the target failed, is counted once. */
    @Test
    void aChunkWriteAppliedAgainAfterAFailedAttemptCountsOnce(@TempDir Path spool) throws Exception {
        String db = database("chunk_writes_applied_again");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.ev");
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO ev VALUES ('2026-01-01 00:00:00+00', 1, 'the hypertable')");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            // the target refuses the mirror's next progress update once (a sequence is not rolled back): the group
            // fails, and the mirror applies it again on a new connection
            PG.target().execute(db, "CREATE SEQUENCE fail_once; CREATE FUNCTION fail_once() RETURNS trigger"
                    + " LANGUAGE plpgsql AS $$ BEGIN IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'once'; END IF;"
                    + " RETURN NEW; END $$; CREATE TRIGGER fail_once BEFORE UPDATE ON tandem.mirror_progress"
                    + " FOR EACH ROW WHEN (NEW.sequence > OLD.sequence) EXECUTE FUNCTION fail_once()");
            s.execute("INSERT INTO _timescaledb_internal._hyper_1_1_chunk VALUES ('2026-01-01 01:00:00+00', 2,"
                    + " 'a chunk'), ('2026-01-01 02:00:00+00', 3, 'two rows')");
            s.execute("INSERT INTO ev VALUES ('2026-01-01 03:00:00+00', 4, 'after it')");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(proxy.app.registry().get("tandem.mirror.retries").counter().count()).isEqualTo(1);
            assertThat(proxy.app.registry().get("tandem.mirror.transactions")
                    .tag("table", "_timescaledb_internal._hyper_1_1_chunk").tag("outcome", "chunk_unmapped")
                    .counter().count()).isEqualTo(1);
            assertThat(proxy.app.registry().get("tandem.mirror.rows")
                    .tag("table", "_timescaledb_internal._hyper_1_1_chunk").tag("outcome", "chunk_unmapped")
                    .counter().count()).isEqualTo(2);
        }
        assertThat(PG.target().query(db, "SELECT id FROM ev ORDER BY id")).containsExactly(List.of("1"), List.of("4"));
    }

    @Test
    void withoutSourceCredentialsAWriteIntoAChunkIsCountedAndNotMirroredByItsName(@TempDir Path spool)
            throws Exception {
        String db = database("chunk_writes_unmapped");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.ev");
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO ev VALUES ('2026-01-01 00:00:00+00', 1, 'the hypertable')");
            s.execute("BEGIN; INSERT INTO _timescaledb_internal._hyper_1_1_chunk VALUES ('2026-01-01 01:00:00+00', 2,"
                    + " 'a chunk'); INSERT INTO _timescaledb_internal._hyper_1_1_chunk VALUES"
                    + " ('2026-01-01 02:00:00+00', 3, 'same transaction'); COMMIT");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(proxy.app.registry().get("tandem.mirror.transactions")
                    .tag("table", "_timescaledb_internal._hyper_1_1_chunk").tag("outcome", "chunk_unmapped")
                    .counter().count()).isEqualTo(1);
            // the rows that did not reach the target: both statements' (tandem_mirror_rows_total)
            assertThat(proxy.app.registry().get("tandem.mirror.rows")
                    .tag("table", "_timescaledb_internal._hyper_1_1_chunk").tag("outcome", "chunk_unmapped")
                    .counter().count()).isEqualTo(2);
            // without the source's catalog, a write it does not mirror counts under the chunk's own name
            s.execute("UPDATE _timescaledb_internal._hyper_1_1_chunk SET note = 'updated' WHERE id = 2");
            awaitCounted(proxy, "_timescaledb_internal._hyper_1_1_chunk", "update");
        }
        assertThat(PG.target().query(db, "SELECT id FROM ev")).containsExactly(List.of("1"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM other")).isEqualTo("0");
    }
}
