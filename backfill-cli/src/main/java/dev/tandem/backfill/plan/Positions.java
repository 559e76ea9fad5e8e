package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.UsageException;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Turns a value written by a person or the proxy into a position, letting PostgreSQL parse it in the column's type. */
public final class Positions {

    private Positions() {
    }

    /** The time zone a plan reads times in when none is given: {@code --time-zone}'s default. */
    public static final String DEFAULT_ZONE = "UTC";

    /**
     * The server's {@code now()} as a position of {@code type}, what {@code --max-lateness} counts back from: the
     * instant for {@code timestamptz}, the wall-clock time in {@code zone} for {@code timestamp} and {@code date}
     * columns, whose values are the local times of some zone.
     */
    public static long now(Connection connection, TimeType type, String zone) throws SQLException {
        String now = type == TimeType.TIMESTAMPTZ ? "now()" : "now() AT TIME ZONE " + Identifiers.quoteLiteral(zone);
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + TimeType.TIMESTAMP.positionOf(now))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** @throws UsageException when PostgreSQL does not know {@code zone} */
    public static void checkZone(Connection connection, String zone) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT now() AT TIME ZONE ?")) {
            ps.setString(1, zone);
            ps.executeQuery().close();
        } catch (SQLException e) {
            if (!refusedValue(e)) {
                throw e;
            }
            throw new UsageException("--time-zone " + zone + " is not a time zone the source knows (see "
                    + "pg_timezone_names): " + e.getMessage());
        }
    }

    /**
     * Like {@link #parse}, for a moment rather than a column value: a time with an offset (the dual-write mark always
     * has one) is converted to its wall-clock time in {@code zone} for {@code timestamp} and {@code date} columns, and a
     * time without one is read in {@code zone}. {@link #parse} would drop the offset, as PostgreSQL does when it stores
     * such a literal in a {@code timestamp} column. A moment in the repeated hour of a fall-back gives where the local
     * times before it end ({@link #repeatedLocalTimesEnd}), or that end's day for a {@code date} column.
     */
    public static long parseMoment(Connection connection, TimeType type, String value, String what, String zone)
            throws SQLException {
        if (type.isInteger()) {
            return parse(connection, type, value, what);
        }
        setZone(connection, zone);
        try {
            String moment = TimeType.TIMESTAMPTZ.cast("?");
            long position = position(connection, type == TimeType.TIMESTAMPTZ ? moment : type.cast(moment), type,
                    value, what);
            long end = type == TimeType.TIMESTAMPTZ ? Long.MIN_VALUE : repeatedLocalTimesEnd(connection, value, zone);
            if (end == Long.MIN_VALUE) {
                return position;
            }
            // a date bound is the day of that end: it holds every date before it, as the end holds every time
            return Math.max(position, type == TimeType.DATE
                    ? Math.floorDiv(end, TimeType.MICROS_PER_DAY) * TimeType.MICROS_PER_DAY : end);
        } finally {
            setZone(connection, DEFAULT_ZONE);
        }
    }

    /**
     * Where the local times of a fall-back that the moment {@code value} (read in the session's zone, {@code zone})
     * follows within a day end, as a {@code timestamp} position; {@link Long#MIN_VALUE} when there is none. Inside the
     * repeated hour the moment's own local time is earlier than those of instants before it (02:20 winter time after
     * 02:40 summer time): a bound of rows written before the moment must reach the end of the repeated hour, or rows
     * written just before it are neither copied nor mirrored. Java's tz rules find the transitions, the server's
     * reads the local time just before each, so that the bound is the local time of an instant before the moment.
     * A zone Java does not know (a POSIX zone such as {@code <+03>-3}, or one with daylight-saving rules of its own)
     * is read as before, at the moment's own local time.
     */
    private static long repeatedLocalTimesEnd(Connection connection, String value, String zone) throws SQLException {
        ZoneRules rules;
        try {
            rules = ZoneId.of(zone).getRules();
        } catch (DateTimeException e) {
            return Long.MIN_VALUE;
        }
        long momentMicros;
        try (PreparedStatement ps = connection.prepareStatement("SELECT "
                + TimeType.TIMESTAMPTZ.positionOf(TimeType.TIMESTAMPTZ.cast("?")))) {
            ps.setString(1, value.trim());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                momentMicros = rs.getLong(1);
            }
        }
        Instant moment = Instant.ofEpochSecond(Math.floorDiv(momentMicros, 1_000_000L),
                Math.floorMod(momentMicros, 1_000_000L) * 1000L);
        long end = Long.MIN_VALUE;
        for (ZoneOffsetTransition t = rules.previousTransition(moment.plusNanos(1));
             t != null && t.getInstant().isAfter(moment.minus(Duration.ofDays(1)));
             t = rules.previousTransition(t.getInstant())) {
            if (t.isOverlap()) {
                try (PreparedStatement ps = connection.prepareStatement("SELECT " + TimeType.TIMESTAMP.positionOf(
                        "CAST(to_timestamp(?) - interval '1 microsecond' AS timestamp)") + " + 1")) {
                    ps.setLong(1, t.getInstant().getEpochSecond());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        end = Math.max(end, rs.getLong(1));
                    }
                }
            }
        }
        return end;
    }

    /** Every backfill session runs in UTC ({@code RangeChecksum.SESSION_SETTINGS}); parsing in a zone is the exception. */
    private static void setZone(Connection connection, String zone) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT set_config('TimeZone', ?, false)")) {
            ps.setString(1, zone);
            ps.executeQuery().close();
        }
    }

    /**
     * @param what names the value in the error message, e.g. {@code --until}
     * @throws UsageException when the value of a flag is not valid for the type
     * @throws BackfillException when another value (a ledger entry's bound) is not
     */
    public static long parse(Connection connection, TimeType type, String value, String what) throws SQLException {
        if (type.isInteger() && !value.trim().matches("-?\\d+")) {
            throw refused(what, what + " " + value + ": the time column is " + type.sqlName()
                    + ", give an integer (a dual-write start mark only applies to timestamp-like columns)", null);
        }
        return position(connection, type.cast("?"), type, value, what);
    }

    /**
     * The position of {@code value} read through {@code typed} (an expression of {@code type} over one parameter), or
     * why it cannot be one. A time at infinity has no position: the server refuses to turn it into a bigint with
     * SQLSTATE 0A000, which the pool takes for a broken connection (the error then reads "Connection is closed"), so
     * it is told apart before.
     */
    private static long position(Connection connection, String typed, TimeType type, String value, String what)
            throws SQLException {
        String sql = type.isInteger() ? "SELECT " + type.positionOf(typed)
                : "SELECT CASE WHEN isfinite(v) THEN " + type.positionOf("v") + " END FROM (SELECT " + typed
                        + " AS v) AS given";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, value.trim());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long position = rs.getLong(1);
                if (rs.wasNull()) {
                    throw refused(what, what + " " + value + " is not a finite " + type.sqlName() + ": no task"
                            + " range can start or end at infinity, so rows at infinity are copied by hand"
                            + " (docs/migration.md, step 8, rows 'dated after now')", null);
                }
                return position;
            }
        } catch (SQLException e) {
            if (!refusedValue(e)) {
                throw e;
            }
            throw refused(what, what + " " + value + " is not a valid " + type.sqlName() + ": " + reason(e)
                    + (type.isInteger() || !isFlag(what) ? "" : "; write it as ISO 8601, e.g. '2026-11-27 04:00:00+00'"),
                    e);
        }
    }

    private static boolean isFlag(String what) {
        return what.startsWith("--");
    }

    /**
     * A value the operator gave in a flag ({@code what} names it, e.g. {@code --until}) is a usage error, exit code 2
     * like every other bad flag; one read from the backfill's state (a ledger entry's bound) fails the command.
     */
    private static RuntimeException refused(String what, String message, SQLException cause) {
        return isFlag(what) ? new UsageException(message) : new BackfillException(message, cause);
    }

    /**
     * The server's message without its hint: for a date it cannot read, the hint is to change {@code DateStyle}, which
     * an operator cannot do for the backfill's sessions; the example of a flag's value is the way out instead.
     */
    private static String reason(SQLException e) {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        return server != null && server.getMessage() != null ? server.getMessage() : e.getMessage();
    }

    /**
     * The positions of many values of one type in one query, each read as {@link #parse} reads it: a burst of shed
     * transactions leaves thousands of ledger entries, and a query per bound took most of {@code repair}'s time once
     * their ranges were merged. A value {@link #parse} would refuse (not finite; for an integer type, not an integer)
     * has none, and when the server refuses one (a time it cannot read) none has: {@link #parse} of each says which
     * and why.
     */
    public static Long[] parseAll(Connection connection, TimeType type, List<String> values) throws SQLException {
        Long[] positions = new Long[values.size()];
        String[] given = values.stream().map(v -> type.isInteger() && !v.trim().matches("-?\\d+") ? null : v.trim())
                .toArray(String[]::new);
        String position = type.isInteger() ? type.positionOf("v")
                : "CASE WHEN isfinite(v) THEN " + type.positionOf("v") + " END";
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + position + " FROM unnest(?::text[])"
                + " WITH ORDINALITY AS g(x, n) CROSS JOIN LATERAL (SELECT " + type.cast("g.x") + " AS v) AS given"
                + " ORDER BY g.n")) {
            ps.setArray(1, connection.createArrayOf("text", given));
            try (ResultSet rs = ps.executeQuery()) {
                for (int i = 0; rs.next(); i++) {
                    long p = rs.getLong(1);
                    positions[i] = rs.wasNull() ? null : p;
                }
            }
        } catch (SQLException e) {
            if (!refusedValue(e)) {
                throw e;
            }
            return new Long[values.size()];
        }
        return positions;
    }

    /**
     * Whether the server refused the value itself (SQLSTATE class 22, data exception: a bad date, a time zone it does
     * not know, an integer out of range), rather than failing for another reason, a lost connection say, which must
     * not be reported as a bad value.
     */
    private static boolean refusedValue(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("22");
    }
}
