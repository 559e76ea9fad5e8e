package dev.tandem.backfill.state;

import dev.tandem.protocol.state.TimeType;
import java.util.List;

/**
 * One planned range of one table.
 *
 * @param divergenceIds the ledger entries a {@code repair} task re-copies; none for a planned range
 */
public record Task(long id, String schema, String table, String timeColumn, TimeType timeType, long start, long end,
                   TaskState state, List<Long> divergenceIds) {

    public String qualifiedName() {
        return schema + "." + table;
    }

    /** {@code [2026-01-01 00:00:00+00, 2026-01-02 00:00:00+00)}. */
    public String range() {
        return "[" + timeType.display(start) + ", " + timeType.display(end) + ")";
    }
}
