package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Shed transactions reach the target's divergence ledger once it takes them, past the in-memory cap as one summary row
 * per table, and each is counted once however many rounds the write takes; a transaction whose outcome is unknown is
 * written with its statements, or a placeholder where SQL is redacted.
 */
class GapLedgerIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static final TableName A = new TableName("public", "a");
    static final TableName B = new TableName("public", "b");
    static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    static final String FULL = "the spool was full (mirror.spool.on-full: shed)";
    static final String UNKNOWN = "; the times of its rows are unknown and may lie outside the window of its commit"
            + " time: re-copy a window that holds them, then close this entry with tandem-backfill settle";
    static final String UNKNOWN_SUMMARY = "; the times of their rows are unknown and may lie outside the window of"
            + " these commit times: re-copy a window that holds them, then close this entry with tandem-backfill settle";
    static final String REPAIR = "; tandem-backfill repair re-copies the time range of its rows";
    /** How an outcome_unknown entry without a time range ends. */
    static final String VERIFY = ": compare the table with tandem-backfill verify";

    @Test
    void pastTheCapTheLedgerGetsOneSummaryRowPerTableAndEveryTransactionIsCountedOnce() {
        // the target database does not exist until the test creates it: the first round cannot write
        String database = "shed_ledger_" + System.nanoTime();
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GapLedger ledger = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 2, null, null)) {
            ledger.shed(PendingGapsTest.tx(1, T0, A), FULL);
            ledger.shed(PendingGapsTest.tx(2, T0 + 1_000, A), FULL);
            ledger.shed(PendingGapsTest.tx(3, T0 + 2_000, A, B), FULL);
            ledger.shed(PendingGapsTest.tx(4, T0 + 3_000, A), FULL);
            ledger.shed(PendingGapsTest.tx(5, T0 + 4_000, B), FULL);

            ledger.flush();
            assertThat(ledger.waiting()).isEqualTo(6);
            assertThat(ledgerEntries(registry)).as("nothing written, nothing counted").isZero();

            PG.target().createDatabase(database);
            List<String> told = dev.tandem.proxy.LoggedWarnings.infoAndAbove(GapLedger.class, ledger::flush);
            assertThat(ledger.waiting()).isZero();
            // the backlog's WARN or the shed ERRORs said the entries wait: the log says when they are in too
            assertThat(told).containsExactly("the divergence ledger of target database " + database + " took the 4"
                    + " row(s) that waited for it (tandem.divergence)");
            assertThat(PG.target().query(database, "SELECT coalesce(session, '-'), table_name,"
                    + " (extract(epoch FROM recorded_at) * 1000)::bigint,"
                    + " coalesce((extract(epoch FROM recorded_until) * 1000)::bigint::text, '-'), message"
                    + " FROM tandem.divergence ORDER BY id"))
                    .containsExactly(
                            List.of("1", "a", Long.toString(T0), "-",
                                    "not mirrored: " + FULL + " (committed on the source at this time)" + UNKNOWN),
                            List.of("2", "a", Long.toString(T0 + 1_000), "-",
                                    "not mirrored: " + FULL + " (committed on the source at this time)" + UNKNOWN),
                            List.of("-", "a", Long.toString(T0 + 2_000), Long.toString(T0 + 3_000), "not mirrored: "
                                    + FULL + " (2 transaction(s) committed on the source from this time to"
                                    + " 2026-01-01T00:00:03Z, summarised in one entry to bound the proxy's memory)"
                                    + UNKNOWN_SUMMARY),
                            List.of("-", "b", Long.toString(T0 + 2_000), Long.toString(T0 + 4_000), "not mirrored: "
                                    + FULL + " (2 transaction(s) committed on the source from this time to"
                                    + " 2026-01-01T00:00:04Z, summarised in one entry to bound the proxy's memory)"
                                    + UNKNOWN_SUMMARY));
            assertThat(registry.get("tandem.spool.shed.transactions").counter().count()).isEqualTo(5);
            assertThat(ledgerEntries(registry)).as("one per row, the failed round not counted").isEqualTo(4);
        }
    }

    /**
     * A burst of shed transactions is logged as its first one, and the others are counted into a later line: when the
     * burst ends (the spool has room again), the count still reaches the log, at the latest when the ledger closes.
     */
    @Test
    void theTransactionsShedAfterTheLoggedOneAreCountedInTheLogWhenTheBurstEnds() {
        String database = "shed_burst_" + System.nanoTime();
        PG.target().createDatabase(database);
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        List<String> errors = dev.tandem.proxy.LoggedWarnings.andErrorsOf(GapLedger.class, () -> {
            try (GapLedger ledger = new GapLedger(target, "it", new SimpleMeterRegistry(), Duration.ofHours(1), false,
                    10, null, null)) {
                ledger.shed(PendingGapsTest.tx(1, T0, A), FULL);
                ledger.shed(PendingGapsTest.tx(2, T0 + 1_000, A), FULL);
                ledger.shed(PendingGapsTest.tx(3, T0 + 2_000, A), "the spool failed: no space left on device");
            }
        });
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0)).startsWith("a committed transaction of session 1 ");
        assertThat(errors.get(1)).isEqualTo("2 more committed transaction(s) were not spooled since the last such"
                + " message (the last because the spool failed: no space left on device); each is recorded in the"
                + " divergence ledger, and tandem_spool_shed_transactions_total counts them");
        assertThat(PG.target().queryValue(database, "SELECT count(*) FROM tandem.divergence")).isEqualTo("3");
    }

    /**
     * A shed transaction's rows' times are read from its data: its entry has the range (an entry of their own for rows
     * at infinity, as the applier's), a summary the range of all its transactions' rows while each had one.
     */
    @Test
    void aShedTransactionsEntryHasTheRangeOfItsRowsAndASummaryTheirsWhileEachHadOne() {
        String database = "shed_ranges_" + System.nanoTime();
        PG.target().createDatabase(database);
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        TableTimeColumn ts = new TableTimeColumn("ts", dev.tandem.protocol.state.TimeType.TIMESTAMPTZ, -1,
                List.of("id", "ts"), List.of("id", "ts"));
        try (RowTimesReading times = new RowTimesReading(db -> db.equals("src") ? Map.of(A, ts) : null);
             GapLedger ledger = new GapLedger(target, "it", new SimpleMeterRegistry(), Duration.ofHours(1), false, 2,
                     null, times)) {
            ledger.shed(rows(1, T0, "2025-01-10 08:00:00+00", "infinity", "2025-01-09 08:00:00+00"), FULL);
            ledger.shed(rows(2, T0 + 1_000, "now"), FULL);
            // past the cap of two: one summary, with the range of both
            ledger.shed(rows(3, T0 + 2_000, "2025-02-01 00:00:00+00"), FULL);
            ledger.shed(rows(4, T0 + 3_000, "2025-01-01 00:00:00+00"), FULL);
            ledger.flush();
            assertThat(ledger.waiting()).isZero();
        }
        assertThat(PG.target().query(database, "SELECT coalesce(session, '-'), coalesce(time_column, '-'),"
                + " coalesce(range_start, '-'), coalesce(range_end, '-'), message FROM tandem.divergence ORDER BY id"))
                .containsExactly(
                        List.of("1", "ts", "2025-01-09 08:00:00+00", "2025-01-10 08:00:00.000001+00",
                                "not mirrored: " + FULL + " (committed on the source at this time)" + REPAIR),
                        List.of("1", "ts", "-", "-", "not mirrored: " + FULL + " (committed on the source at this"
                                + " time); 1 of its rows are at infinity or -infinity in ts, which no range reaches:"
                                + " copy them by hand (docs/migration.md, step 8, rows at infinity), then close this"
                                + " entry"),
                        List.of("2", "-", "-", "-",
                                "not mirrored: " + FULL + " (committed on the source at this time)" + UNKNOWN),
                        List.of("-", "ts", "2025-01-01 00:00:00+00", "2025-02-01 00:00:00.000001+00", "not mirrored: "
                                + FULL + " (2 transaction(s) committed on the source from this time to"
                                + " 2026-01-01T00:00:03Z, summarised in one entry to bound the proxy's memory);"
                                + " tandem-backfill repair re-copies the time range of their rows"));
    }

    /** A transaction of session {@code session} that wrote one row of table a per time, by the extended protocol. */
    static CapturedTransaction rows(long session, long committedAt, String... times) {
        List<CapturedStatement> statements = new java.util.ArrayList<>();
        for (String time : times) {
            statements.add(new CapturedStatement.Extended(A, 1, "INSERT INTO a (id, ts) VALUES ($1, $2)",
                    new int[] {23, 0}, new short[] {0}, new byte[][] {"1".getBytes(), time.getBytes()}));
        }
        return new CapturedTransaction("src", "app", session, List.of(), committedAt, statements);
    }

    @Test
    void anUnknownOutcomeIsWrittenWithItsStatementsUnlessSqlIsRedacted() {
        String database = "gap_outcome_" + System.nanoTime();
        PG.target().createDatabase(database);
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        UnknownOutcome outcome = new UnknownOutcome("src", 9, T0, List.of(A), List.of("INSERT INTO a VALUES (1)",
                "INSERT INTO a VALUES (2)"), "a COMMIT", "the proxy shut down");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        for (boolean redactSql : new boolean[] {false, true}) {
            try (GapLedger ledger = new GapLedger(target, "it", registry, Duration.ofHours(1), redactSql, 2, null,
                    null)) {
                ledger.outcomeUnknown(outcome);
                ledger.flush();
                assertThat(ledger.waiting()).isZero();
            }
        }
        assertThat(PG.target().query(database, "SELECT session, table_name, (extract(epoch FROM recorded_at) * 1000)"
                + "::bigint, statement, message FROM tandem.divergence ORDER BY id")).containsExactly(
                        List.of("9", "a", Long.toString(T0), "INSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2)",
                                outcome.message() + VERIFY),
                        List.of("9", "a", Long.toString(T0), "<redacted>", outcome.message() + VERIFY));
        assertThat(registry.get("tandem.ledger.entries").tag("reason", "outcome_unknown").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("tandem.spool.shed.transactions").counter().count()).as("nothing was shed").isZero();
    }

    /**
     * An unknown outcome's entry of each table has the range of the rows that may have committed there where every
     * one's time was read, here from COPY data too large to read on the caller's event loop; a table whose rows' times
     * are not all known has none.
     */
    @Test
    void anUnknownOutcomesEntryHasTheRangeOfItsRowsInEachTableWhereAllWereRead() {
        String database = "gap_outcome_ranges_" + System.nanoTime();
        PG.target().createDatabase(database);
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        TableTimeColumn ts = new TableTimeColumn("ts", dev.tandem.protocol.state.TimeType.TIMESTAMPTZ, -1,
                List.of("id", "ts"), List.of("id", "ts"));
        String copy = "COPY a (id, ts) FROM STDIN (FORMAT csv)";
        StringBuilder data = new StringBuilder();
        Instant from = Instant.parse("2025-03-01T00:00:00Z");
        for (int i = 1; i <= 20_000; i++) {
            data.append(i).append(',').append(from.plusSeconds(i).toString().replace('T', ' ').replace("Z", "+00"))
                    .append('\n');
        }
        assertThat(data.length()).as("read on the reading thread").isGreaterThan(RowTimesReading.INLINE_BYTES);
        OutcomeTimes times = new OutcomeTimes("src");
        times.add(List.of(A), OutcomeTimes.copy(StatementClassifier.classify(copy).get(0),
                List.of(data.toString().getBytes(StandardCharsets.UTF_8)), null, InputSettings.UNKNOWN));
        times.add(List.of(B), OutcomeTimes.completed(new CapturedStatement.Simple(B, 1, "INSERT INTO b VALUES (1)")));
        UnknownOutcome outcome = new UnknownOutcome("src", 9, T0, List.of(A, B), List.of(copy,
                "INSERT INTO b VALUES (1)"), "a COMMIT", "the proxy shut down", List.of(), times);
        try (RowTimesReading reading = new RowTimesReading(db -> db.equals("src") ? Map.of(A, ts) : null);
             GapLedger ledger = new GapLedger(target, "it", new SimpleMeterRegistry(), Duration.ofHours(1), false, 2,
                     null, reading)) {
            ledger.outcomeUnknown(outcome); // written as the ledger closes, once read
        }
        assertThat(PG.target().query(database, "SELECT table_name, coalesce(time_column, '-'), coalesce(range_start,"
                + " '-'), coalesce(range_end, '-'), message FROM tandem.divergence ORDER BY table_name"))
                .containsExactly(
                        List.of("a", "ts", "2025-03-01 00:00:01+00", "2025-03-01 05:33:20.000001+00",
                                outcome.message() + ": tandem-backfill repair re-copies the time range of its rows"),
                        List.of("b", "-", "-", "-", outcome.message() + VERIFY));
    }

    /**
     * A proxy stopped, or killed, while the target is down must not forget the gaps it owes the ledger: they are kept
     * beside the spool and written when a proxy starts again on it.
     */
    @Test
    void gapsWaitingWhenTheProxyStopsOrDiesAreWrittenWhenItStartsAgain(@TempDir Path spool) throws Exception {
        String database = "gap_journal_" + System.nanoTime();
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        Path journal = spool.resolve(GapJournal.FILE_NAME);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GapLedger stopped = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 2, spool, null)) {
            stopped.shed(PendingGapsTest.tx(1, T0, A), FULL);
            stopped.flush(); // the target database does not exist yet
        }
        assertThat(journal).exists();
        assertThat(Files.getPosixFilePermissions(journal)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);

        // killed: never closed, so only the save after a change keeps what it had
        GapLedger killed = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 2, spool, null);
        killed.outcomeUnknown(new UnknownOutcome("src", 9, T0 + 1_000, List.of(B), List.of("INSERT INTO b VALUES (1)"),
                "a COMMIT", "the proxy shut down"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (new GapJournal(spool).load().size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(new GapJournal(spool).load()).hasSize(2);

        PG.target().createDatabase(database);
        try (GapLedger restarted = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 2, spool, null)) {
            assertThat(restarted.waiting()).isEqualTo(2);
            restarted.flush();
            assertThat(restarted.waiting()).isZero();
        }
        assertThat(PG.target().query(database, "SELECT session, table_name, coalesce(statement, '-')"
                + " FROM tandem.divergence ORDER BY recorded_at")).containsExactly(List.of("1", "a", "-"),
                        List.of("9", "b", "INSERT INTO b VALUES (1)"));
        assertThat(journal).as("nothing waits: nothing kept").doesNotExist();
    }

    /** The restart says how many ledger rows it owes: a summary is one row per table, not one per transaction. */
    @Test
    void aRestartCountsTheLedgerRowsItOwesASummaryAsOneRowPerTable(@TempDir Path spool) throws Exception {
        String database = "gap_journal_rows_" + System.nanoTime();
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of("src", database), Duration.ofSeconds(5), Optional.empty());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GapLedger stopped = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 1, spool, null)) {
            stopped.shed(PendingGapsTest.tx(1, T0, A, B), FULL); // an entry of its own: rows for a and b
            stopped.shed(PendingGapsTest.tx(2, T0 + 1_000, A, B), FULL); // past the cap: summaries of a and b
            stopped.shed(PendingGapsTest.tx(3, T0 + 2_000, A), FULL); // into the summary of a
        }
        Logger logger = (Logger) LoggerFactory.getLogger(GapLedger.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        PG.target().createDatabase(database);
        try (GapLedger restarted = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 1, spool, null)) {
            restarted.flush();
        } finally {
            logger.detachAppender(logged);
        }
        assertThat(PG.target().queryValue(database, "SELECT count(*) FROM tandem.divergence")).isEqualTo("4");
        assertThat(logged.list).map(ILoggingEvent::getFormattedMessage).anySatisfy(m -> assertThat(m)
                .startsWith("4 divergence ledger row(s) recorded before the last stop were not in the target's"));
    }

    @Test
    void anUnreadableJournalIsMovedAsideAndTheProxyStarts(@TempDir Path spool) throws Exception {
        Files.writeString(spool.resolve(GapJournal.FILE_NAME), "{not json");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
        try (GapLedger ledger = new GapLedger(target, "it", new SimpleMeterRegistry(), Duration.ofHours(1), false, 2,
                spool, null)) {
            assertThat(ledger.waiting()).isZero();
        }
        try (var files = Files.list(spool)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .singleElement().asString().startsWith(GapJournal.FILE_NAME + ".unreadable-");
        }
    }

    /**
     * Records lost from the spool go to the ledger of the target databases that may not have applied them, not to one
     * that applied past them before they were lost: whichever of them were its own are on it.
     */
    @Test
    void recordsLostFromTheSpoolAreLedgeredOnlyWhereTheyMayNotHaveBeenApplied() {
        String behind = "lost_behind_" + System.nanoTime();
        String past = "lost_past_" + System.nanoTime();
        String unknown = "lost_unknown_" + System.nanoTime();
        for (String database : List.of(behind, past, unknown)) {
            PG.target().createDatabase(database);
        }
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
        dev.tandem.proxy.spool.SpoolLoss loss = new dev.tandem.proxy.spool.SpoolLoss(5, 8, Instant.ofEpochMilli(T0),
                Instant.ofEpochMilli(T0 + 60_000));

        List<String> warnings = dev.tandem.proxy.LoggedWarnings.andErrorsOf(GapLedger.class, () -> {
            try (GapLedger ledger = new GapLedger(target, "it", new SimpleMeterRegistry(), Duration.ofHours(1), false,
                    2, null, null)) {
                ledger.spoolRecordsLost(loss, new java.util.TreeSet<>(List.of(behind, past, unknown)),
                        Map.of(behind, 7L, past, 8L));
            }
        });

        for (String database : List.of(behind, unknown)) {
            assertThat(PG.target().queryValue(database, "SELECT count(*) FROM tandem.divergence WHERE message LIKE"
                    + " 'spool_records_lost: spool records 5 to 8 %'")).as(database).isEqualTo("1");
        }
        assertThat(PG.target().queryValue(past, "SELECT count(*) FROM pg_namespace WHERE nspname = 'tandem'"))
                .as("nothing was written there").isEqualTo("0");
        assertThat(warnings).singleElement().asString().isEqualTo("spool records 5 to 8 lost from the spool are"
                + " recorded in the divergence ledger of target database(s) " + behind + ", " + unknown
                + " (spool_records_lost), which had not applied them or are not known to have; " + past
                + " (applied through spool sequence 8) had applied them before they were lost and need no entry");
    }

    /** With no target database known, the loss stays visible after its log line: a counter and {@code /status}. */
    @Test
    void recordsLostFromTheSpoolWithNoDatabaseKnownAreCountedAndKept() {
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
        dev.tandem.proxy.spool.SpoolLoss loss = new dev.tandem.proxy.spool.SpoolLoss(3, 6, null,
                Instant.ofEpochMilli(T0));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (GapLedger ledger = new GapLedger(target, "it", registry, Duration.ofHours(1), false, 2, null, null)) {
            assertThat(registry.get("tandem.spool.records.lost.unledgered").counter().count()).isZero();

            List<String> errors = dev.tandem.proxy.LoggedWarnings.andErrorsOf(GapLedger.class,
                    () -> ledger.spoolRecordsLost(loss, java.util.Set.of(), Map.of()));

            assertThat(errors).singleElement().asString().startsWith("spool records 3 to 6 (4 transaction(s)) were"
                    + " lost from the spool, and this proxy knows no target database")
                    .contains("counted in tandem_spool_records_lost_unledgered_total and listed in /status");
            assertThat(registry.get("tandem.spool.records.lost.unledgered").counter().count()).isEqualTo(4);
            assertThat(ledger.spoolRecordsLostUnledgered()).containsExactly(loss);
        }
    }

    static double ledgerEntries(SimpleMeterRegistry registry) {
        return registry.find("tandem.ledger.entries").counters().stream().mapToDouble(Counter::count).sum();
    }
}
