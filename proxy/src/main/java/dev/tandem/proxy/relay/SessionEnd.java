package dev.tandem.proxy.relay;

/**
 * Why the relay ended a session, as it tells the session's tap.
 *
 * @param cause         in words for a person, e.g. "the proxy shut down"
 * @param internalError the proxy's own reading of the session's frames failed (a bug): what the tap made of them may
 *                      be wrong
 */
public record SessionEnd(String cause, boolean internalError) {

    static SessionEnd because(String cause) {
        return new SessionEnd(cause, false);
    }
}
