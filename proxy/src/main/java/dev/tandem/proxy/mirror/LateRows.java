package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.DataRow;
import java.nio.charset.StandardCharsets;

/**
 * Counts mirrored rows whose time is before the database's dual-write mark: rows written late, into the ranges the
 * backfill copies, which break its assumption that those ranges no longer change. The count comes from the target
 * itself, for no more than one row of reply per statement: the replayed one-row or coalesced INSERT runs as
 * {@code WITH "tandem inserted" AS (INSERT ... RETURNING t) SELECT count(*), count(*) FILTER (WHERE t < mark)
 * FROM "tandem inserted"}, which inserts exactly what the INSERT alone does. Only INSERT ... VALUES statements of the
 * {@link dev.tandem.protocol.sql.ValuesInsert} shape into tables with a timestamptz time column are counted.
 */
final class LateRows {

    /** The pipeline slot of a counted statement: {@code unit} is the {@link Replayed} or {@link CoalescedInsert}. */
    record Counted(Object unit) {
    }

    private LateRows() {
    }

    /** {@code insert} (one INSERT ... VALUES, no RETURNING, no trailing semicolon) answering its counts as a row. */
    static String wrap(String insert, String quotedColumn, String markLiteral) {
        // a quoted name with a space: no application statement refers to it, so the CTE shadows nothing
        return "WITH \"tandem inserted\" AS (" + insert + " RETURNING " + quotedColumn + ") SELECT count(*),"
                + " count(*) FILTER (WHERE " + quotedColumn + " < " + markLiteral + ") FROM \"tandem inserted\"";
    }

    /** Column {@code index} of a counted statement's row; -1 when it is missing. */
    static long count(DataRow row, int index) {
        if (row == null || row.columns().size() <= index || row.columns().get(index) == null) {
            return -1;
        }
        return Long.parseLong(new String(row.columns().get(index), StandardCharsets.UTF_8));
    }
}
