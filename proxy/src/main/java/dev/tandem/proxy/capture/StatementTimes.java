package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.InsertRows;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reading of the rows' times of one statement of a transaction over its capture limit ({@link TransactionHold}),
 * whose data the capture does not keep: a COPY's data is read as it passes, from the moment the limit was passed (with
 * what the COPY had sent before), an INSERT's values once it completed. Driven from the session's event loop; what
 * is small is read right there, the rest on {@link RowTimesReading}'s thread, in order: once a part went there, so
 * do the parts after it. {@link #result} completes once everything is read.
 */
final class StatementTimes {

    private final RowTimesReading reading;
    private final TableTimeColumn column;
    /** For a COPY, its data's reader; null for an INSERT. */
    private final CopyRowTimes copy;
    /** Parts given to the reading thread and not read yet: while there are any, the next part goes there too. */
    private final AtomicInteger queued = new AtomicInteger();
    private final CompletableFuture<TimeRange> result = new CompletableFuture<>();
    /** Why the rows' times cannot all be read any more (a part not taken, the statement gone); null while they can. */
    private volatile String dropped;
    private boolean ended;

    private StatementTimes(RowTimesReading reading, TableTimeColumn column, CopyRowTimes copy) {
        this.reading = reading;
        this.column = column;
        this.copy = copy;
    }

    /** A reading that already knows the times cannot be told. */
    static StatementTimes unknown() {
        StatementTimes times = new StatementTimes(null, null, null);
        times.ended = true;
        times.result.complete(null);
        return times;
    }

    /**
     * The reading of a COPY's data, starting with what it sent so far ({@code sent}, which the capture held and is
     * dropping now).
     *
     * @param settings the session's settings it runs under; null when not certain
     * @param encoding its client_encoding, null for UTF8
     */
    static StatementTimes copy(RowTimesReading reading, TableTimeColumn column, ClassifiedStatement statement,
                               InputSettings settings, String encoding, List<byte[]> sent) {
        if (reading == null || column == null) {
            return unknown();
        }
        TimeValues values = new TimeValues(column, settings == null ? null : TimeText.zone(settings.timeZone()));
        StatementTimes times = new StatementTimes(reading, column, CopyRowTimes.of(statement, values, encoding));
        long bytes = 0;
        for (byte[] chunk : sent) {
            bytes += chunk.length;
        }
        if (bytes > 0) {
            List<byte[]> held = List.copyOf(sent);
            // held already, and counted against the capture budget until the transaction ends: kept, not counted
            times.run(bytes, 0, () -> held.forEach(times.copy::feed));
        }
        return times;
    }

    /**
     * The reading of an INSERT's rows, all here now.
     *
     * @param settings the session's settings it ran under; null when not certain
     */
    static StatementTimes insert(RowTimesReading reading, TableTimeColumn column, String sql, int[] types,
                                 short[] formats, byte[][] parameters, InputSettings settings) {
        if (reading == null || column == null) {
            return unknown();
        }
        StatementTimes times = new StatementTimes(reading, column, null);
        long bytes = sql.length();
        for (byte[] p : parameters) {
            bytes += p == null ? 0 : p.length;
        }
        times.ended = true;
        times.run(bytes, bytes, () -> {
            RowTimes read = new RowTimes();
            InsertRows rows = settings == null ? null : RowTimesReading.insertRows(sql, settings);
            if (settings == null) {
                read.unknown("the session's settings were not certain when it ran");
            }
            TimeValues values = new TimeValues(column, settings == null ? null : TimeText.zone(settings.timeZone()));
            InsertTimes.read(rows, values, types, formats, parameters, read);
            times.complete(read);
        });
        return times;
    }

    /** Whether the COPY's data is still read: else {@link #feed} need not be given it. */
    boolean reads() {
        return copy != null && !ended && dropped == null;
    }

    /** A CopyData of the COPY, copied out of its frame for this reading. */
    void feed(byte[] chunk) {
        if (reads()) {
            run(chunk.length, chunk.length, () -> copy.feed(chunk));
        }
    }

    /** The COPY's data has ended (the source completed it). */
    void end() {
        if (copy == null || ended) {
            return;
        }
        ended = true;
        run(0, 0, () -> complete(copy.finish()));
    }

    /** The statement is gone (failed, rolled back): nothing more is read for it. */
    void cancel() {
        drop("the statement did not commit");
    }

    /** The range of its rows; completes with null when their times are not all known. */
    CompletableFuture<TimeRange> result() {
        return result;
    }

    /**
     * Reads a part now, when small and nothing is queued before it, else on the reading thread.
     *
     * @param kept what of {@code bytes} is kept only for this reading
     */
    private void run(long bytes, long kept, Runnable part) {
        if (queued.get() == 0 && bytes <= RowTimesReading.INLINE_BYTES) {
            readPart(part);
            return;
        }
        queued.incrementAndGet();
        if (!reading.submit(kept, () -> {
            try {
                readPart(part);
            } finally {
                queued.decrementAndGet();
            }
        })) {
            queued.decrementAndGet();
            drop("the proxy's reading of rows' times was too far behind");
            if (ended) {
                result.complete(null); // the part that completes was not taken: nothing else will
            }
        }
    }

    private void readPart(Runnable part) {
        if (dropped == null) {
            part.run();
        } else if (ended && !result.isDone()) {
            result.complete(null);
        }
    }

    private void drop(String why) {
        if (dropped == null) {
            dropped = why;
        }
    }

    private void complete(RowTimes read) {
        if (dropped != null) {
            read.unknown(dropped);
        }
        result.complete(read.range(column.name(), column.type()));
    }
}
