package dev.tandem.proxy.admin;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * One condition {@code GET /ready} reports, such as "source reachable" or "target reachable when mirroring".
 *
 * <p>{@link #check()} runs on the admin server's worker threads, never on its event loop, so it may block on I/O;
 * it should still bound its own I/O (connect and statement timeouts) because the server stops waiting after the
 * configured provider timeout and reports the check as not ready. A check that throws is reported as not ready
 * with a generic message; the exception is logged.
 */
public interface ReadinessCheck {

    /** Short stable name shown in the {@code /ready} JSON, e.g. {@code "source"}. */
    String name();

    /** Evaluates the condition now. */
    Result check() throws Exception;

    /** The outcome of one check: whether it passed and a human-readable explanation either way. */
    record Result(boolean ready, String message) {
        public Result {
            Objects.requireNonNull(message, "message");
        }

        public static Result ready(String message) {
            return new Result(true, message);
        }

        public static Result notReady(String message) {
            return new Result(false, message);
        }
    }

    /**
     * Ready when a TCP connection to {@code host:port} opens within {@code timeout}, e.g. "source reachable" for a
     * proxy that has no source credentials of its own. The connection is closed right away.
     */
    static ReadinessCheck tcpConnect(String name, String host, int port, Duration timeout) {
        String address = host + ":" + port;
        return of(name, () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), Math.toIntExact(timeout.toMillis()));
                return Result.ready(address + " accepts TCP connections (no log-in tried)");
            } catch (IOException e) {
                return Result.notReady("cannot connect to " + address + ": " + e.getMessage());
            }
        });
    }

    /** A check from a name and a callable, for wiring with lambdas. */
    static ReadinessCheck of(String name, Callable<Result> check) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(check, "check");
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Result check() throws Exception {
                return check.call();
            }

            @Override
            public String toString() {
                return "ReadinessCheck[" + name + "]";
            }
        };
    }
}
