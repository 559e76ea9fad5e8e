package dev.tandem.protocol.client;

import java.util.regex.Pattern;

/**
 * The words for a failed connection to a server, from the system's own: Netty's native transports put their call
 * before them ("finishConnect(..) failed with error(-111): Connection refused") and annotate a failed connect with the
 * address again, neither of which tells a person anything the sentence around it does not.
 */
public final class SocketFailure {

    /** The prefix Netty's epoll and io_uring transports put before a system error's words. */
    private static final Pattern NATIVE_CALL = Pattern.compile("^\\w+\\(\\.\\.\\) failed( with error\\(-?\\d+\\))?: ");

    private SocketFailure() {
    }

    /** The innermost cause's message ("Connection refused"), or its type when it has none. */
    public static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : NATIVE_CALL.matcher(message).replaceFirst("");
    }
}
