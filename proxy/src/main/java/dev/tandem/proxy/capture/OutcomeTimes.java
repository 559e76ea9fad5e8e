package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Where the rows lie on their time column of the writes an {@link UnknownOutcome} stands for, per table, so
 * {@code tandem-backfill repair} can re-copy them as it does a shed transaction's: read from what the capture still
 * holds of them when the session ends (the open transaction's statements, the text, Bind values and COPY data of the
 * requests the source has not answered), never from the wire again. {@link CommitForecast} gathers the writes it
 * counts, as it walks, and nothing is read until {@link #read}; a session that ends as usual never makes one.
 *
 * <p>A table gets a range only when the rows of every write counted for it were all read: one whose rows' times are
 * not all known (no time column known, a value the server computes, data the capture did not keep, settings that may
 * change ahead of it) leaves that table without one, as before, since a range too narrow would hide rows that may be
 * on the source only.
 */
public final class OutcomeTimes {

    /** One write's rows, still to be read. */
    interface Rows {
        /** Reads the time on {@code column} of each of its rows into {@code into}. */
        void read(TableTimeColumn column, RowTimes into);

        /** Bytes of text, values and data to read: whether reading them holds up an event loop. */
        long bytes();
    }

    private record Write(Collection<TableName> tables, Rows rows) {
    }

    private final String database;
    private final List<Write> writes = new ArrayList<>();
    private long bytes;

    /** @param database the session's source database, whose tables' time columns are read by */
    OutcomeTimes(String database) {
        this.database = database;
    }

    /** A write the outcome counts, into one of {@code tables} (several when which one is not told). */
    void add(Collection<TableName> tables, Rows rows) {
        writes.add(new Write(tables, rows));
        bytes += rows.bytes();
    }

    /** Bytes to read, in all. */
    long bytes() {
        return bytes;
    }

    /**
     * The range of the rows counted for each table where every one's time was read; a table whose rows' times are not
     * all known is left out.
     *
     * @param timeColumn the time column of a table of {@code database}; null when not known
     */
    Map<TableName, TimeRange> read(Function<TableName, TableTimeColumn> timeColumn) {
        Map<TableName, RowTimes> times = new LinkedHashMap<>();
        Map<TableName, TableTimeColumn> columns = new HashMap<>();
        for (Write w : writes) {
            for (TableName table : w.tables()) {
                TableTimeColumn column = columns.computeIfAbsent(table, timeColumn);
                RowTimes into = times.computeIfAbsent(table, t -> new RowTimes());
                if (column == null) {
                    into.unknown("no time column known for " + table);
                } else if (!into.isUnknown()) {
                    w.rows().read(column, into);
                }
            }
        }
        Map<TableName, TimeRange> ranges = new LinkedHashMap<>();
        times.forEach((table, t) -> {
            TableTimeColumn column = columns.get(table);
            TimeRange range = column == null ? null : t.range(column.name(), column.type());
            if (range != null) {
                ranges.put(table, range);
            }
        });
        return ranges;
    }

    String database() {
        return database;
    }

    /** A statement the source completed in the open transaction, as the capture keeps it. */
    static Rows completed(CapturedStatement s) {
        return new Rows() {
            @Override
            public void read(TableTimeColumn column, RowTimes into) {
                RowTimesReading.read(s, column, new HashMap<>(), into);
            }

            @Override
            public long bytes() {
                return s.payloadBytes();
            }
        };
    }

    /**
     * An INSERT not run yet: its text, and its Parse's types and Bind's formats and values (empty for a simple Query).
     *
     * @param settings the session's settings it will run under; null when not certain
     */
    static Rows insert(String sql, int[] types, short[] formats, byte[][] parameters, InputSettings settings) {
        long size = sql.length();
        for (byte[] p : parameters) {
            size += p == null ? 0 : p.length;
        }
        long bytes = size;
        return new Rows() {
            @Override
            public void read(TableTimeColumn column, RowTimes into) {
                if (settings == null) {
                    into.unknown("the session's settings were not certain for a statement not run yet");
                    return;
                }
                TimeValues values = new TimeValues(column, TimeText.zone(settings.timeZone()));
                InsertTimes.read(RowTimesReading.insertRows(sql, settings), values, types, formats, parameters, into);
            }

            @Override
            public long bytes() {
                return bytes;
            }
        };
    }

    /**
     * A COPY not completed yet whose data the client has ended, all of it in {@code data}.
     *
     * @param encoding its client_encoding, null for UTF8
     * @param settings the session's settings it runs under; null when not certain
     */
    static Rows copy(ClassifiedStatement statement, List<byte[]> data, String encoding, InputSettings settings) {
        long size = 0;
        for (byte[] chunk : data) {
            size += chunk.length;
        }
        long bytes = size;
        return new Rows() {
            @Override
            public void read(TableTimeColumn column, RowTimes into) {
                if (statement.copyFormat() == null) {
                    into.unknown("a COPY statement the proxy cannot read");
                    return;
                }
                TimeValues values = new TimeValues(column, settings == null ? null
                        : TimeText.zone(settings.timeZone()));
                CopyRowTimes reader = CopyRowTimes.of(statement, values, encoding);
                data.forEach(reader::feed);
                into.add(reader.finish());
            }

            @Override
            public long bytes() {
                return bytes;
            }
        };
    }

    /** A write whose rows cannot be read, for the reason given. */
    static Rows unread(String why) {
        return new Rows() {
            @Override
            public void read(TableTimeColumn column, RowTimes into) {
                into.unknown(why);
            }

            @Override
            public long bytes() {
                return 0;
            }
        };
    }
}
