package dev.tandem.proxy.capture;

import static dev.tandem.proxy.capture.PendingGaps.Kind.OUTCOME_UNKNOWN;
import static dev.tandem.proxy.capture.PendingGaps.Kind.SHED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TimeType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PendingGapsTest {

    static final TableName A = new TableName("public", "a");
    static final TableName B = new TableName("public", "b");
    static final String FULL = "the spool was full (mirror.spool.on-full: shed)";

    static CapturedTransaction tx(long session, long committedAt, TableName... tables) {
        List<CapturedStatement> statements = new ArrayList<>();
        for (TableName t : tables) {
            statements.add(new CapturedStatement.Extended(t, 1, "INSERT INTO " + t + " VALUES ($1)", new int[] {17},
                    new short[] {1}, new byte[][] {new byte[64 * 1024]}));
            statements.add(new CapturedStatement.Copy(t, 1, "COPY " + t + " FROM STDIN",
                    List.of(new byte[64 * 1024])));
        }
        return new CapturedTransaction("src", "app", session, List.of(), committedAt, statements);
    }

    static PendingGaps.Entry gap(long session, long committedAt, TableName... tables) {
        return PendingGaps.Entry.shed("tgt", tx(session, committedAt, tables), FULL, Map.of());
    }

    @Test
    void anEntryKeepsWhatTheLedgerRowsSayAndNotTheStatementsOrTheirData() {
        // equality of the record is the proof: it has no component that could hold statement text or data
        assertThat(gap(7, 1_000, A, B, A)).isEqualTo(
                new PendingGaps.Entry("tgt", "7", List.of(A, B), SHED, FULL, null, 1, 1_000, 1_000));
    }

    @Test
    void beyondTheCapTransactionsAreSummarisedPerTableWithCountAndCommitTimes() {
        PendingGaps gaps = new PendingGaps(2);
        assertThat(gaps.add(gap(1, 10, A))).isFalse();
        assertThat(gaps.add(gap(2, 20, A))).isFalse();
        assertThat(gaps.add(gap(3, 30, A, B))).as("the first summarised: time to warn").isTrue();
        assertThat(gaps.add(gap(4, 40, A))).as("warned once").isFalse();
        assertThat(gaps.add(gap(5, 50, B))).isFalse();

        assertThat(gaps.size()).isEqualTo(4);
        assertThat(gaps.tableGaps()).isEqualTo(6);
        assertThat(gaps.drain()).containsExactly(
                new PendingGaps.Entry("tgt", "1", List.of(A), SHED, FULL, null, 1, 10, 10),
                new PendingGaps.Entry("tgt", "2", List.of(A), SHED, FULL, null, 1, 20, 20),
                new PendingGaps.Entry("tgt", null, List.of(A), SHED, FULL, null, 2, 30, 40),
                new PendingGaps.Entry("tgt", null, List.of(B), SHED, FULL, null, 2, 30, 50));
    }

    static TimeRange range(long first, long last) {
        return new TimeRange("ts", TimeType.TIMESTAMPTZ, true, first, last, 0);
    }

    @Test
    void aSummaryHasTheRangeOfItsTransactionsRowsOnlyWhileEachOfThemHadOne() {
        PendingGaps gaps = new PendingGaps(0);
        gaps.add(PendingGaps.Entry.shed("tgt", tx(1, 10, A, B), FULL, Map.of(A, range(50, 60), B, range(1, 2))));
        gaps.add(PendingGaps.Entry.shed("tgt", tx(2, 20, A, B), FULL, Map.of(A, range(10, 20))));
        gaps.add(PendingGaps.Entry.shed("tgt", tx(3, 30, A, B), FULL, Map.of(A, range(70, 80), B, range(3, 4))));
        assertThat(gaps.drain()).extracting(e -> e.tables().get(0), e -> e.range(0)).containsExactly(
                tuple(A, range(10, 80)),
                tuple(B, null));
    }

    /** The journal keeps the ranges across a restart, and a journal written before they were kept is still read. */
    @Test
    void theJournalKeepsTheRangesAndReadsOneWithout(@TempDir Path spool) throws Exception {
        GapJournal journal = new GapJournal(spool);
        PendingGaps.Entry entry = PendingGaps.Entry.shed("tgt", tx(1, 10, A, B), FULL,
                Map.of(B, new TimeRange("day", TimeType.DATE, false, 0, 0, 2)));
        journal.save(List.of(entry));
        assertThat(journal.load()).containsExactly(entry);
        Files.writeString(journal.file(), "[{\"targetDatabase\":\"tgt\",\"session\":\"7\",\"tables\":[{\"schema\":"
                + "\"public\",\"name\":\"a\"}],\"kind\":\"SHED\",\"reason\":\"full\",\"statement\":null,"
                + "\"transactions\":1,\"firstAt\":10,\"lastAt\":10}]");
        assertThat(journal.load()).containsExactly(
                new PendingGaps.Entry("tgt", "7", List.of(A), SHED, "full", null, 1, 10, 10));
        assertThat(journal.load().get(0).range(0)).isNull();
    }

    @Test
    void memoryStaysBoundedByTheCapAndTheTablesHoweverLongTheTargetIsDown() {
        PendingGaps gaps = new PendingGaps(10);
        TableName[] tables = {A, B, new TableName("s", "c")};
        for (int i = 0; i < 100_000; i++) {
            gaps.add(gap(i, i, tables[i % 3]));
        }
        assertThat(gaps.size()).isEqualTo(10 + 3);
        List<PendingGaps.Entry> all = gaps.drain();
        assertThat(all.stream().mapToLong(PendingGaps.Entry::transactions).sum())
                .as("every shed transaction is still counted in an entry").isEqualTo(100_000);
    }

    @Test
    void entriesNotWrittenWaitForTheNextRoundAndCountAgainstTheCapAgain() {
        PendingGaps gaps = new PendingGaps(2);
        gaps.add(gap(1, 10, A));
        gaps.add(gap(2, 20, B));
        List<PendingGaps.Entry> round = gaps.drain();
        // while the round is being written, new gaps fill the cap
        gaps.add(gap(3, 30, A));
        gaps.add(gap(4, 40, A));
        gaps.written(round.get(0));
        assertThat(gaps.putBack(round.subList(1, 2))).as("the put-back one is the first summarised").isTrue();

        assertThat(gaps.tableGaps()).isEqualTo(3);
        assertThat(gaps.drain()).containsExactly(
                new PendingGaps.Entry("tgt", "3", List.of(A), SHED, FULL, null, 1, 30, 30),
                new PendingGaps.Entry("tgt", "4", List.of(A), SHED, FULL, null, 1, 40, 40),
                new PendingGaps.Entry("tgt", null, List.of(B), SHED, FULL, null, 1, 20, 20));
    }

    @Test
    void aSummaryIsWrittenOncePerTableAndTheBacklogEmptiesOnlyWhenAllAre() {
        PendingGaps gaps = new PendingGaps(0);
        assertThat(gaps.add(gap(1, 10, A, B))).isTrue();
        List<PendingGaps.Entry> summaries = gaps.drain();
        assertThat(summaries).hasSize(2);
        gaps.written(summaries.get(0));
        assertThat(gaps.tableGaps()).as("B's row is still owed").isEqualTo(1);
        gaps.written(summaries.get(1));
        assertThat(gaps.tableGaps()).isZero();
        assertThat(gaps.add(gap(2, 20, A))).as("a new backlog reaching the cap warns again").isTrue();
    }

    @Test
    void anUnknownOutcomeKeepsItsStatementsCutToABoundAndIsSummarisedApartFromShedTransactions() {
        String insert = "INSERT INTO a VALUES ('" + "x".repeat(PendingGaps.MAX_STATEMENT_CHARS) + "')";
        PendingGaps.Entry unknown = PendingGaps.Entry.outcomeUnknown("tgt", new UnknownOutcome("src", 3, 30,
                List.of(A), List.of(insert, "INSERT INTO a VALUES (2)"), "a COMMIT", "the proxy shut down"));
        int over = insert.length() + ";\nINSERT INTO a VALUES (2)".length() - PendingGaps.MAX_STATEMENT_CHARS;
        assertThat(unknown.statement()).isEqualTo(insert.substring(0, PendingGaps.MAX_STATEMENT_CHARS) + " ... (" + over
                + " more characters)");

        PendingGaps gaps = new PendingGaps(1);
        gaps.add(gap(1, 10, A));
        gaps.add(gap(2, 20, A));
        gaps.add(unknown);
        assertThat(gaps.drain()).extracting(PendingGaps.Entry::session, PendingGaps.Entry::kind,
                PendingGaps.Entry::statement).containsExactly(tuple("1", SHED, null), tuple(null, SHED, null),
                tuple(null, OUTCOME_UNKNOWN, null));
    }
}
