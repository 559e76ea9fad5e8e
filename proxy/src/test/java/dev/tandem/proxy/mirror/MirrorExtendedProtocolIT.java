package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The extended-protocol paths of the mirror, driven by pgjdbc through the whole proxy: RETURNING, Execute with a row
 * limit (PortalSuspended), failing batches, COPY between prepared statements, ON CONFLICT. Every scenario ends by
 * comparing the full contents of source and target.
 */
class MirrorExtendedProtocolIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    /** No key: a row mirrored twice shows up as two rows in the comparison. */
    static final String EV = "public.ev";
    /** A primary key: for conflicts. */
    static final String PK = "public.pk";

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "mirror_ext", started -> mirror = started)
            .tables("CREATE TABLE ev (id int NOT NULL, v text); CREATE TABLE pk (id int PRIMARY KEY, v text)")
            // visible to RETURNING on the source only: tells the source's rows from anything the target computed
            .prepared(db -> PG.source().execute(db, "ALTER DATABASE " + db + " SET tandem_test.side = 'source'"))
            .flags("--mirror-table", EV, "--mirror-table", PK)
            .emptiedBeforeEach("ev, pk");

    private static void settle(String table) throws InterruptedException {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical(table);
    }

    private static String count(String table) {
        return PG.target().queryValue(mirror.database, "SELECT count(*) FROM " + table);
    }

    private static List<List<String>> rows(ResultSet rs) throws SQLException {
        return PgServer.rows(rs);
    }

    /** A counter of the proxy's registry (plain or function counter); 0 when it was never created. */
    private static double metric(String name, String... tags) {
        MeterRegistry r = mirror.app.registry();
        var c = r.find(name).tags(tags).counter();
        if (c != null) {
            return c.count();
        }
        var f = r.find(name).tags(tags).functionCounter();
        return f == null ? 0 : f.count();
    }

    private static double inserts() {
        return metric("tandem.statements", "kind", "insert");
    }

    private static double suspended() {
        return metric("tandem.relay.messages", "direction", "source_to_client", "type", "PortalSuspended");
    }

    private static double applied(String table) {
        return metric("tandem.mirror.transactions", "table", table, "outcome", "applied");
    }

    private static double appliedRows(String table) {
        return metric("tandem.mirror.rows", "table", table, "outcome", "applied");
    }

    private static double mismatches(String table) {
        return metric("tandem.mirror.row.count.mismatches", "table", table);
    }

    // ---- 1. INSERT ... RETURNING ------------------------------------------------------------------------------------

    @Test
    void insertReturningGivesTheClientTheSourcesRowsAndTheTargetEachRowOnce() throws Exception {
        String returning = " RETURNING id, v, current_setting('tandem_test.side', true)";
        try (Connection c = mirror.connect("preferQueryMode", "simple"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("INSERT INTO ev VALUES (1, 'a'), (2, 'b')" + returning)) {
            assertThat(rows(rs)).containsExactly(List.of("1", "a", "source"), List.of("2", "b", "source"));
        }
        try (Connection c = mirror.connect("preferQueryMode", "extended", "prepareThreshold", "1");
             PreparedStatement ps = c.prepareStatement("INSERT INTO ev VALUES (?, ?)" + returning)) {
            for (int id = 3; id <= 5; id++) { // named server-side statement from the second execution on
                ps.setInt(1, id);
                ps.setString(2, "p" + id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rows(rs)).containsExactly(List.of(String.valueOf(id), "p" + id, "source"));
                }
            }
            c.setAutoCommit(false);
            ps.setInt(1, 6);
            ps.setString(2, "tx");
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rows(rs)).containsExactly(List.of("6", "tx", "source"));
            }
            c.commit();
        }
        // pgjdbc's generated keys: it appends RETURNING itself
        try (Connection c = mirror.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO ev VALUES (?, ?)", new String[] {"id", "v"})) {
            ps.setInt(1, 7);
            ps.setString(2, "keys");
            assertThat(ps.executeUpdate()).isEqualTo(1);
            try (ResultSet keys = ps.getGeneratedKeys()) {
                assertThat(rows(keys)).containsExactly(List.of("7", "keys"));
            }
        }
        settle(EV);
        assertThat(count(EV)).isEqualTo("7");
    }

    /**
     * PostgreSQL 18's RETURNING of the old and the new row ({@code old.v}, {@code new.v}, and under names of the
     * statement's own choosing with {@code RETURNING WITH (OLD AS o, NEW AS n)}) in an upsert, in each protocol mode.
     * The statement is replayed with its RETURNING clause, which a target before 18 rejects (README).
     */
    @Test
    void anUpsertReturningTheOldAndTheNewRowIsMirrored() throws Exception {
        assumeTrue(PG.source().majorVersion() >= 18 && PG.target().majorVersion() >= 18,
                "RETURNING old and new came with PostgreSQL 18");
        int id = 0;
        for (String mode : List.of("simple", "extended", "extendedForPrepared")) {
            try (Connection c = mirror.connect("preferQueryMode", mode, "prepareThreshold", "1")) {
                for (String returning : List.of("RETURNING old.v, new.v", "RETURNING WITH (OLD AS o, NEW AS n) o.v, n.v")) {
                    id++;
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO pk VALUES (?, ?) ON CONFLICT (id)"
                            + " DO UPDATE SET v = pk.v || '+' || excluded.v " + returning)) {
                        for (String v : List.of("first", "second")) {
                            ps.setInt(1, id);
                            ps.setString(2, v);
                            try (ResultSet rs = ps.executeQuery()) {
                                assertThat(rows(rs)).containsExactly(v.equals("first")
                                        ? Arrays.asList(null, "first") : List.of("first", "first+second"));
                            }
                        }
                    }
                }
            }
        }
        settle(PK);
        assertThat(count(PK)).isEqualTo("6");
    }

    // ---- 2. Execute with a row limit: PortalSuspended --------------------------------------------------------------

    @Test
    void aSuspendedInsertReturningIsMirroredOnceAfterCommitAndCountedOnce() throws Exception {
        double suspendedBefore = suspended();
        double insertsBefore = inserts();
        double appliedBefore = applied(EV);
        double rowsBefore = appliedRows(EV);
        try (Connection c = mirror.connect("preferQueryMode", "extended");
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO ev VALUES (?, 'a'), (?, 'b'), (?, 'c') RETURNING id, v")) {
            c.setAutoCommit(false);
            ps.setFetchSize(1); // a named portal, Execute with max rows 1, then one Execute per row
            for (int i = 1; i <= 3; i++) {
                ps.setInt(i, i);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rows(rs)).containsExactly(List.of("1", "a"), List.of("2", "b"), List.of("3", "c"));
            }
            assertThat(suspended() - suspendedBefore).as("the portal was suspended").isGreaterThanOrEqualTo(3);
            assertThat(inserts() - insertsBefore).as("the INSERT counted once").isEqualTo(1);
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(count(EV)).as("nothing mirrored before the commit").isEqualTo("0");
            c.commit();
        }
        settle(EV);
        assertThat(count(EV)).isEqualTo("3");
        assertThat(applied(EV) - appliedBefore).as("one transaction applied").isEqualTo(1);
        assertThat(appliedRows(EV) - rowsBefore).as("three rows applied").isEqualTo(3);
    }

    @Test
    void aSuspendedInsertReturningClosedEarlyIsMirroredOnceAndOneRolledBackNotAtAll() throws Exception {
        try (Connection c = mirror.connect("preferQueryMode", "extended");
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO ev VALUES (?, 'a'), (?, 'b'), (?, 'c') RETURNING id, v")) {
            c.setAutoCommit(false);
            ps.setFetchSize(1);
            for (int i = 1; i <= 3; i++) {
                ps.setInt(i, 10 + i);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue(); // one row read, the portal closed with two left in it
            }
            c.commit(); // all three rows were inserted by the first Execute
            for (int i = 1; i <= 3; i++) {
                ps.setInt(i, 20 + i);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
            }
            c.rollback();
        }
        settle(EV);
        assertThat(PG.source().queryValue(mirror.database, "SELECT string_agg(id::text, ',' ORDER BY id) FROM ev"))
                .isEqualTo("11,12,13");
        assertThat(count(EV)).isEqualTo("3");
    }

    /**
     * A suspended INSERT is still an INSERT that computed now() on the server: tandem_statements_total and
     * tandem_nondeterministic_inserts_total must count it once, as they do when the same statement is not suspended,
     * whether its rows are all fetched (the CommandComplete comes for a later Execute) or its portal is closed before
     * the last row (no CommandComplete at all).
     */
    @Test
    void aSuspendedInsertReturningIsCountedLikeAnyInsert() throws Exception {
        double insertsBefore = inserts();
        double nondeterministicBefore = metric("tandem.nondeterministic.inserts", "table", EV);
        try (Connection c = mirror.connect("preferQueryMode", "extended");
             PreparedStatement ps = c.prepareStatement("INSERT INTO ev VALUES (?, 'a'),"
                     + " (?, CASE WHEN now() IS NULL THEN 'never' ELSE 'b' END) RETURNING id, v")) {
            c.setAutoCommit(false);
            ps.setFetchSize(1);
            ps.setInt(1, 1);
            ps.setInt(2, 2);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rows(rs)).hasSize(2); // all fetched
            }
            ps.setInt(1, 3);
            ps.setInt(2, 4);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue(); // the portal is closed with one row left in it
            }
            c.commit();
        }
        settle(EV);
        assertThat(count(EV)).isEqualTo("4");
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(inserts() - insertsBefore).as("tandem_statements_total{kind=insert}").isEqualTo(2);
            soft.assertThat(metric("tandem.nondeterministic.inserts", "table", EV) - nondeterministicBefore)
                    .as("tandem_nondeterministic_inserts_total{table=public.ev}").isEqualTo(2);
        });
    }

    // ---- 3. a failing batch -----------------------------------------------------------------------------------------

    @Test
    void aBatchWithAFailingStatementMirrorsNothingOfItsTransactionAndEverythingCommittedBefore() throws Exception {
        for (String rewrite : List.of("false", "true")) {
            int base = rewrite.equals("true") ? 1000 : 0;
            try (Connection c = mirror.connect("reWriteBatchedInserts", rewrite);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO pk VALUES (?, ?)")) {
                // autocommit: the batch is one implicit transaction up to pgjdbc's Sync
                addBatch(ps, base + 1, base + 2, base + 3);
                ps.executeBatch();
                addBatch(ps, base + 4, base + 5, base + 2, base + 6); // base + 2 is a duplicate key
                assertThatThrownBy(ps::executeBatch).isInstanceOf(BatchUpdateException.class);
                // explicit transaction: committed rows, then a failing batch, then COMMIT (answered ROLLBACK)
                c.setAutoCommit(false);
                addBatch(ps, base + 7, base + 8);
                ps.executeBatch();
                c.commit();
                addBatch(ps, base + 9, base + 10, base + 7, base + 11);
                assertThatThrownBy(ps::executeBatch).isInstanceOf(BatchUpdateException.class);
                try {
                    c.commit();
                } catch (SQLException rolledBack) {
                    // pgjdbc reports that the server answered COMMIT with ROLLBACK
                }
                addBatch(ps, base + 12);
                ps.executeBatch();
                c.commit();
            }
        }
        // a Statement batch in the simple protocol: pgjdbc sends one Query per statement, so the ones before the
        // failing statement commit on their own
        try (Connection c = mirror.connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.addBatch("INSERT INTO pk VALUES (2001, 'x')");
            s.addBatch("INSERT INTO pk VALUES (2002, 'x')");
            s.addBatch("INSERT INTO pk VALUES (1, 'dup')");
            assertThatThrownBy(s::executeBatch).isInstanceOf(BatchUpdateException.class);
            s.execute("INSERT INTO pk VALUES (2003, 'y')");
        }
        settle(PK);
        assertThat(PG.source().queryValue(mirror.database, "SELECT string_agg(id::text, ',' ORDER BY id) FROM pk"))
                .as("what the source committed")
                .isEqualTo("1,2,3,7,8,12,1001,1002,1003,1007,1008,1012,2001,2002,2003");
    }

    private static void addBatch(PreparedStatement ps, int... ids) throws SQLException {
        for (int id : ids) {
            ps.setInt(1, id);
            ps.setString(2, "r" + id);
            ps.addBatch();
        }
    }

    // ---- 4. COPY between extended-protocol statements ---------------------------------------------------------------

    @Test
    void copyInASessionThatAlsoUsesNamedPreparedStatementsIsMirroredOnce() throws Exception {
        try (Connection c = mirror.connect("preferQueryMode", "extended", "prepareThreshold", "1");
             PreparedStatement ps = c.prepareStatement("INSERT INTO ev VALUES (?, ?)")) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            insert(ps, 1, 2, 3);
            copyIn(copy, 100, 50);
            insert(ps, 4, 5); // the named statement from before the COPY
            c.setAutoCommit(false);
            insert(ps, 6);
            copyIn(copy, 200, 50);
            insert(ps, 7);
            c.commit();
            insert(ps, 8);
            copyIn(copy, 300, 50);
            c.rollback();
            c.setAutoCommit(true);
            copyIn(copy, 400, 10);
            insert(ps, 9);
        }
        settle(EV);
        assertThat(count(EV)).as("8 INSERTs and 110 copied rows committed").isEqualTo("118");
    }

    private static void insert(PreparedStatement ps, int... ids) throws SQLException {
        for (int id : ids) {
            ps.setInt(1, id);
            ps.setString(2, "ps" + id);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private static void copyIn(CopyManager copy, int from, int n) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < from + n; i++) {
            text.append(i).append("\tcopy ").append(i).append('\n');
        }
        assertThat(copy.copyIn("COPY ev FROM STDIN", new ByteArrayInputStream(
                text.toString().getBytes(StandardCharsets.UTF_8)))).isEqualTo(n);
    }

    // ---- 5. ON CONFLICT DO NOTHING with a conflict on the source only -----------------------------------------------

    /**
     * The README: ON CONFLICT statements are replayed as sent, and a target row count that differs from the source's
     * is counted in tandem_mirror_row_count_mismatches_total. The pre-inserted row has the values the statement
     * would insert, so both sides end up equal although the target inserted one row more.
     */
    @Test
    void onConflictDoNothingConflictingOnTheSourceOnlyCountsAMismatch() throws Exception {
        PG.source().execute(mirror.database, "INSERT INTO pk VALUES (2, 'b')");
        PG.pair().executeOnBoth(mirror.database, "INSERT INTO pk VALUES (4, 'd')");
        double before = mismatches(PK);
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("INSERT INTO pk VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')"
                    + " ON CONFLICT DO NOTHING")).as("the source's count").isEqualTo(2);
        }
        settle(PK);
        assertThat(mismatches(PK) - before).as("source 2 rows, target 3").isEqualTo(1);
        // a conflict on both sides: the counts agree
        try (Connection c = mirror.connect("preferQueryMode", "extended");
             PreparedStatement ps = c.prepareStatement("INSERT INTO pk VALUES (?, 'd'), (?, 'e') ON CONFLICT (id)"
                     + " DO NOTHING")) {
            ps.setInt(1, 4);
            ps.setInt(2, 5);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        settle(PK);
        assertThat(mismatches(PK) - before).as("no further mismatch").isEqualTo(1);
        assertThat(count(PK)).isEqualTo("5");
    }
}
