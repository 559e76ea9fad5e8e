package dev.tandem.proxy;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A client pipelines a request that may change what an unqualified table name means (a SET of the path, relation DDL, a
 * DO block) and, behind it in the same batch or query string, a write of that name, and leaves while the source still
 * owes the answer: the proxy follows such a change only once the source answered it, so it cannot tell which table
 * the write went to. The commit is held on the source by a deferred trigger that waits for an advisory lock the test
 * holds (as in {@link CommitInFlightIT}); the client's connection is cut hard while it waits, the proxy gives the
 * source {@code limits.drain-timeout} and then up. The divergence ledger must then have an {@code outcome_unknown}
 * entry for each mirrored table the name may mean, the one the source wrote among them: once the gate opens, the
 * source commits a row the target lacks, and the entry is what tells an operator to look.
 *
 * <p>{@code public.metrics} and {@code tenant_a.metrics} are mirrored, {@code tenant_b.metrics} is not.
 */
class NamesChangedInFlightIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final int GATE = 4712;
    private static final String CAUSE = "the client left and the source did not answer within 1 s"
            + " (limits.drain-timeout)";

    @TempDir
    Path spool;
    private String db;

    @BeforeEach
    void tables() {
        db = PG.pair().freshDatabase("names_in_flight");
        PG.pair().executeOnBoth(db, "CREATE TABLE metrics (id int PRIMARY KEY, v text);"
                + " CREATE SCHEMA tenant_a; CREATE TABLE tenant_a.metrics (LIKE public.metrics INCLUDING ALL);"
                + " CREATE SCHEMA tenant_b; CREATE TABLE tenant_b.metrics (LIKE public.metrics INCLUDING ALL)");
        // on the source only: every commit that inserted into a metrics table first waits for the gate
        PG.source().execute(db, "CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN PERFORM pg_advisory_xact_lock(" + GATE + "); RETURN NULL; END $$;"
                + " CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON public.metrics DEFERRABLE INITIALLY DEFERRED"
                + " FOR EACH ROW EXECUTE FUNCTION wait_for_gate();"
                + " CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON tenant_a.metrics DEFERRABLE INITIALLY DEFERRED"
                + " FOR EACH ROW EXECUTE FUNCTION wait_for_gate();"
                + " CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON tenant_b.metrics DEFERRABLE INITIALLY DEFERRED"
                + " FOR EACH ROW EXECUTE FUNCTION wait_for_gate()");
    }

    /**
     * pgjdbc's batch, one implicit transaction: the SET runs first on the source, and the row goes to
     * {@code tenant_a.metrics}. Before, the one entry named only {@code public.metrics}, what the name meant before the
     * SET, and the row was in no entry. The session's path is the default, so the entries also name
     * {@code postgres.metrics} (its {@code "$user"} schema), which the proxy cannot rule out: it is in no look-up of
     * the target's catalog, so it may be a partition of a mirrored table created since.
     */
    @Test
    void aWriteBatchedBehindASetOfThePathHasAnEntryForEachTableItsNameMayMean() throws Exception {
        try (ProxyApplication app = start(); Connection gate = closedGate()) {
            cutWhileTheCommitWaits(app, null, "SET search_path = tenant_a, public",
                    "INSERT INTO metrics VALUES (1, 'batched behind a SET')");
            assertEntries(app.registry(), gate, "metrics (search_path as known: the default)",
                    "INSERT INTO metrics VALUES (1, 'batched behind a SET')",
                    "postgres.metrics", "public.metrics", "tenant_a.metrics");
            assertCommittedOnTheSourceOnly("tenant_a.metrics");
        }
    }

    /**
     * A DO block that sets the path, then the write, in one batch: the proxy does not follow what the block does, only
     * that it may change what names mean. Before, as for a SET, the row was in no entry. The session starts with the
     * path {@code public}.
     */
    @Test
    void aWriteBatchedBehindADoBlockThatSetsThePathHasAnEntryForEachTableItsNameMayMean() throws Exception {
        try (ProxyApplication app = start(); Connection gate = closedGate()) {
            cutWhileTheCommitWaits(app, "public",
                    "DO $$ BEGIN PERFORM set_config('search_path', 'tenant_a, public', false); END $$",
                    "INSERT INTO metrics VALUES (2, 'batched behind a DO')");
            assertEntries(app.registry(), gate, "metrics (search_path as known: public)",
                    "INSERT INTO metrics VALUES (2, 'batched behind a DO')", "public.metrics", "tenant_a.metrics");
            assertCommittedOnTheSourceOnly("tenant_a.metrics");
        }
    }

    /**
     * Simple protocol, one query string: the DROP uncovers {@code public.metrics}, which the source writes, while the
     * name meant the unmirrored {@code tenant_b.metrics} when the proxy read it. Before, the forecast took the name as
     * it meant then, found no mirrored write, and there was no entry at all. The entries also name
     * {@code tenant_a.metrics}: as for any change in flight, every mirrored table of the name.
     */
    @Test
    void aWriteBehindTheDropOfTheTableItsNameMeantInItsQueryStringHasAnEntryForTheTableUncovered() throws Exception {
        try (ProxyApplication app = start(); Connection gate = closedGate()) {
            cutWhileTheCommitWaits(app, "tenant_b, public",
                    "DROP TABLE tenant_b.metrics; INSERT INTO metrics VALUES (3, 'behind a DROP')");
            assertEntries(app.registry(), gate, "metrics (search_path as known: tenant_b, public)",
                    "INSERT INTO metrics VALUES (3, 'behind a DROP')", "public.metrics", "tenant_a.metrics");
            assertCommittedOnTheSourceOnly("public.metrics");
        }
    }

    /** The same batch with nothing ahead of the write that may change its name: the one table it means, as before. */
    @Test
    void aWriteBatchedBehindNoChangeOfItsNameHasAnEntryForTheTableItMeansOnly() throws Exception {
        try (ProxyApplication app = start(); Connection gate = closedGate()) {
            cutWhileTheCommitWaits(app, null, "SELECT 1", "INSERT INTO metrics VALUES (4, 'batched behind a SELECT')");
            assertEntries(app.registry(), gate, null, "INSERT INTO metrics VALUES (4, 'batched behind a SELECT')",
                    "public.metrics");
            assertCommittedOnTheSourceOnly("public.metrics");
        }
    }

    private ProxyApplication start() throws Exception {
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--listen", "127.0.0.1:0",
                "--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", "postgres", "--target-tls", "disable",
                "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0",
                "--mirror-table", "public.metrics", "--mirror-table", "tenant_a.metrics",
                "--set", "limits.drain-timeout=1s",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms");
        ProxyConfig config = options.load(Map.of());
        return new ProxyApplication(config).start(Transport.choose("auto"));
    }

    /** A connection to the source holding the gate: commits into the metrics tables wait until it is opened. */
    private Connection closedGate() throws Exception {
        Connection gate = PG.source().connect(db);
        try (Statement s = gate.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + GATE + ")");
        }
        return gate;
    }

    /**
     * Through the proxy, in autocommit: {@code sql} as pgjdbc's batch (extended protocol, one Sync), or, when it is
     * one string, as one simple Query; then the connection is cut hard once the source's commit waits at the gate.
     *
     * @param searchPath the session's path from its start, or null for the default
     */
    private void cutWhileTheCommitWaits(ProxyApplication app, String searchPath, String... sql) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", PG.source().user());
        p.setProperty("password", PG.source().password());
        if (searchPath != null) {
            p.setProperty("options", "-c search_path=" + searchPath.replace(" ", ""));
        }
        if (sql.length == 1) {
            p.setProperty("preferQueryMode", "simple");
        }
        Connection client = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + app.relayAddress().getPort() + "/" + db, p);
        CompletableFuture<Void> sent;
        try {
            // not closed: pgjdbc cancels the statement of a Statement closed while it runs
            Statement s = client.createStatement();
            sent = CompletableFuture.runAsync(() -> {
                try {
                    if (sql.length == 1) {
                        s.execute(sql[0]);
                    } else {
                        for (String each : sql) {
                            s.addBatch(each);
                        }
                        s.executeBatch();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            eventually("the commit waits at the gate", () -> "1".equals(PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            + " AND wait_event = 'advisory' AND query LIKE '%INSERT INTO metrics%'")));
        } finally {
            client.abort(Runnable::run); // closes the socket at once, whatever pgjdbc waits for
        }
        assertThatThrownBy(() -> sent.get(60, TimeUnit.SECONDS))
                .as("the client's batch never got its answer").hasRootCauseInstanceOf(java.io.IOException.class);
    }

    private static double outcomeUnknownEntries(MeterRegistry registry) {
        return registry.find("tandem.ledger.entries").tag("reason", "outcome_unknown").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    /**
     * Waits for the ledger entries, opens the gate and checks that there is one entry for each of {@code tables},
     * each naming the write and, when not null, the name it could not resolve ({@code unresolved}).
     */
    private void assertEntries(MeterRegistry registry, Connection gate, String unresolved, String statement,
                               String... tables) throws Exception {
        eventually("the outcome_unknown ledger entries are written",
                () -> outcomeUnknownEntries(registry) >= tables.length);
        try (Statement s = gate.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + GATE + ")");
        }
        List<List<String>> ledger = PG.target().query(db, "SELECT table_schema || '.' || table_name,"
                + " session IS NOT NULL, statement, message FROM tandem.divergence ORDER BY 1");
        assertThat(ledger).extracting(row -> row.get(0)).as("the tables of the entries").containsExactly(tables);
        for (List<String> row : ledger) {
            assertThat(row.subList(1, 3)).containsExactly("t", statement);
            assertThat(row.get(3)).startsWith("outcome_unknown: the session ended because " + CAUSE)
                    .contains("the source may have committed this transaction after the proxy closed the connection")
                    .endsWith("compare the table with tandem-backfill verify");
            if (unresolved == null) {
                assertThat(row.get(3)).doesNotContain("could not be told");
            } else {
                assertThat(row.get(3)).contains("which table " + unresolved + " meant could not be told");
            }
        }
        assertThat(outcomeUnknownEntries(registry)).isEqualTo(tables.length);
    }

    /**
     * Once the gate is open the source commits the write into {@code table} and no other: a row the target lacks, in
     * a table the ledger has an entry for.
     */
    private void assertCommittedOnTheSourceOnly(String table) throws Exception {
        eventually("the source commits the row after the proxy let go", () -> "1".equals(PG.source().queryValue(db,
                "SELECT count(*) FROM " + table)));
        for (String each : List.of("public.metrics", "tenant_a.metrics")) {
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM " + each)).as("rows in %s on the source", each)
                    .isEqualTo(each.equals(table) ? "1" : "0");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM " + each)).as("rows in %s on the target", each)
                    .isEqualTo("0");
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence"
                + " WHERE table_schema || '.' || table_name = '" + table + "'"))
                .as("the ledger entries for %s, which has a row on the source only", table).isEqualTo("1");
    }
}
