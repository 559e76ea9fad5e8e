package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TokenBuffer;
import dev.tandem.protocol.sql.TokenKind;
import java.util.Locale;

/**
 * The {@link InputSettings} a prepared statement's text was read under. PostgreSQL reads a statement's constants when
 * it parses it (a Parse message, an SQL {@code PREPARE}), not when it runs: {@code '2026-03-01 10:00'} into a
 * timestamptz column is an instant of the Parse's {@code TimeZone} (likewise {@code DateStyle}, {@code IntervalStyle}),
 * and a backslash in a string constant escapes or not by the Parse's {@code standard_conforming_strings}. A later SET
 * changes only what its Bind values and EXECUTE arguments mean. The target would read the replayed text under the
 * settings of the run, so a run under others is not replayable. Nor is any run after one: the server reads the text
 * again, under the settings of that moment, whenever something invalidates the statement (a change of
 * {@code search_path}, DDL or an {@code ANALYZE} of its table), which the proxy does not see.
 *
 * <p>Only settings the text can depend on count: the date/time ones when it has a string constant, the string rule
 * when it has a backslash. One per prepared statement; used on the session's event loop only.
 */
final class ParseTimeSettings {

    private final String sql;
    /** Whether the text has a string constant: read once a run's settings differ, as that is rare. */
    private Boolean readsStrings;
    private boolean answered;
    /** Null when the Parse ran where the proxy could not follow the settings. */
    private InputSettings parsed;
    private boolean ranUnderOthers;

    ParseTimeSettings(String sql) {
        this.sql = sql;
    }

    /** The source parsed the statement under {@code settings} (null: not known). */
    void parsed(InputSettings settings) {
        answered = true;
        parsed = settings;
    }

    /**
     * Why a run of the statement under {@code now} cannot be replayed as its text, or null when the target reads the
     * text as the source did.
     */
    String unreplayable(InputSettings now) {
        if (!answered) {
            return null;
        }
        if (parsed == null) {
            if (!readsStrings()) {
                return null;
            }
            ranUnderOthers = true;
            return "a prepared statement parsed after a change of TimeZone, DateStyle, IntervalStyle or"
                    + " standard_conforming_strings the proxy could not follow: the source keeps the constants of its"
                    + " text as it read them then, which the target cannot be told";
        }
        String changed = parsed.equals(now.withReplicationRole(parsed.replicationRole())) || !readsStrings() ? null
                : changed(now);
        if (changed != null) {
            ranUnderOthers = true;
            return "a prepared statement run under another " + changed + " than it was parsed under: the source"
                    + " keeps the constants of its text as it read them at the Parse or PREPARE, the target would read"
                    + " them under the setting of the run";
        }
        if (ranUnderOthers && readsStrings()) {
            return "a prepared statement run earlier under other settings than it was parsed under: the source may"
                    + " have read the constants of its text again then (it does when something invalidates the"
                    + " statement), so which values it wrote cannot be told";
        }
        return null;
    }

    private boolean readsStrings() {
        if (readsStrings == null) {
            TokenBuffer tokens = TokenBuffer.tokenize(sql);
            boolean strings = false;
            for (int i = 0; i < tokens.size() && !strings; i++) {
                strings = tokens.is(i, TokenKind.STRING);
            }
            readsStrings = strings;
        }
        return readsStrings;
    }

    private String changed(InputSettings now) {
        if (!NumericTimeZone.same(parsed.timeZone(), now.timeZone())) {
            return "TimeZone (" + now.timeZone() + ", parsed under " + parsed.timeZone() + ")";
        }
        if (!same(parsed.dateStyle(), now.dateStyle())) {
            return "DateStyle (" + now.dateStyle() + ", parsed under " + parsed.dateStyle() + ")";
        }
        if (!same(parsed.intervalStyle(), now.intervalStyle())) {
            return "IntervalStyle (" + now.intervalStyle() + ", parsed under " + parsed.intervalStyle() + ")";
        }
        if (sql.indexOf('\\') >= 0 && !same(onOff(parsed.standardConformingStrings()),
                onOff(now.standardConformingStrings()))) {
            return "standard_conforming_strings (" + now.standardConformingStrings() + ", parsed under "
                    + parsed.standardConformingStrings() + ")";
        }
        return null;
    }

    /**
     * Whether two spellings name one value: a SET followed within its request keeps the client's spelling
     * ({@code asia/tokyo}), the server reports its own ({@code Asia/Tokyo}); names of zones and styles are read
     * without regard to case.
     */
    private static boolean same(String a, String b) {
        return a == null ? b == null : a.equalsIgnoreCase(b);
    }

    /** A boolean setting's value as the server reports it, from any spelling it takes. */
    private static String onOff(String value) {
        if (value == null) {
            return null;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1", "t", "y" -> "on";
            case "off", "false", "no", "0", "f", "n" -> "off";
            default -> value;
        };
    }
}
