package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.SettingChange;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The session settings that decide what the values a statement writes mean, as the source reported them
 * (ParameterStatus; each is reported at start-up and whenever it changes, in the form {@code SHOW} gives, which
 * {@code set_config} takes back): {@code TimeZone} places a time written without a zone offset ({@code '2026-03-01
 * 10:00'} into a timestamptz column, in SQL text, Bind values or COPY data), {@code DateStyle} orders a date's fields
 * ({@code 02/03/2026}), {@code IntervalStyle} reads an interval's signs, {@code standard_conforming_strings} whether a
 * backslash in a string literal escapes. The target must read a replayed statement under the values the source read
 * it under, not its own defaults, or it stores other values. Null components are not known (a spool record written
 * before they were kept): the target's own apply.
 *
 * <p>{@code replicationRole} is the session's {@code session_replication_role}, which decides which of the target's
 * triggers, rules and foreign-key checks the replay must fire. The server does not report it: the capture follows it
 * ({@link ReplicationRoleState}). A record written before it was kept says {@link ReplicationRole#ORIGIN}, the
 * default.
 */
public record InputSettings(String timeZone, String dateStyle, String intervalStyle,
                            String standardConformingStrings, ReplicationRole replicationRole) {

    public static final InputSettings UNKNOWN = new InputSettings(null, null, null, null);

    public InputSettings {
        Objects.requireNonNull(replicationRole, "replicationRole");
    }

    /** The four reported settings, under {@code session_replication_role = origin}. */
    public InputSettings(String timeZone, String dateStyle, String intervalStyle, String standardConformingStrings) {
        this(timeZone, dateStyle, intervalStyle, standardConformingStrings, ReplicationRole.ORIGIN);
    }

    /** The settings' names as {@code pg_settings} spells them, in the order of {@link #values()}. */
    public static final List<String> NAMES =
            List.of("TimeZone", "DateStyle", "IntervalStyle", "standard_conforming_strings");

    /** From {@link #values()} and {@link #replicationRole()}. */
    public static InputSettings of(List<String> values, ReplicationRole replicationRole) {
        if (values.size() != NAMES.size()) {
            throw new IllegalArgumentException("expected " + NAMES.size() + " setting values, got " + values.size());
        }
        return new InputSettings(values.get(0), values.get(1), values.get(2), values.get(3), replicationRole);
    }

    /** These settings under {@code role}; this when it is theirs already. */
    public InputSettings withReplicationRole(ReplicationRole role) {
        return role == replicationRole ? this
                : new InputSettings(timeZone, dateStyle, intervalStyle, standardConformingStrings, role);
    }

    /** Whether {@code name} (a setting's name in any case, as a SET or a report gives it) is one of these. */
    public static boolean isInputSetting(String name) {
        return index(name) >= 0;
    }

    /**
     * Whether statement {@code s} of {@code sql} may change one of these settings: a SET or RESET of one (or RESET
     * ALL, DISCARD ALL), or a statement calling {@code set_config}. A function that sets one inside is not seen.
     */
    static boolean mayChange(ClassifiedStatement s, String sql) {
        if (s.kind() == ClassifiedStatement.Kind.SET) {
            return s.name() != null && (s.name().equals("all") || isInputSetting(s.name()));
        }
        if (s.tableChange() instanceof ClassifiedStatement.TableChange.DiscardTemporary
                && s.kind() == ClassifiedStatement.Kind.DEALLOCATE) {
            return true; // DISCARD ALL
        }
        return switch (s.kind()) {
            // writes, whose text may be large, are not read through: set_config in their values would be absurd; a
            // PREPARE runs nothing (its EXECUTE is read through the PREPAREd text)
            case INSERT, COPY_FROM_STDIN, COPY_FROM_SERVER, UPDATE, DELETE, MERGE, PREPARE -> false;
            // a DO block's body is a string: read through for the word
            case OTHER -> s.callsSetConfig() || SqlWords.contains(sql, s.start(), s.end(), "set_config");
            default -> s.callsSetConfig();
        };
    }

    /** The reported settings' values in the order of {@link #NAMES}, null where not known. */
    public List<String> values() {
        return Arrays.asList(timeZone, dateStyle, intervalStyle, standardConformingStrings);
    }

    /** These settings after the source reported {@code name} as {@code value}; this when nothing changes. */
    InputSettings reported(String name, String value) {
        int i = index(name);
        if (i < 0 || value.equals(values().get(i))) {
            return this;
        }
        List<String> values = values();
        values.set(i, value);
        return of(values, replicationRole);
    }

    /**
     * These settings after a SET or RESET of {@code name} ran: the value it gives ({@code DateStyle} merged with the
     * present one as PostgreSQL merges it: {@code SET DateStyle TO DMY} keeps the output style), or for a RESET the
     * session's start-up one; null when the result cannot be told here (a value not known before, a DateStyle word
     * this class does not read). This when {@code name} is none of these settings.
     */
    InputSettings changed(String name, SettingChange change, InputSettings startup) {
        int i = index(name);
        if (i < 0) {
            return this;
        }
        String value = change.isDefault() ? startup.values().get(i)
                : NAMES.get(i).equals("DateStyle") ? mergedDateStyle(dateStyle, change.value()) : change.value();
        if (value == null) {
            return null;
        }
        List<String> values = values();
        values.set(i, value);
        return of(values, replicationRole);
    }

    /**
     * {@code current} ({@code ISO, MDY}, as reported) after {@code SET DateStyle TO change}, in the form PostgreSQL
     * reports it; null when either cannot be read (see datestyle's check hook, check_datestyle, in variable.c).
     */
    private static String mergedDateStyle(String current, String change) {
        if (current == null) {
            return null;
        }
        String[] now = current.split("\\s*,\\s*");
        if (now.length != 2) {
            return null;
        }
        String style = now[0];
        String order = now[1];
        boolean orderGiven = false;
        boolean german = false;
        for (String word : change.trim().split("[\\s,]+")) {
            switch (word.toUpperCase(Locale.ROOT)) {
                case "ISO" -> style = "ISO";
                case "SQL" -> style = "SQL";
                case "POSTGRES" -> style = "Postgres";
                case "GERMAN" -> {
                    style = "German";
                    german = true;
                }
                case "YMD" -> {
                    order = "YMD";
                    orderGiven = true;
                }
                case "DMY", "EURO", "EUROPEAN" -> {
                    order = "DMY";
                    orderGiven = true;
                }
                case "MDY", "US", "NONEURO", "NONEUROPEAN" -> {
                    order = "MDY";
                    orderGiven = true;
                }
                default -> {
                    return null; // DEFAULT amid a list, or a word PostgreSQL refuses
                }
            }
        }
        if (german && !orderGiven) {
            order = "DMY"; // German implies DMY unless an order is given
        }
        return style + ", " + order;
    }

    private static int index(String name) {
        String folded = name.toLowerCase(Locale.ROOT);
        for (int i = 0; i < NAMES.size(); i++) {
            if (NAMES.get(i).toLowerCase(Locale.ROOT).equals(folded)) {
                return i;
            }
        }
        return -1;
    }
}
