package dev.tandem.protocol.sql;

import java.util.Collection;
import java.util.Set;

/**
 * Names whose value differs between the source's execution of an INSERT and its replay on the target: functions
 * (which count only when called, {@code now()}), SQL value keywords (no parentheses, {@code current_timestamp}) and
 * the special date/time input strings ({@code 'now'::timestamptz}). Besides clocks, random values and sequences,
 * that includes the session's identity: the mirror replays as its own user, from its own address and backend.
 */
public final class NonDeterminism {

    /** Counted only when followed by {@code (}. */
    private static final String[] FUNCTIONS = {
        "now", "transaction_timestamp", "statement_timestamp", "clock_timestamp", "timeofday",
        "random", "random_normal", "gen_random_uuid", "gen_random_bytes", "uuid_generate_v1", "uuid_generate_v1mc",
        "uuid_generate_v4", "uuidv4", "uuidv7", "nextval", "currval", "setval", "txid_current",
        "pg_current_xact_id", "txid_current_if_assigned", "pg_backend_pid", "inet_client_addr", "inet_client_port",
        "current_schema"
    };

    /** SQL value functions, written without parentheses. */
    private static final String[] KEYWORDS = {
        "current_timestamp", "current_date", "current_time", "localtime", "localtimestamp",
        "current_user", "session_user", "current_role", "user", "current_catalog", "current_schema"
    };

    private static final String[] SPECIAL_DATES = {"now", "today", "tomorrow", "yesterday"};

    /**
     * Those of the names above whose values are no time, nor a number that could be one: identities, random bytes,
     * the session's identity. A name added above that makes none belongs here too.
     */
    private static final Set<String> TIMELESS = Set.of("gen_random_uuid", "gen_random_bytes", "uuid_generate_v1",
            "uuid_generate_v1mc", "uuid_generate_v4", "uuidv4", "uuidv7", "current_user", "session_user",
            "current_role", "user", "current_catalog", "current_schema", "inet_client_addr");

    private NonDeterminism() {
    }

    /**
     * Whether every one of {@code names} (as {@link ClassifiedStatement#nonDeterministic()} gives them) makes a value
     * that is no time: a statement calling only those gets the same times on any server.
     */
    public static boolean makeNoTime(Collection<String> names) {
        return TIMELESS.containsAll(names);
    }

    /** The function name {@code sql[start, end)} matches (ASCII case-insensitive), or null. */
    static String function(String sql, int start, int end, boolean ignoreCase) {
        return match(FUNCTIONS, sql, start, end, ignoreCase);
    }

    static String keyword(String sql, int start, int end) {
        return match(KEYWORDS, sql, start, end, true);
    }

    /**
     * A cheap filter before decoding a string token {@code sql[start, end)}: short, and its first non-blank
     * character after the quote can start one of the special values.
     */
    static boolean maybeSpecialDate(String sql, int start, int end) {
        if (end - start > 20) {
            return false;
        }
        int p = sql.charAt(start) == '$' ? sql.indexOf('$', start + 1) + 1 : sql.indexOf('\'', start) + 1;
        // PostgreSQL's date/time input skips any white space (tabs, newlines) before the word, as trim() does
        while (p < end && sql.charAt(p) <= ' ') {
            p++;
        }
        if (p >= end) {
            return false;
        }
        // an escape (E'\n now', U&'\0009now') may stand for more white space: only the decoded value can tell
        return sql.charAt(p) == '\\' || mayStartSpecialDate(sql.charAt(p));
    }

    /**
     * Whether {@code c}, the first character of a value after its blanks, can start one of the special values
     * ({@code now}, {@code today}, {@code tomorrow}, {@code yesterday}, any case): the cheap test before
     * {@link #specialDate}.
     */
    public static boolean mayStartSpecialDate(int c) {
        int lower = c | 0x20;
        return lower == 'n' || lower == 't' || lower == 'y';
    }

    /**
     * {@code 'now'} and friends, as PostgreSQL's date/time input reads them: trimmed, any case. Returns the value
     * quoted ({@code 'now'}), or null for any other value.
     */
    public static String specialDate(String value) {
        String v = value.trim();
        for (String s : SPECIAL_DATES) {
            if (v.equalsIgnoreCase(s)) {
                return "'" + s + "'";
            }
        }
        return null;
    }

    private static String match(String[] names, String sql, int start, int end, boolean ignoreCase) {
        int length = end - start;
        if (length < 3 || length > 24) {
            return null;
        }
        for (String name : names) {
            if (name.length() == length && (ignoreCase
                    ? Keywords.equalsIgnoreCase(sql, start, end, name)
                    : sql.startsWith(name, start))) {
                return name;
            }
        }
        return null;
    }
}
