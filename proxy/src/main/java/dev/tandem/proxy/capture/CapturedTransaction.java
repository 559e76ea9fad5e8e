package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.List;
import java.util.Set;

/**
 * What one source transaction wrote to mirrored tables, released only after the source committed it.
 *
 * @param database    the client session's database on the source
 * @param user        the session's user, for the ledger
 * @param sessionId   the proxy's number for the client session
 * @param searchPath  the session's {@code search_path} at commit, or empty for the server default
 * @param committedAt when the proxy saw the commit (epoch milliseconds)
 * @param unconfirmed tables written here that the proxy could not yet tell are mirrored: hypertables are the
 *                    default set and the target's list of them was not known when the transaction committed. The
 *                    applier keeps their statements only if the target says the table is a hypertable.
 */
public record CapturedTransaction(String database, String user, long sessionId, List<String> searchPath,
                                 long committedAt, List<CapturedStatement> statements, Set<TableName> unconfirmed) {

    public CapturedTransaction {
        searchPath = List.copyOf(searchPath);
        statements = List.copyOf(statements);
        unconfirmed = Set.copyOf(unconfirmed);
    }

    /** A transaction whose every table is known to be mirrored. */
    public CapturedTransaction(String database, String user, long sessionId, List<String> searchPath,
                               long committedAt, List<CapturedStatement> statements) {
        this(database, user, sessionId, searchPath, committedAt, statements, Set.of());
    }

    /** This transaction with {@code replaced} as its statements. */
    public CapturedTransaction withStatements(List<CapturedStatement> replaced) {
        return new CapturedTransaction(database, user, sessionId, searchPath, committedAt, replaced, unconfirmed);
    }

    /** This transaction with only {@code kept} of its statements, every table confirmed. */
    public CapturedTransaction confirmed(List<CapturedStatement> kept) {
        return new CapturedTransaction(database, user, sessionId, searchPath, committedAt, kept);
    }

    public long payloadBytes() {
        long n = 0;
        for (CapturedStatement s : statements) {
            n += s.payloadBytes();
        }
        return n;
    }
}
