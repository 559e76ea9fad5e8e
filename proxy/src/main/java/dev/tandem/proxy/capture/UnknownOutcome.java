package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.List;

/**
 * Mirrored writes the source may have committed without the proxy seeing it: the session ended while the source still
 * owed the answer to a request that commits them. Their rows are then on the source only.
 *
 * @param database   the session's source database
 * @param sessionId  the proxy's number for the session
 * @param endedAt    when the session ended (epoch milliseconds)
 * @param tables     the mirrored tables written, each once
 * @param statements the writes' SQL as the client sent it (never parameter values or COPY data), in order
 * @param awaited    the request whose answer the source owed, in words ("a COMMIT")
 * @param cause      why the session ended, in words ("the proxy shut down")
 */
public record UnknownOutcome(String database, long sessionId, long endedAt, List<TableName> tables,
                             List<String> statements, String awaited, String cause) {

    public UnknownOutcome {
        tables = List.copyOf(tables);
        statements = List.copyOf(statements);
    }

    /** The ledger's message: what happened and what to do, for a person. */
    public String message() {
        return "outcome_unknown: the session ended because " + cause + " while the source still owed the answer to "
                + awaited + "; the source may have committed this transaction after the proxy closed the connection,"
                + " and then its rows are on the source only: compare the table with tandem-backfill verify";
    }
}
