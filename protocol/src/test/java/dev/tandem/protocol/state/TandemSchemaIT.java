package dev.tandem.protocol.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared DDL on a real server: what it creates, and that running it again locks nobody out. */
class TandemSchemaIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void runningItAgainDoesNotWaitForATransactionThatReadTheTables() throws Exception {
        String db = PG.pair().freshDatabase("schema");
        PG.target().execute(db, "CREATE SCHEMA tandem; CREATE TABLE tandem.mirror_progress (instance_id text PRIMARY KEY,"
                + " sequence bigint NOT NULL, next_segment bigint NOT NULL, next_offset bigint NOT NULL,"
                + " applied_at timestamptz NOT NULL)");
        PG.target().execute(db, TandemSchema.ddl());
        assertThat(PG.target().queryValue(db, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute"
                + " WHERE attrelid = 'tandem.mirror_progress'::regclass AND attnum > 0"))
                .isEqualTo("instance_id,sequence,next_segment,next_offset,applied_at,caught_up_to,spool_epoch,stopped_at");

        try (Connection reader = PG.target().connect(db); Connection tool = PG.target().connect(db)) {
            // a backfill task's transaction read the progress table and is still open
            reader.setAutoCommit(false);
            try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM tandem.mirror_progress")) {
                rs.next();
            }
            try (Statement s = tool.createStatement()) {
                s.execute("SET lock_timeout = '2s'");
                s.execute(TandemSchema.ddl());
            }
            reader.rollback();
        }
    }

    /**
     * A ledger an earlier release created gets the columns {@code settle} reads and writes, its entries kept; its
     * entries have no {@code ledgered_at} (when the target took them is not known), the next ones the target's time.
     */
    @Test
    void anEarlierLedgerGetsTheSettledByRecordedUntilAndLedgeredAtColumns() {
        String db = PG.pair().freshDatabase("ledger");
        PG.target().execute(db, "CREATE SCHEMA tandem; CREATE TABLE tandem.divergence (id bigserial PRIMARY KEY,"
                + " recorded_at timestamptz NOT NULL DEFAULT now(), instance_id text, database text, session text,"
                + " table_schema text, table_name text, sqlstate text, message text, statement text, time_column text,"
                + " range_start text, range_end text, repaired_at timestamptz);"
                + " INSERT INTO tandem.divergence (table_schema, table_name, message) VALUES ('public', 'm', 'shed')");
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.divergence (table_schema, table_name, message)"
                + " VALUES ('public', 'm', 'shed later')");
        assertThat(PG.target().query(db, "SELECT id, message, settled_by, recorded_until, ledgered_at IS NOT NULL"
                + " FROM tandem.divergence ORDER BY id").toString())
                .isEqualTo("[[1, shed, null, null, f], [2, shed later, null, null, t]]");
    }

    /** The proxy's mirror and verifier and a backfill may all start on a fresh target database at the same moment. */
    @Test
    void toolsStartingTogetherOnAFreshDatabaseAllGetTheSchema() throws Exception {
        for (int round = 0; round < 5; round++) {
            String db = PG.pair().freshDatabase("together");
            List<Connection> connections = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    connections.add(PG.target().connect(db));
                }
                CountDownLatch go = new CountDownLatch(1);
                List<CompletableFuture<Void>> starts = new ArrayList<>();
                for (Connection c : connections) {
                    starts.add(CompletableFuture.runAsync(() -> {
                        try (Statement s = c.createStatement()) {
                            go.await();
                            s.execute(TandemSchema.ddl());
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                }
                go.countDown();
                for (CompletableFuture<Void> start : starts) {
                    start.get(60, TimeUnit.SECONDS);
                }
            } finally {
                for (Connection c : connections) {
                    c.close();
                }
            }
        }
    }
}
