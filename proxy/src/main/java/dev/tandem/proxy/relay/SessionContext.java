package dev.tandem.proxy.relay;

import java.util.concurrent.ScheduledExecutorService;

/**
 * Who a session is, and the one thing a tap may ask of the relay: to resume a held source stream.
 *
 * @param sessionId the proxy's number for this session, unique within the process
 * @param database  the database from the client's StartupMessage (defaults to the user name, as PostgreSQL does)
 * @param user      the user from the StartupMessage
 * @param searchPath the {@code search_path} the StartupMessage sets, as written there, or null
 * @param replicationRole the {@code session_replication_role} the StartupMessage sets, as written there, or null
 * @param role      the {@code role} the StartupMessage sets ({@code -c role=...} in options), as written there, or null
 * @param resumer   resumes the source stream held by the tap; safe to call from any thread
 * @param eventLoop the session's event loop, for a tap's work that continues later (a commit waiting its turn to be
 *                  spooled): the observers run on it, so such work sees the tap's state as they left it
 */
public record SessionContext(long sessionId, String database, String user, String searchPath, String replicationRole,
                             String role, Runnable resumer, ScheduledExecutorService eventLoop) {

    public void resume() {
        resumer.run();
    }
}
