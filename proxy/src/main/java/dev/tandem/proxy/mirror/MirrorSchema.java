package dev.tandem.proxy.mirror;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.capture.InputSettings;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The mirror's own state on each target database, beside the shared {@link TandemSchema} tables.
 *
 * <p>{@code tandem.mirror_progress} holds, per proxy instance, the last spool record applied to this database: its
 * {@code sequence} (for people) and the spool position right after it ({@code next_segment}, {@code next_offset}),
 * which is what the applier compares records with. The position, unlike the sequence, stays ordered when the spool
 * lost its tail in a host crash and continued in a new segment past the stored position (see
 * {@code Spool.openReader}). The row is written in the same target transaction as the replayed rows. Its DDL is in
 * {@link TandemSchema}: the backfill reads {@code caught_up_to}.
 */
public final class MirrorSchema {

    /**
     * This instance's applier lock in one target database, held by each applier connection for its lifetime: a
     * connection of an earlier applier of the instance (the proxy was killed, or lost its connection, while a group
     * was in flight) may still commit that group, so progress is read only once no such connection is left.
     */
    static final String TRY_LOCK = "SELECT pg_try_advisory_lock(hashtext('tandem.mirror'), hashtext($1))::text";

    /** Waits for the lock; see {@link #TRY_LOCK}. */
    static final String LOCK = "SELECT pg_advisory_lock(hashtext('tandem.mirror'), hashtext($1))::text";

    /**
     * Ends the other connections holding the lock (see {@link #TRY_LOCK}) and says which: a group such a connection
     * has not committed yet is rolled back and applied again by this one; one it committed shows in the progress
     * read after the lock is taken.
     */
    static final String END_LOCK_HOLDERS = """
            SELECT count(pg_terminate_backend(l.pid))::text,
                   string_agg(format('pid %s (%s, %s since %s)', l.pid, a.application_name, a.state, a.state_change),
                              ', ')
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = hashtext('tandem.mirror')::oid AND l.objid = hashtext($1)::oid AND l.objsubid = 2""";

    /**
     * The connections holding this instance's applier lock (see {@link #TRY_LOCK}) of an {@link ApplierRun} started
     * after {@code $2} (epoch milliseconds; {@code $3} is {@link ApplierRun#PREFIX}), described for a person; NULL
     * when there is none.
     */
    static final String LATER_LOCK_HOLDERS = """
            SELECT string_agg(format('pid %s from %s, connected since %s, its mirror started at %s', l.pid,
                                     COALESCE(host(a.client_addr), 'a local socket'), a.backend_start,
                                     to_timestamp(run.started / 1000.0)), ', ')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid,
                 LATERAL (SELECT CASE WHEN a.application_name ~ ('^' || $3::text || '[0-9]{1,18}$')
                                      THEN substr(a.application_name, length($3::text) + 1)::bigint END AS started) run
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = hashtext('tandem.mirror')::oid AND l.objid = hashtext($1)::oid AND l.objsubid = 2
              AND run.started > $2::bigint""";

    /**
     * Makes this instance known on the target before it applied anything, with {@code caught_up_to} unknown (null):
     * a backfill copy waits for every instance listed, and one whose first groups keep failing still has rows in its
     * spool that the copy must not get ahead of. The position is the spool's origin, as when there is no row. A row
     * an earlier clean stop marked ({@link #STOPPED}) is running again: the backfill waits for it again.
     */
    static final String REGISTER = """
            INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset, applied_at)
            VALUES ($1, 0, 0, 0, now())
            ON CONFLICT (instance_id) DO UPDATE SET stopped_at = NULL
            WHERE tandem.mirror_progress.stopped_at IS NOT NULL""";

    /**
     * A clean stop with everything spooled applied here: {@code caught_up_to} moves as in {@link #CAUGHT_UP} (with the
     * same {@code $2}), and {@code stopped_at} tells the backfill there is nothing left to wait for. Returns the
     * instance id when the row was there to mark.
     */
    static final String STOPPED = """
            UPDATE tandem.mirror_progress
            SET stopped_at = now(), caught_up_to = GREATEST(caught_up_to, now() - $2::float8 * interval '1 millisecond')
            WHERE instance_id = $1
            RETURNING instance_id""";

    static final String READ_PROGRESS =
            "SELECT sequence, next_segment, next_offset, spool_epoch FROM tandem.mirror_progress WHERE instance_id = $1";

    /**
     * {@code $5}: how many milliseconds before this transaction's start everything the proxy saw committed was
     * applied (the group's last record's age, plus a margin): {@code caught_up_to} on the target's own clock.
     * {@code $6}: the spool epoch of the group's last record.
     */
    static final String WRITE_PROGRESS = """
            INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset, applied_at,
                caught_up_to, spool_epoch)
            VALUES ($1, $2, $3, $4, now(), now() - $5::float8 * interval '1 millisecond', $6)
            ON CONFLICT (instance_id) DO UPDATE SET sequence = EXCLUDED.sequence, next_segment = EXCLUDED.next_segment,
                next_offset = EXCLUDED.next_offset, applied_at = EXCLUDED.applied_at,
                caught_up_to = GREATEST(tandem.mirror_progress.caught_up_to, EXCLUDED.caught_up_to),
                spool_epoch = EXCLUDED.spool_epoch""";

    /** While the spool is empty: everything seen committed up to {@code $2} milliseconds ago is applied. */
    static final String CAUGHT_UP = """
            UPDATE tandem.mirror_progress
            SET caught_up_to = GREATEST(caught_up_to, now() - $2::float8 * interval '1 millisecond')
            WHERE instance_id = $1""";

    static final String READ_DUAL_WRITE =
            "SELECT first_mirrored_at IS NOT NULL, marked_at IS NOT NULL FROM tandem.dual_write WHERE database = $1";

    /** The first mirrored commit of a database; its source commit time in epoch milliseconds. */
    static final String FIRST_MIRRORED = """
            INSERT INTO tandem.dual_write (database, first_mirrored_at) VALUES ($1, to_timestamp($2::float8 / 1000))
            ON CONFLICT (database) DO NOTHING""";

    /** {@code mirror.mark-dual-write-start}: the mark is the first mirrored commit's time unless one is set already. */
    static final String MARK_AT_FIRST_COMMIT = """
            UPDATE tandem.dual_write SET marked_at = to_timestamp($2::float8 / 1000), marked_by = $3
            WHERE database = $1 AND marked_at IS NULL""";

    static final String MARK_NOW = """
            INSERT INTO tandem.dual_write (database, marked_at, marked_by) VALUES ($1, now(), $2)
            ON CONFLICT (database) DO UPDATE SET marked_at = now(), marked_by = EXCLUDED.marked_by""";

    /**
     * A ledger row; {@code recorded_at} is the source commit as the proxy saw it ({@code $12}, epoch milliseconds), not
     * when the applier got to it: after a target outage that is much later, and {@code settle} looks for a re-copy of
     * the rows' time.
     */
    static final String LEDGER = """
            INSERT INTO tandem.divergence (instance_id, database, session, table_schema, table_name, sqlstate, message,
                statement, time_column, range_start, range_end, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, to_timestamp($12::bigint / 1000.0))""";

    /**
     * Sets a replayed statement's search_path for the rest of the group. This and the other settings the mirror sets
     * between replayed statements run under the path the statement before left, which a source session may have
     * chosen to list a schema of its own before pg_catalog: qualified, they cannot call a function of that schema.
     */
    static final String SET_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', $1, true)";

    /**
     * Ends replayed statements that ran under a path of the source session's: the mirror's statements after them (a
     * group's progress and dual-write start, the query for a ledger entry's range) name functions, types and operators
     * unqualified, which a schema listed before pg_catalog could otherwise supply, run as the mirror's user.
     */
    static final String BOOKKEEPING_PATH = "SELECT pg_catalog.set_config('search_path', 'pg_catalog', true)";

    /** The target reads a statement's text, values or COPY data in the encoding the client sent them in. */
    static final String SET_CLIENT_ENCODING = "SELECT pg_catalog.set_config('client_encoding', $1, true)";

    /**
     * The target reads a statement's values under the session settings the source read them under (see
     * {@link dev.tandem.proxy.capture.InputSettings}), for the rest of the transaction. Fails as
     * {@link #CHECK_SESSION} does unless the session still has the settings the applier set last ({@code $5}, joined
     * by chr(31), when it set none in this transaction): setting them again would hide a change a replayed statement
     * made, which the statements since were read under. The values as the target shows them ({@code utc} as
     * {@code UTC}), which set_config returns, are kept in {@link #inputSettingsSet()} to compare with: a value as the
     * capture followed a SET may be spelled otherwise.
     */
    static final String SET_INPUT_SETTINGS = "SELECT CASE WHEN pg_catalog.texteq(found, expected)"
            + " THEN pg_catalog.set_config('tandem.input_settings', pg_catalog.concat_ws(pg_catalog.chr(31),"
            + " pg_catalog.set_config('TimeZone', $1, true), pg_catalog.set_config('DateStyle', $2, true),"
            + " pg_catalog.set_config('IntervalStyle', $3, true),"
            + " pg_catalog.set_config('standard_conforming_strings', $4, true)), true)"
            + " ELSE CAST(" + differing(InputSettings.NAMES) + " AS pg_catalog.text)"
            + " END FROM (SELECT " + settings(InputSettings.NAMES) + " AS found,"
            + " COALESCE(" + inputSettingsSet() + ", $5::pg_catalog.text) AS expected) AS session";

    /**
     * Sets {@code session_replication_role} for the rest of the transaction, as the source session had it (see
     * {@link dev.tandem.proxy.capture.ReplicationRole}). It takes a superuser, or on PostgreSQL 15 and later
     * {@code GRANT SET ON PARAMETER session_replication_role}: refused, it fails with 42501.
     */
    static final String SET_REPLICATION_ROLE = "SELECT pg_catalog.set_config('session_replication_role', $1, true)";

    /**
     * The part of the mirror's session state that nothing in a group sets, as one text: its users (session and
     * current: SET ROLE, SET SESSION AUTHORIZATION), read-only modes, timeouts, and the settings that decide how the
     * target reads a value that the source does not report, which replays run under the target's own: the zone
     * abbreviations a time may name, how {@code money} is read, whether {@code NULL} in an array is one. Read when the
     * session opens and compared by {@link #CHECK_SESSION}. Every name is qualified: a replayed statement may have
     * changed search_path.
     */
    static final String FIXED_STATE = "pg_catalog.concat_ws(pg_catalog.chr(31), session_user, current_user, "
            + settings(CheckedSettings.FIXED) + ")";

    /**
     * The settings {@link #CHECK_SESSION} compares, in its order: {@link #FIXED_STATE}'s (after session_user and
     * current_user), then those the applier sets. A class of their own, initialized before the statements made of them.
     */
    private static final class CheckedSettings {
        static final List<String> FIXED = List.of("transaction_read_only", "default_transaction_read_only",
                "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "timezone_abbreviations",
                "lc_monetary", "array_nulls");
        static final List<String> SET_BY_APPLIER = List.of("search_path", "session_replication_role",
                "client_encoding", "TimeZone", "DateStyle", "IntervalStyle", "standard_conforming_strings");
        static final List<String> ALL = Stream.of(List.of("session_user", "current_user"), FIXED, SET_BY_APPLIER)
                .flatMap(List::stream).toList();
    }

    /**
     * Fails (22P02, its message naming each setting that differs and its value found, {@code TimeZone Asia/Tokyo})
     * unless the session is as the applier left it: {@link #FIXED_STATE} as read at connect, then the search_path,
     * session_replication_role and client_encoding the group set last, given as $1 joined by chr(31), and the input
     * settings {@link #SET_INPUT_SETTINGS} set last, or when it set none those in force when the group began ($2, joined
     * the same way). A function a replayed INSERT calls, or a trigger of the target's, may change the session it
     * runs in (set_config, or SET or SET LOCAL in its body) without the capture seeing it: the applier sets a member's
     * settings only where they differ from those of the member before it, so the members after it would be run under
     * the change (into another schema's table, their times in another zone, their dates' fields in another order,
     * their backslashes or text read otherwise), and what follows the group too unless the change was LOCAL. Failing, the
     * group's transaction rolls the change back with everything else. Only qualified functions, no operator: the
     * statement is right whatever search_path is in force.
     */
    static final String CHECK_SESSION = "SELECT CASE WHEN pg_catalog.texteq(found, expected) THEN 0"
            + " ELSE " + differing(CheckedSettings.ALL)
            + " END FROM (SELECT pg_catalog.concat_ws(pg_catalog.chr(31), " + FIXED_STATE + ", "
            + settings(CheckedSettings.SET_BY_APPLIER) + ") AS found,"
            + " pg_catalog.concat_ws(pg_catalog.chr(31), $1::pg_catalog.text, COALESCE(" + inputSettingsSet()
            + ", $2::pg_catalog.text)) AS expected) AS session";

    /** The current values of the named settings, joined by chr(31). */
    private static String settings(List<String> names) {
        return names.stream().map(name -> "pg_catalog.current_setting('" + name + "')")
                .collect(Collectors.joining(", ", "pg_catalog.concat_ws(pg_catalog.chr(31), ", ")"));
    }

    /**
     * Fails with 22P02, its message naming each of {@code names} whose value in {@code found} differs from
     * {@code expected}, with the value found ({@code TimeZone Asia/Tokyo}): both are columns of the query it is in,
     * the values in the order of the names, joined by chr(31).
     */
    private static String differing(List<String> names) {
        return "CAST((SELECT pg_catalog.string_agg(pg_catalog.concat(name, ' ', value), ', ' ORDER BY n)"
                + " FROM ROWS FROM (pg_catalog.unnest(ARRAY['" + String.join("', '", names) + "']),"
                + " pg_catalog.unnest(pg_catalog.string_to_array(found, pg_catalog.chr(31))),"
                + " pg_catalog.unnest(pg_catalog.string_to_array(expected, pg_catalog.chr(31))))"
                + " WITH ORDINALITY AS setting (name, value, applied, n)"
                + " WHERE pg_catalog.texteq(value, applied) IS NOT TRUE) AS pg_catalog.int4)";
    }

    /**
     * The input settings {@link #SET_INPUT_SETTINGS} set last in this transaction, as the target shows them; NULL, or
     * empty once a transaction that set them ended, when none were set.
     */
    private static String inputSettingsSet() {
        return "NULLIF(pg_catalog.current_setting('tandem.input_settings', true), '')";
    }

    private MirrorSchema() {
    }

    /** The shared DDL (which includes the mirror's progress table), idempotent, runnable as one simple query. */
    public static String ddl() {
        return TandemSchema.ddl();
    }
}
