package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.backend.ErrorResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The outcome of one {@link Pipeline} exchange: the row count of each CommandComplete in order (-1 when a tag has
 * none), the first row each statement returned (null when none), and the error that stopped it, if any. The failed
 * Execute is the one after the last CommandComplete.
 */
record Reply(List<Long> rowCounts, List<DataRow> firstRows, ErrorResponse error) {

    static Reply of(List<BackendMessage> messages) {
        List<Long> counts = new ArrayList<>();
        List<DataRow> rows = new ArrayList<>();
        DataRow first = null;
        ErrorResponse error = null;
        for (BackendMessage m : messages) {
            if (m instanceof CommandComplete c) {
                counts.add(c.rowCount());
                rows.add(first);
                first = null;
            } else if (m instanceof DataRow row && first == null) {
                first = row;
            } else if (m instanceof ErrorResponse e && error == null) {
                error = e;
            }
        }
        return new Reply(List.copyOf(counts), Collections.unmodifiableList(rows), error);
    }

    boolean ok() {
        return error == null;
    }

    /** Index of the slot whose Execute failed; only meaningful when {@link #ok()} is false. */
    int failedSlot() {
        return rowCounts.size();
    }
}
