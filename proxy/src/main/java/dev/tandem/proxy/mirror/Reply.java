package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.ErrorResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of one {@link Pipeline} exchange: the row count of each CommandComplete in order (-1 when a tag has
 * none), and the error that stopped it, if any. The failed Execute is the one after the last CommandComplete.
 */
record Reply(List<Long> rowCounts, ErrorResponse error) {

    static Reply of(List<BackendMessage> messages) {
        List<Long> counts = new ArrayList<>();
        ErrorResponse error = null;
        for (BackendMessage m : messages) {
            if (m instanceof CommandComplete c) {
                counts.add(c.rowCount());
            } else if (m instanceof ErrorResponse e && error == null) {
                error = e;
            }
        }
        return new Reply(List.copyOf(counts), error);
    }

    boolean ok() {
        return error == null;
    }

    /** Index of the slot whose Execute failed; only meaningful when {@link #ok()} is false. */
    int failedSlot() {
        return rowCounts.size();
    }
}
