package dev.tandem.proxy.mirror;

import java.util.Set;

/**
 * Which target errors are worth retrying unchanged: the target or the connection went away, or the transaction lost
 * a race that the next attempt will probably win. Everything else (constraint violations, missing tables or columns,
 * bad values) would fail the same way again and goes to the divergence ledger. A statement the target cancels
 * ({@code 57014}) is retried: the mirror's connections replace the target's timeouts by their own
 * ({@link TargetSession}), so the cancel came from a person or a tool ({@code pg_cancel_backend}), and the rows it held
 * back were committed on the source; or from {@code mirror.statement-timeout}, which the applier tells apart and
 * retries too, the slow transaction alone, until it has timed out alone too often ({@link TimedOutReplays}). So is a
 * lock the mirror waited for longer than its own {@code lock_timeout} ({@code 55P03}): another session
 * holds it for now. Of the insufficient-resources class ({@code 53}), {@code 53400} configuration_limit_exceeded is not
 * transient: a limit a setting puts on one statement ({@code temp_file_limit}, TimescaleDB's
 * {@code timescaledb.max_tuples_decompressed_per_dml_transaction}) is exceeded again by the same statement, so retrying
 * would hold every later transaction back for good ({@link CompressedChunkRefusals}).
 */
final class TransientErrors {

    private static final Set<String> CODES = Set.of(
            "25006", // read_only_sql_transaction: a standby, or a primary during fail-over; it will take writes again
            "40001", // serialization_failure
            "40P01", // deadlock_detected
            "57P01", // admin_shutdown
            "57P02", // crash_shutdown
            "57P03", // cannot_connect_now
            "57014", // query_canceled
            "55P03"); // lock_not_available

    static final String CONFIGURATION_LIMIT_EXCEEDED = "53400";

    private TransientErrors() {
    }

    static boolean isTransient(String sqlState) {
        return sqlState == null
                || sqlState.startsWith("08") // connection exceptions
                || sqlState.startsWith("53") // insufficient resources (disk full, out of memory, too many connections)
                        && !sqlState.equals(CONFIGURATION_LIMIT_EXCEEDED)
                || CODES.contains(sqlState);
    }
}
