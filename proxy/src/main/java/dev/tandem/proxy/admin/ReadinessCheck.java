package dev.tandem.proxy.admin;

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
