package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * A transaction creates, drops, renames or moves a table named like the mirrored {@code public.metrics} in a schema its
 * {@code search_path} lists first, then writes the unqualified name: the source writes the table the DDL left first
 * along the path. The proxy's catalog (the source's, with {@code source.user}) is looked up again only after the
 * commit, in the background: before, the capture resolved such writes by the catalog as it was before the DDL, and the
 * mirror replayed rows the source wrote into {@code tenant_a.metrics} into the target's {@code public.metrics}, or
 * left out rows the source wrote into {@code public.metrics} once the table hiding it was dropped, also for writes
 * right after the commit, until the look-up had landed. Each scenario has a tenant schema of its own (on both servers,
 * empty unless it says otherwise), so none depends on another's DDL.
 */
class TransactionDdlNamesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "ddl_names", started -> mirror = started)
            .tables("CREATE TABLE metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE SCHEMA tenant_c; CREATE SCHEMA tenant_d;"
                    + " CREATE SCHEMA tenant_e; CREATE TABLE tenant_e.metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant_f; CREATE TABLE tenant_f.metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant_h; CREATE TABLE tenant_h.metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant_i;"
                    + " CREATE SCHEMA tenant_j; CREATE TABLE tenant_j.metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant_k; CREATE TABLE tenant_k.metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant_l; CREATE TABLE tenant_l.metrics (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA archive")
            .flags("--mirror-table", "public.metrics")
            .withSourceUser()
            .emptiedBeforeEach("metrics");

    @BeforeEach
    void emptyLedger() throws InterruptedException {
        PG.target().execute(mirror.database, "DO $$ BEGIN DELETE FROM tandem.divergence;"
                + " EXCEPTION WHEN undefined_table THEN END $$"); // the mirror creates it with its first write
        // the DDL of the test before counts for every session until the source's catalog has it: a CREATE TABLE
        // metrics it could not place ledgered the next test's unqualified writes of that name (seen in a CI run)
        mirror.app.awaitSourceCatalog();
    }

    /**
     * Simple protocol: the rows the source writes into the new {@code tenant_a.metrics} are not mirrored, in the
     * transaction that creates it and right after its commit, in the same session and another; the qualified write
     * into {@code public.metrics} in between is.
     */
    @Test
    void aTableCreatedInTheTransactionTakesItsUnqualifiedWrites() throws Exception {
        try (Connection c = connect("tenant_a", "preferQueryMode", "simple");
             Connection other = connect("tenant_a", "preferQueryMode", "simple");
             Statement s = c.createStatement(); Statement o = other.createStatement()) {
            s.execute("BEGIN; CREATE TABLE tenant_a.metrics (LIKE public.metrics INCLUDING ALL);"
                    + " INSERT INTO metrics VALUES (1, 'tenant a, same query string'); COMMIT");
            s.execute("BEGIN");
            s.execute("CREATE TABLE tenant_a.metrics_2 (LIKE public.metrics)");
            s.execute("INSERT INTO metrics VALUES (2, 'tenant a, after an unrelated CREATE')");
            s.execute("INSERT INTO public.metrics VALUES (100, 'qualified: shared')");
            s.execute("COMMIT");
            s.execute("INSERT INTO metrics VALUES (3, 'tenant a, right after the commit')");
            o.execute("INSERT INTO metrics VALUES (4, 'tenant a, another session right after the commit')");
        }
        assertRows("tenant_a.metrics", 1, 2, 3, 4);
        assertMirroredAndNothingLedgered(100);
    }

    /**
     * A CREATE in a transaction of its own, then at once a write of another session: the proxy's look-up of the
     * source's catalog, asked for at the commit, runs in the background and may not have landed, so the write is
     * resolved by the DDL the commit handed on.
     */
    @Test
    void aTableCreatedByACommittedStatementTakesTheWritesRightAfterIt() throws Exception {
        try (Connection c = connect("tenant_i"); Connection other = connect("tenant_i");
             Statement s = c.createStatement(); Statement o = other.createStatement()) {
            for (int id = 1; id <= 3; id++) {
                s.execute("CREATE TABLE tenant_i.metrics_" + id + " (LIKE public.metrics INCLUDING ALL)");
                s.execute("ALTER TABLE tenant_i.metrics_" + id + " RENAME TO metrics");
                o.execute("INSERT INTO metrics VALUES (" + id + ", 'tenant i, another session right after')");
                s.execute("DROP TABLE tenant_i.metrics");
                o.execute("INSERT INTO metrics VALUES (" + (10 + id) + ", 'shared, another session right after')");
            }
        }
        assertMirroredAndNothingLedgered(11, 12, 13);
    }

    /**
     * Extended protocol (pgjdbc's prepared statements and COPY): created in the transaction, written by an INSERT and
     * a COPY in it and after its commit.
     */
    @Test
    void aTableCreatedInTheTransactionTakesItsPreparedWritesAndCopies() throws Exception {
        try (Connection c = connect("tenant_b"); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("CREATE TABLE tenant_b.metrics (LIKE public.metrics INCLUDING ALL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO metrics VALUES (?, ?)")) {
                insert(insert, 1, "tenant b, prepared");
                copy(c, 2, "tenant b, copied");
                c.commit();
                c.setAutoCommit(true);
                insert(insert, 3, "tenant b, prepared right after the commit");
                copy(c, 4, "tenant b, copied right after the commit");
            }
        }
        assertRows("tenant_b.metrics", 1, 2, 3, 4);
        assertMirroredAndNothingLedgered();
    }

    /**
     * Created after a savepoint, written, rolled back to the savepoint: the table is gone, and the writes after it
     * reach {@code public.metrics} again, mirrored. Created again and dropped after another savepoint, rolled back to
     * that one: the table is back and takes the writes again, also after the commit.
     */
    @Test
    void aRollbackToASavepointUndoesTheTablesDdl() throws Exception {
        try (Connection c = connect("tenant_c"); Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO metrics VALUES (?, ?)")) {
            c.setAutoCommit(false);
            insert(insert, 1, "shared, before the savepoint");
            Savepoint beforeTenant = c.setSavepoint("before_tenant");
            s.execute("CREATE TABLE tenant_c.metrics (LIKE public.metrics INCLUDING ALL)");
            insert(insert, 2, "tenant c, rolled back");
            c.rollback(beforeTenant);
            insert(insert, 3, "shared, after the rollback to the savepoint");
            copy(c, 4, "shared, copied after the rollback");
            s.execute("CREATE TABLE tenant_c.metrics (LIKE public.metrics INCLUDING ALL)");
            s.execute("INSERT INTO metrics VALUES (5, 'tenant c, created again')");
            Savepoint beforeDrop = c.setSavepoint("before_drop");
            s.execute("DROP TABLE tenant_c.metrics");
            insert(insert, 6, "shared, rolled back");
            c.rollback(beforeDrop);
            insert(insert, 7, "tenant c, the drop rolled back");
            copy(c, 8, "tenant c, copied after the drop was rolled back");
            c.commit();
            c.setAutoCommit(true);
            s.execute("INSERT INTO metrics VALUES (9, 'tenant c, after the commit')");
        }
        assertRows("tenant_c.metrics", 5, 7, 8, 9);
        assertMirroredAndNothingLedgered(1, 3, 4);
    }

    /** {@code CREATE TABLE metrics} without a schema: PostgreSQL creates it in the first schema of the path. */
    @Test
    void anUnqualifiedCreateTakesTheWritesOfItsName() throws Exception {
        try (Connection c = connect("tenant_d", "preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("BEGIN; CREATE TABLE metrics (LIKE public.metrics INCLUDING ALL);"
                    + " INSERT INTO metrics VALUES (1, 'tenant d'); COMMIT");
            s.execute("INSERT INTO metrics VALUES (2, 'tenant d, right after the commit')");
            s.execute("CREATE TABLE IF NOT EXISTS metrics (id int PRIMARY KEY, v text)"); // there already
            s.execute("INSERT INTO metrics VALUES (3, 'tenant d, after a CREATE that did nothing')");
        }
        assertRows("tenant_d.metrics", 1, 2, 3);
        assertMirroredAndNothingLedgered();
    }

    /**
     * The table that hides {@code public.metrics} is dropped in the transaction (it stays on the target): the writes
     * after the DROP are the shared table's, mirrored into it with the schema written out.
     */
    @Test
    void aDroppedTableNoLongerHidesTheSharedOne() throws Exception {
        writeAroundADrop("tenant_e", "5");
    }

    /**
     * As {@link #aDroppedTableNoLongerHidesTheSharedOne}, with a named statement planned against the dropped table:
     * the DROP makes the source plan it again.
     */
    @Test
    void aNamedStatementWhoseTableIsDroppedWritesTheSharedOne() throws Exception {
        writeAroundADrop("tenant_h", "1");
    }

    private static void writeAroundADrop(String tenant, String prepareThreshold) throws Exception {
        try (Connection c = connect(tenant, "prepareThreshold", prepareThreshold); Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO metrics VALUES (?, ?)")) {
            c.setAutoCommit(false);
            insert(insert, 1, "the tenant's, before the drop");
            s.execute("DROP TABLE " + tenant + ".metrics");
            insert(insert, 2, "shared, after the drop");
            s.execute("INSERT INTO metrics VALUES (3, 'shared, simple statement after the drop')");
            copy(c, 4, "shared, copied after the drop");
            c.commit();
            c.setAutoCommit(true);
            insert(insert, 5, "shared, after the commit");
        }
        assertMirroredAndNothingLedgered(2, 3, 4, 5);
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM " + tenant + ".metrics"))
                .isEqualTo("0");
    }

    /**
     * One pipelined batch (pgjdbc sends every statement's Parse, Bind and Execute, then one Sync) drops or renames the
     * table that hides {@code public.metrics} and then writes the unqualified name: the source runs each INSERT after
     * the DDL before it, into {@code public.metrics}. The proxy reads an INSERT's Bind before the source answered that
     * DDL; before, it resolved the name then, to the tenant's table, kept no values, and the rows were neither
     * mirrored nor ledgered. A batch of plain statements, and one prepared statement of several, whose INSERT has
     * parameters.
     */
    @Test
    void aWriteBatchedBehindDdlThatUnhidesTheSharedTableIsMirrored() throws Exception {
        try (Connection c = connect("tenant_j"); Statement s = c.createStatement()) {
            s.addBatch("DROP TABLE tenant_j.metrics");
            s.addBatch("INSERT INTO metrics VALUES (1, 'shared, batched behind the drop')");
            s.executeBatch();
        }
        try (Connection c = connect("tenant_k"); PreparedStatement batch = c.prepareStatement(
                "ALTER TABLE tenant_k.metrics RENAME TO metrics_retired; INSERT INTO metrics VALUES (?, ?)")) {
            batch.setInt(1, 2);
            batch.setString(2, "shared, behind the rename in one prepared statement");
            batch.execute();
        }
        assertMirroredAndNothingLedgered(1, 2);
    }

    /**
     * A DO block that sets the path, then the unqualified write in the same pipelined batch: the source writes
     * {@code public.metrics}. The proxy reads the INSERT's Bind before the source answered the block, and does not
     * follow what the block set, only that it set the path: the write is ledgered under {@code public.metrics}.
     * Before, a DO was no change of what names mean to the proxy: it resolved the Bind to the tenant's table as it
     * read it, kept no values, and the row was neither mirrored nor ledgered.
     */
    @Test
    void aWriteBatchedBehindADoBlockThatSetsThePathIsLedgered() throws Exception {
        try (Connection c = connect("tenant_l"); Statement s = c.createStatement()) {
            s.addBatch("DO $$ BEGIN PERFORM set_config('search_path', 'public', false); END $$");
            s.addBatch("INSERT INTO metrics VALUES (1, 'shared, batched behind a DO that set the path')");
            s.executeBatch();
        }
        assertRows("public.metrics", 1);
        assertRows("tenant_l.metrics");
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database,
                "SELECT table_schema || '.' || table_name FROM tandem.divergence"))
                .containsExactly(List.of("public.metrics"));
    }

    /** Renamed away, renamed back, moved to another schema: each write goes where the DDL before it left the name. */
    @Test
    void aRenamedOrMovedTableTakesTheWritesOfItsNewName() throws Exception {
        try (Connection c = connect("tenant_f"); Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO metrics VALUES (?, ?)")) {
            c.setAutoCommit(false);
            s.execute("ALTER TABLE tenant_f.metrics RENAME TO metrics_retired");
            insert(insert, 1, "shared, the tenant's table renamed away");
            s.execute("ALTER TABLE tenant_f.metrics_retired RENAME TO metrics");
            insert(insert, 2, "tenant f, renamed back");
            s.execute("ALTER TABLE metrics SET SCHEMA archive");
            insert(insert, 3, "shared, the tenant's table moved to archive");
            c.commit();
        }
        assertRows("archive.metrics", 2);
        assertMirroredAndNothingLedgered(1, 3);
    }

    /**
     * A schema created where the proxy cannot see it (a DO block) and then a table in it, unqualified: the proxy takes
     * the CREATE for one into {@code public}, where a table of that name is already, so it cannot tell where the
     * table went, and ledgers the writes of its name (their transaction, as every unreplayable write's) rather than
     * replay them into {@code public.metrics}. A qualified write after it is mirrored as usual.
     */
    @Test
    void aCreateThatCannotBePlacedLedgersTheWritesOfItsName() throws Exception {
        try (Connection c = connect("tenant_g", "preferQueryMode", "simple"); Statement s = c.createStatement()) {
            // the proxy must not learn of tenant_g: a look-up of the source's catalog landing between the source's
            // commit and the capture reading its answers (the first one, asked for by this login, say) would tell it
            mirror.app.awaitSourceCatalog();
            s.execute("BEGIN; DO $$ BEGIN CREATE SCHEMA tenant_g; END $$;"
                    + " CREATE TABLE metrics (LIKE public.metrics INCLUDING ALL);"
                    + " INSERT INTO metrics VALUES (1, 'tenant g'); COMMIT");
            s.execute("INSERT INTO public.metrics VALUES (100, 'shared')");
        }
        assertRows("tenant_g.metrics", 1);
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.metrics");
        assertThat(PG.target().query(mirror.database, "SELECT id FROM public.metrics")).containsExactly(List.of("100"));
        assertThat(PG.target().query(mirror.database,
                "SELECT table_schema || '.' || table_name, message FROM tandem.divergence ORDER BY id"))
                .singleElement().satisfies(entry -> {
                    assertThat(entry.get(0)).isEqualTo("public.metrics");
                    assertThat(entry.get(1)).contains("CREATE TABLE", "metrics", "schema");
                });
    }

    private static Connection connect(String tenant, String... props) throws Exception {
        String[] all = new String[props.length + 2];
        all[0] = "options";
        all[1] = "-c search_path=" + tenant + ",public";
        System.arraycopy(props, 0, all, 2, props.length);
        return mirror.connect(all);
    }

    private static void insert(PreparedStatement insert, int id, String v) throws Exception {
        insert.setInt(1, id);
        insert.setString(2, v);
        insert.executeUpdate();
    }

    private static void copy(Connection c, int id, String v) throws Exception {
        c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY metrics FROM STDIN",
                new ByteArrayInputStream((id + "\t" + v + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertRows(String table, int... ids) {
        List<List<String>> expected = java.util.Arrays.stream(ids).mapToObj(id -> List.of(String.valueOf(id))).toList();
        assertThat(PG.source().query(mirror.database, "SELECT id FROM " + table + " ORDER BY id"))
                .as("source %s", table).isEqualTo(expected);
    }

    /** The source's public.metrics has {@code ids}, the target's is the same, and nothing was ledgered. */
    private static void assertMirroredAndNothingLedgered(int... ids) throws Exception {
        assertRows("public.metrics", ids);
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.metrics");
        assertThat(PG.target().query(mirror.database, "SELECT message FROM tandem.divergence")).isEmpty();
    }
}
