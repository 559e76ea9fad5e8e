package dev.tandem.proxy.mirror;

/**
 * What an operator can do about a failure the applier retries because only the operator can end it: a target database
 * that does not exist (or was created since without its schema yet), credentials the target refuses, or a lock another
 * session holds there. The server's message says what is wrong but not which
 * setting to change, nor what happens meanwhile: the database is parked ({@link ParkedDatabases}), its transactions
 * wait in the spool and hold it on disk, and the other databases go on.
 */
final class RetryHint {

    private static final String WAITS = "; until then its transactions wait in the spool (which keeps the other"
            + " databases' transactions after them on disk too) and its lag grows";

    private RetryHint() {
    }

    /** The hint to append to the retry's log line, starting with {@code ": "}; empty when there is none. */
    static String of(String sqlState, String database) {
        if (sqlState == null) {
            return "";
        }
        return switch (sqlState) {
            case "3D000" -> ": create database " + database + " on the target (with the source's schema), or mirror"
                    + " its source database into another with target.databases" + WAITS;
            case "28P01", "28000" -> ": the target refuses the proxy's credentials; check target.user and its password"
                    + " (target.password-file, or the environment variable target.password-env names) and the"
                    + " target's pg_hba.conf" + WAITS;
            // only while a database created since its transactions came catches up: it may lack its schema yet
            case "42P01", "3F000" -> ": target database " + database + " was created after its transactions came"
                    + " and lacks this table or schema; restore the source's schema there (pg_dump --schema-only)"
                    + WAITS;
            case "55P03" -> ": another session on the target holds a lock on a table the mirror writes there (an index"
                    + " built without CONCURRENTLY, VACUUM FULL, ALTER TABLE, LOCK TABLE, a TimescaleDB job compressing"
                    + " the chunk written, a transaction left open) and the mirror waited mirror.lock-timeout for it;"
                    + " find the holder with pg_locks and pg_blocking_pids in target database " + database + WAITS;
            default -> "";
        };
    }
}
