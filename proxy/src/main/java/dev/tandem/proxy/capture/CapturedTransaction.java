package dev.tandem.proxy.capture;

import java.util.List;

/**
 * What one source transaction wrote to mirrored tables, released only after the source committed it.
 *
 * @param database    the client session's database on the source
 * @param user        the session's user, for the ledger
 * @param sessionId   the proxy's number for the client session
 * @param searchPath  the session's {@code search_path} at commit, or empty for the server default
 * @param committedAt when the proxy saw the commit (epoch milliseconds)
 */
public record CapturedTransaction(String database, String user, long sessionId, List<String> searchPath,
                                 long committedAt, List<CapturedStatement> statements) {

    public CapturedTransaction {
        searchPath = List.copyOf(searchPath);
        statements = List.copyOf(statements);
    }

    public long payloadBytes() {
        long n = 0;
        for (CapturedStatement s : statements) {
            n += s.payloadBytes();
        }
        return n;
    }
}
