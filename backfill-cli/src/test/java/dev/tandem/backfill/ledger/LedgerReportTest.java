package dev.tandem.backfill.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LedgerReportTest {

    private static LedgerEntry entry(long id, String start, String end) {
        return new LedgerEntry(id, "public", "metrics", "ts", start, end, "23505", "duplicate key",
                "2026-01-05 10:00:00+00", null, 0, 0, false);
    }

    @Test
    void aSingleEntryIsNamedInTheSingular() {
        List<String> rangeless = LedgerReport.lines(List.of(entry(7, null, null)));
        assertThat(rangeless).containsExactly(
                "1 open divergence ledger entry (tandem.divergence, repaired_at IS NULL): rows the mirror may not have"
                        + " brought over",
                "  public.metrics, without a time range: id 7, recorded 2026-01-05 10:00:00+00: once a task copied"
                        + " after it whose range holds that time was verified equal (the staged plan's own, for an"
                        + " entry recorded before its --until; else re-copy the table's window around it: stage"
                        + " --replace --table/--filter --from --until, copy, verify, docs/migration.md step 8, which"
                        + " discards this plan), close it with 'settle 7'");
        List<String> ranged = LedgerReport.lines(List.of(entry(3, "2026-01-05 09:00:00+00", "2026-01-05 09:01:00+00")));
        assertThat(ranged.get(1)).isEqualTo("  with a time range: id 3: 'repair' re-copies and closes it");
    }

    @Test
    void entriesNamingNoTableAreToldToBeClosedByHandNotSettled() {
        LedgerEntry lost = new LedgerEntry(9, null, null, null, null, null, null, "spool_records_lost: spool records 5"
                + " to 8 were lost", "2026-01-05 09:00:00+00", "2026-01-05 09:05:00+00", 0, 0, false);
        List<String> lines = LedgerReport.lines(List.of(lost, entry(7, null, null)));
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).startsWith("  public.metrics, without a time range: id 7,");
        assertThat(lines.get(2)).isEqualTo("  naming no table: id 9, recorded 2026-01-05 09:00:00+00 to 2026-01-05"
                + " 09:05:00+00: the proxy could not tell which table, or the spool records that held the rows were"
                + " lost, so no task can show it re-copied: compare the tables it may concern with 'verify"
                + " --through', re-copy their windows around its recorded time where they differ (docs/migration.md,"
                + " step 8), and close it yourself: UPDATE tandem.divergence SET repaired_at = now(), settled_by ="
                + " 'copied by hand' WHERE id = 9");
    }

    @Test
    void severalEntriesAreNamedInThePlural() {
        List<String> lines = LedgerReport.lines(List.of(entry(1, null, null), entry(2, null, null),
                entry(4, "2026-01-05 09:00:00+00", "2026-01-05 09:01:00+00"),
                entry(5, "2026-01-05 09:00:00+00", "2026-01-05 09:01:00+00")));
        assertThat(lines.get(0)).startsWith("4 open divergence ledger entries");
        assertThat(lines.get(1)).isEqualTo("  with a time range: ids 4-5: 'repair' re-copies and closes them");
        assertThat(lines.get(2)).contains("ids 1-2,").contains("copied after them whose range holds those times")
                .contains("for entries recorded before").contains("window around them").endsWith("close them with"
                        + " 'settle 1-2'");
    }
}
