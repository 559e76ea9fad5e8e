package dev.tandem.proxy.relay;

import dev.tandem.protocol.frame.FrameObserver;

/**
 * What the relay lets a feature (the mirror's capture) see of one session, without the relay knowing the feature.
 * Both observers run on the session's event loop. The backend observer may hold a frame (return false from
 * {@code onFrame}); it must then arrange for {@link SessionContext#resume()} to be called.
 */
public interface SessionTap {

    FrameObserver frontend();

    FrameObserver backend();

    /**
     * The source accepted the session (its first ReadyForQuery): from now on the StartupMessage's database and user
     * are the source's word, not only the client's claim. Called at most once, on the event loop.
     */
    default void authenticated() {
    }

    /**
     * The source still owes the answer to a request that may commit something the tap follows: when the proxy shuts
     * down, the relay then reads the source's answers on (up to {@code limits.drain-timeout}) instead of cutting it.
     * Asked on the event loop.
     */
    default boolean awaitsOutcome() {
        return false;
    }

    /**
     * The session ended (either side), and the source connection with it; called once, on the event loop. Whatever
     * the source still owed an answer to stays unanswered for good.
     */
    void closed(SessionEnd end);

    /** Opens a tap per session; returns null for sessions it does not want to see. */
    interface Factory {
        SessionTap open(SessionContext context);
    }
}
