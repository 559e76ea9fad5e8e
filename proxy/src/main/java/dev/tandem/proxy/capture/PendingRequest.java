package dev.tandem.proxy.capture;

import dev.tandem.protocol.frontend.StatementOrPortal;
import dev.tandem.protocol.sql.ClassifiedStatement;
import java.util.ArrayList;
import java.util.List;

/**
 * A request of the client that the source answers, held in {@link SessionCapture}'s queue in the order the source
 * answers them, until its terminal answer: what the capture knows of each kind of request while it waits. The
 * {@link ForecastWalk} reads the same queue for what the source may still commit.
 */
sealed interface PendingRequest {

    /**
     * A simple Query: its statements run one after the other, so what each one writes is decided when it runs (its
     * CopyInResponse or CommandComplete), under the {@code search_path} the statements before it left.
     */
    final class QueryRequest implements PendingRequest {
        final String sql;
        final List<ClassifiedStatement> statements;
        /** One per COPY FROM STDIN among {@link #statements}, in their order. */
        final List<CopyIn> copies = new ArrayList<>();
        /** Its number among the session's texts, and the client_encoding it was read in (null: UTF8). */
        final long text;
        final String encoding;
        final StatementCapture[] captures;
        final boolean[] decided;
        int next;
        /** Its number among the session's runs ({@link SessionCapture#runsSent}). */
        final long run;

        QueryRequest(String sql, List<ClassifiedStatement> statements, long text, String encoding, long run) {
            this.sql = sql;
            this.statements = statements;
            this.text = text;
            this.encoding = encoding;
            this.run = run;
            this.captures = new StatementCapture[statements.size()];
            this.decided = new boolean[statements.size()];
        }
    }

    record ParseRequest(String name, Prepared prepared) implements PendingRequest {
    }

    /**
     * {@code parameters}: how many values the Bind gives, read only when a statement it may bind controls the
     * transaction (else -1).
     */
    record BindRequest(String name, Portal portal, int parameters) implements PendingRequest {
    }

    /**
     * An Execute, made for the portal the client last bound under its name ({@link #portal} is provisional), which
     * the source may not hold when it runs it: the first answer settles it ({@link SessionCapture#settle}).
     */
    final class ExecuteRequest implements PendingRequest {
        final ServerNames.Reference<Portal> portal;
        /** The portal's statement when {@link #capture} was made (or not: a portal runs its statement once). */
        Prepared capturedFrom;
        StatementCapture capture;
        /** Set when the portal may run a COPY FROM STDIN. */
        final CopyIn copy;
        /** The client's portal runs a COPY: the client ends {@link #copy}, else only the source may start it. */
        final boolean copyExpected;
        /** The client_encoding when it was sent, for a capture made again when it runs. */
        final String clientEncoding;
        /** No Execute was sent before for its provisional portal: the server refuses to run a portal twice. */
        final boolean firstRun;
        /** Its number among the session's runs ({@link SessionCapture#runsSent}). */
        final long run;

        ExecuteRequest(ServerNames.Reference<Portal> portal, StatementCapture capture, CopyIn copy,
                       boolean copyExpected, String clientEncoding, boolean firstRun, long run) {
            this.portal = portal;
            this.capturedFrom = portal.get() == null ? null : portal.get().prepared();
            this.capture = capture;
            this.copy = copy;
            this.copyExpected = copyExpected;
            this.clientEncoding = clientEncoding;
            this.firstRun = firstRun;
            this.run = run;
        }

        Portal portal() {
            return portal.get();
        }
    }

    /** Queued although it changes nothing: when it fails, the source skips the rest of its batch. */
    record DescribeRequest() implements PendingRequest {
    }

    record CloseRequest(StatementOrPortal kind, String name) implements PendingRequest {
    }

    /** {@code duringCopy}: sent after a COPY FROM STDIN request and before its CopyDone or CopyFail. */
    record SyncRequest(boolean duringCopy) implements PendingRequest {
    }

    record FunctionRequest() implements PendingRequest {
    }
}
