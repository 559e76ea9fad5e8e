package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxy restarted on the same spool with another {@code target.databases} mapping (restart walkthrough: the records
 * that waited went to the new target database, and so did those its old one had applied that a segment file still
 * held, duplicating them there).
 */
class MappingChangeIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String STOPPED_AT = "SELECT (stopped_at IS NOT NULL)::text FROM tandem.mirror_progress"
            + " WHERE instance_id = 'tandem'";

    @TempDir
    Path spool;

    private RunningMirrorProxy start(String source, String... mapping) throws Exception {
        String[] args = new String[2 + 2 * mapping.length];
        args[0] = "--mirror-table";
        args[1] = "public.t";
        for (int i = 0; i < mapping.length; i++) {
            args[2 + 2 * i] = "--set";
            args[3 + 2 * i] = "target.databases." + mapping[i];
        }
        return RunningMirrorProxy.start(PG.pair(), source, spool, args);
    }

    @Test
    void aChangeWithTransactionsWaitingForTheOldTargetIsRefusedUntilTheyAreApplied() throws Exception {
        String app = table(PG.pair().freshDatabase("map_app"));
        String oldDb = "map_old_" + app; // created on the target only later: its transactions wait meanwhile
        String newDb = table(PG.pair().freshDatabase("map_new"));
        try (RunningMirrorProxy proxy = start(app, app + "=" + oldDb)) {
            insert(proxy, app, 1, 3);
        }
        assertThatThrownBy(() -> start(app, app + "=" + newDb).close())
                .isInstanceOf(MappingChangedException.class)
                .hasMessageContaining("source database '" + app + "' was mirrored into target database '" + oldDb
                        + "' and target.databases now sends it to '" + newDb + "', but 3 of its transactions")
                .hasMessageContaining("target.databases." + app + "=" + oldDb)
                .hasMessageContaining("move or empty " + spool.toAbsolutePath());
        assertThat(count(newDb)).isZero();

        // the first way out: the old mapping until drained, a clean stop, then the new one
        PG.target().execute("postgres", "CREATE DATABASE " + oldDb);
        table(PG.target(), oldDb);
        try (RunningMirrorProxy proxy = start(app, app + "=" + oldDb)) {
            awaitRows(oldDb, 3);
        }
        try (RunningMirrorProxy proxy = start(app, app + "=" + newDb)) {
            insert(proxy, app, 4, 4);
            awaitRows(newDb, 1);
        }
        assertThat(ids(oldDb)).containsExactly("1", "2", "3");
        assertThat(ids(newDb)).containsExactly("4");
    }

    @Test
    void recordsTheOldTargetAppliedThatSegmentsStillHoldAreNotAppliedToTheNewOneAcrossRestarts() throws Exception {
        String app = table(PG.pair().freshDatabase("map_app"));
        String oldDb = table(PG.pair().freshDatabase("map_old"));
        String newDb = table(PG.pair().freshDatabase("map_new"));
        // a database the target lacks: its transaction keeps app's later ones in the spool's segments, applied
        String other = table(PG.pair().freshDatabase("map_other"));
        String missing = "map_missing_" + other;
        try (RunningMirrorProxy proxy = start(app, app + "=" + oldDb, other + "=" + missing)) {
            insert(proxy, other, 1, 1);
            insert(proxy, app, 1, 5);
            awaitRows(oldDb, 5);
        }
        // the stop marked the old target database stopped cleanly (the parked one not)
        assertThat(PG.target().query(oldDb, STOPPED_AT)).containsExactly(List.of("true"));
        // the operator copied the old database into the new one before switching
        PG.target().execute(newDb, "INSERT INTO t SELECT * FROM generate_series(1, 5)");

        try (RunningMirrorProxy proxy = start(app, app + "=" + newDb, other + "=" + missing)) {
            insert(proxy, app, 6, 7);
            awaitRows(newDb, 7);
        }
        try (RunningMirrorProxy proxy = start(app, app + "=" + newDb, other + "=" + missing)) {
            insert(proxy, app, 8, 8);
            awaitRows(newDb, 8);
            // no longer mapped: its row still says the instance stopped there, the starts since did not clear it
            assertThat(PG.target().query(oldDb, STOPPED_AT)).containsExactly(List.of("true"));
        }
        assertThat(ids(newDb)).as("each row once in the new target database")
                .containsExactly("1", "2", "3", "4", "5", "6", "7", "8");
        assertThat(ids(oldDb)).containsExactly("1", "2", "3", "4", "5");
    }

    private static String table(String database) {
        PG.pair().executeOnBoth(database, "CREATE TABLE t (id int)");
        return database;
    }

    private static void table(dev.tandem.testing.PgServer server, String database) {
        server.execute(database, "CREATE TABLE t (id int)");
    }

    private static List<String> ids(String targetDatabase) {
        return PG.target().query(targetDatabase, "SELECT id::text FROM t ORDER BY id").stream().map(r -> r.get(0))
                .toList();
    }

    private static long count(String targetDatabase) {
        return Long.parseLong(PG.target().query(targetDatabase, "SELECT count(*) FROM t").get(0).get(0));
    }

    /** Waits until the target database holds at least {@code rows} rows; the assertions after say which. */
    private static void awaitRows(String targetDatabase, long rows) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count(targetDatabase) < rows) {
            assertThat(System.nanoTime()).as("%s holds %d rows within 60 s", targetDatabase, rows)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** One autocommit INSERT per id into {@code database}, through the proxy. */
    private static void insert(RunningMirrorProxy proxy, String database, int from, int to) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                        + proxy.app.relayAddress().getPort() + "/" + database, PG.source().user(),
                PG.source().password());
             PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (?)")) {
            for (int id = from; id <= to; id++) {
                insert.setInt(1, id);
                insert.executeUpdate();
            }
        }
    }
}
