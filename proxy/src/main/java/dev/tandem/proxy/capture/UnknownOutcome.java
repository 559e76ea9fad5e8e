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
 * @param unresolved the unqualified names of writes whose table could not be told (a request ahead of them may have
 *                   changed what they mean), each with the search_path as known; {@code tables} holds the mirrored
 *                   tables they may have written
 * @param times      the writes' rows, whose times the ledger entry's ranges are read from; null when not known (the
 *                   trace of a proxy that stopped without closing its sessions keeps no data)
 */
public record UnknownOutcome(String database, long sessionId, long endedAt, List<TableName> tables,
                             List<String> statements, String awaited, String cause, List<String> unresolved,
                             OutcomeTimes times) {

    public UnknownOutcome {
        tables = List.copyOf(tables);
        statements = List.copyOf(statements);
        unresolved = List.copyOf(unresolved);
    }

    /** Writes whose rows' times are not known. */
    public UnknownOutcome(String database, long sessionId, long endedAt, List<TableName> tables,
                          List<String> statements, String awaited, String cause, List<String> unresolved) {
        this(database, sessionId, endedAt, tables, statements, awaited, cause, unresolved, null);
    }

    /** Writes whose tables were all told. */
    public UnknownOutcome(String database, long sessionId, long endedAt, List<TableName> tables,
                          List<String> statements, String awaited, String cause) {
        this(database, sessionId, endedAt, tables, statements, awaited, cause, List.of());
    }

    /** What happened, for a person: the ledger adds what to do, which depends on the entry's time range. */
    public String message() {
        return "outcome_unknown: the session ended because " + cause + " while the source still owed the answer to "
                + awaited + "; the source may have committed this transaction after the proxy closed the connection,"
                + " and then its rows are on the source only"
                + (unresolved.isEmpty() ? "" : "; which table " + String.join(", ", unresolved) + " meant could not be"
                        + " told (a statement sent ahead of the write may have changed it): the writes may be in any"
                        + " mirrored table of that name, each has an entry like this one");
    }
}
