package dev.tandem.proxy.admin;

/**
 * Supplies the document {@code GET /status} answers with: mode, dual-write start and mark, lag, spool, per-table
 * counters.
 *
 * <p>The returned value is serialised with Jackson: records, {@code Map}s, {@code List}s, strings, numbers,
 * booleans, {@code Optional}s and {@code java.time} values (written as ISO-8601 strings) are all fine. It runs on
 * the admin server's worker threads, so it may query the target; throw {@link AdminRequestException} for an
 * expected refusal with its own status code; any other exception becomes a logged 500 with a generic message.
 */
@FunctionalInterface
public interface StatusProvider {

    Object status() throws Exception;
}
