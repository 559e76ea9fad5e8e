package dev.tandem.backfill.ledger;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One row of the proxy's divergence ledger ({@code tandem.divergence}) as the backfill reads it.
 *
 * @param schema     null when the proxy could not tell which table (a rejected transaction without statements,
 *                   spool records lost: {@code spool_records_lost})
 * @param timeColumn the entry's own, else the one the staged plan uses for the table, else null
 * @param start      {@code range_start} in the column type's text form, or null
 * @param end        {@code range_end}, or null
 * @param recordedAt {@code recorded_at} as text: the source commit time of the transaction as the proxy saw it (shed,
 *                   rejected, not replayable), the end of the session of an {@code outcome_unknown} one, when the
 *                   verifier compared for one of its own
 * @param recordedUntil {@code recorded_until} as text: for an entry that stands for several transactions (the proxy
 *                   summarised them), the last one's time; null for an entry of one
 * @param recordedMicros {@code recorded_at} in microseconds since 1970-01-01 UTC, to compare
 * @param lastMicros the last time the entry stands for: {@code recorded_until}, else {@code recorded_at}
 * @param atInfinity it stands for rows at {@code infinity} or {@code -infinity} of its time column, which no range
 *                   reaches: the proxy gives them an entry of their own, with its own time column and no range
 */
public record LedgerEntry(long id, String schema, String table, String timeColumn, String start, String end,
                          String sqlstate, String message, String recordedAt, String recordedUntil,
                          long recordedMicros, long lastMicros, boolean atInfinity) {

    /** {@code 2026-... } or, for a summary, {@code 2026-... to 2026-...}: the times the entry stands for. */
    public String recorded() {
        return recordedUntil == null ? recordedAt : recordedAt + " to " + recordedUntil;
    }

    /** {@code schema.table}, or {@code no table} when the entry names none. */
    public String tableName() {
        return schema == null ? "no table" : schema + "." + table;
    }

    /** True when {@code repair} can re-copy the entry itself: it names its table, a time column and both bounds. */
    public boolean hasRange() {
        return schema != null && table != null && timeColumn != null && start != null && end != null;
    }

    /** The SQL that closes it once its rows were copied by hand, the way for an entry {@link #atInfinity}. */
    public static String closeByHand(List<Long> ids) {
        return "UPDATE tandem.divergence SET repaired_at = now(), settled_by = 'copied by hand' WHERE id "
                + (ids.size() == 1 ? "= " + ids.get(0) : "IN (" + ids.stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")) + ")");
    }

    /**
     * What to do with entries that name no table, which no command can close: status, verify, repair and settle say
     * the same.
     */
    public static String noTableAdvice(List<Long> ids) {
        boolean one = ids.size() == 1;
        String it = one ? "it" : "them";
        return "the proxy could not tell which table, or the spool records that held the rows were lost, so no task"
                + " can show " + it + " re-copied: compare the tables " + it + " may concern with 'verify --through',"
                + " re-copy their windows around " + (one ? "its recorded time" : "the recorded times") + " where they"
                + " differ (docs/migration.md, step 8), and close " + it + " yourself: " + closeByHand(ids);
    }

    /** Why it was recorded: the target's SQLSTATE and error, or the proxy's message when the target never saw it. */
    public String cause() {
        // shed, capture-limit and outcome_unknown entries have no SQLSTATE
        return sqlstate == null ? message : "SQLSTATE " + sqlstate + ": " + message;
    }
}
