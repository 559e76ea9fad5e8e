package dev.tandem.proxy.capture;

import dev.tandem.protocol.frontend.BoundParameters;
import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.NonDeterminism;
import dev.tandem.protocol.sql.TableName;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A mirrored write of one session being captured: the statement, its Bind values, and for COPY the data that arrives
 * after it; what the transaction tracker gets once the source completed it ({@link #finish}). Mutable, on the
 * session's event loop only.
 */
final class StatementCapture {

    /** Longer Bind values are not {@code 'now'} and friends, whatever blanks surround them. */
    private static final int MAX_SPECIAL_DATE = 32;

    final TableName table;
    final String sql;
    final BoundParameters bind;
    /** The Parse's types, shared with every execution of the statement: replaced, never written to. */
    int[] parameterTypes;
    final ClassifiedStatement statement;
    final List<byte[]> copyData;
    long copyBytes;
    String unreplayable;
    /** What {@link TransactionHold} counts for this capture: given back if the statement fails on the source. */
    long held;
    /**
     * Of {@link #held}, what is only reserved ({@link TransactionHold#reserve}) until its table is told when the source
     * runs it: claimed then if mirrored, given back if not.
     */
    long provisional;
    /** The session's client_encoding the source read the statement (a COPY: its data) in; null for UTF8. */
    String clientEncoding;
    /** The number of the Query or Parse text the statement came from, in its session. */
    long text;
    /** What {@link #table} was resolved by (extended protocol), or null: to be resolved again when it runs. */
    NameScope resolvedIn;
    /** The settings its prepared statement's text was read under; null for a statement not prepared. */
    ParseTimeSettings parseTime;
    /** The session's {@link SessionNames#pathChecks} when the source completed it: the next check is of its path. */
    long pathChecks;
    /**
     * Why it is ledgered although it finished replayable: the check after it showed that the source's search_path was
     * another than the one its unqualified name was resolved under; null when not.
     */
    String pathContradicted;
    /**
     * Its transaction passed its capture limit ({@link TransactionHold}): its data is not kept, its rows' times are
     * read.
     */
    boolean overLimit;
    /** The reading of its rows' times once over the limit: a COPY's from then on, an INSERT's as it completes. */
    StatementTimes times;

    StatementCapture(TableName table, String sql, ClassifiedStatement statement, BoundParameters bind,
                     int[] parameterTypes) {
        this.table = table;
        this.sql = sql;
        this.statement = statement;
        this.bind = bind;
        this.parameterTypes = parameterTypes;
        this.copyData = isCopy() ? new ArrayList<>() : null;
    }

    /**
     * Each text Bind value that PostgreSQL's date/time input reads as the clock ({@code 'now'}, {@code 'today'}, ...),
     * for a parameter of a date/time type or one the server types: the target reads it at its own time. A value sent
     * for a text column the server typed is not told apart, and counts too.
     */
    Set<String> clockParameters() {
        if (bind == null) {
            return Set.of();
        }
        Set<String> clock = Set.of();
        byte[][] values = bind.values();
        for (int i = 0; i < values.length; i++) {
            int type = i < parameterTypes.length ? parameterTypes[i] : 0;
            if (bind.format(i) == 0 && values[i] != null && values[i].length <= MAX_SPECIAL_DATE && readsTime(type)
                    && mayReadAsClock(values[i])) {
                String special = NonDeterminism.specialDate(new String(values[i], StandardCharsets.ISO_8859_1));
                if (special != null) {
                    clock = clock.isEmpty() ? new TreeSet<>() : clock;
                    clock.add("parameter " + (i + 1) + " " + special);
                }
            }
        }
        return clock;
    }

    /**
     * A cheap filter run for every text parameter of every captured write, before anything is decoded: the first
     * byte after leading blanks can start {@code now}, {@code today}, {@code tomorrow} or {@code yesterday}.
     */
    private static boolean mayReadAsClock(byte[] value) {
        for (byte b : value) {
            if (b < 0 || b > ' ') {
                return NonDeterminism.mayStartSpecialDate(b);
            }
        }
        return false;
    }

    /** Unspecified, unknown, date, time, timestamp, timestamptz, timetz. */
    private static boolean readsTime(int type) {
        return switch (type) {
            case 0, 705, 1082, 1083, 1114, 1184, 1266 -> true;
            default -> false;
        };
    }

    boolean isCopy() {
        return statement.kind() == Kind.COPY_FROM_STDIN;
    }

    /**
     * This capture as the statement's table resolves when it ran: null when that is not a mirrored table (a
     * SET search_path took effect between the Bind and the execution), else with that table.
     */
    StatementCapture resolvedAgain(TableName ran) {
        if (ran == null) {
            return null;
        }
        if (ran.equals(table)) {
            return this;
        }
        StatementCapture moved = new StatementCapture(ran, sql, statement, bind, parameterTypes);
        if (copyData != null) {
            moved.copyData.addAll(copyData);
        }
        moved.copyBytes = copyBytes;
        moved.unreplayable = unreplayable;
        moved.held = held;
        moved.provisional = provisional;
        moved.clientEncoding = clientEncoding;
        moved.text = text;
        moved.overLimit = overLimit;
        moved.times = times;
        return moved;
    }

    /** Whether the text, the parameter values and the COPY data so far are all ASCII: the same in every encoding. */
    boolean isAscii() {
        for (int i = 0; i < sql.length(); i++) {
            if (sql.charAt(i) >= 0x80) {
                return false;
            }
        }
        if (bind != null) {
            for (byte[] value : bind.values()) {
                if (value != null && !isAscii(value)) {
                    return false;
                }
            }
        }
        if (copyData != null) {
            for (byte[] chunk : copyData) {
                if (!isAscii(chunk)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean isAscii(byte[] value) {
        for (byte b : value) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param path     the session's search_path as the statement ran
     * @param settings the session's input settings as it ran
     */
    CapturedStatement finish(long rows, List<String> path, InputSettings settings) {
        if (unreplayable != null) {
            return new CapturedStatement.Unreplayable(table, rows, sql, unreplayable, path);
        }
        if (isCopy()) {
            return new CapturedStatement.Copy(table, rows, sql, copyData, path, clientEncoding, settings);
        }
        if (bind == null) {
            return new CapturedStatement.Simple(table, rows, sql, path, clientEncoding, settings);
        }
        return new CapturedStatement.Extended(table, rows, sql, parameterTypes, bind.formats(), bind.values(),
                path, clientEncoding, settings);
    }
}
