package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.InsertRows;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads where on their time column the rows lie that the proxy ledgers without keeping them: a transaction the spool
 * did not take ({@link #transaction}), a statement of a transaction over its capture limit ({@link StatementTimes}),
 * the writes a session's source may have committed after the proxy closed it ({@link #outcome}).
 * With that range in the ledger entry, {@code tandem-backfill repair} re-copies exactly those rows, wherever their
 * times are; without it the operator could only guess a window around the commit. Only those gaps are read, never a
 * mirrored transaction. Data up to {@link #INLINE_BYTES} is read at once on the caller's thread (an event loop:
 * microseconds); more on one thread of its own, so no event loop waits, with at most {@link #MAX_BACKLOG_BYTES} of
 * data kept for it that would else be dropped: past that a range is not read, and its entry says the rows' times are
 * unknown, as before.
 */
public final class RowTimesReading implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RowTimesReading.class);

    /** Data read at once on the caller's thread: a fraction of a millisecond. */
    static final int INLINE_BYTES = 256 * 1024;
    /** Data kept for the reading thread that would else be dropped already. */
    static final long MAX_BACKLOG_BYTES = 256L << 20;

    private final Function<String, Map<TableName, TableTimeColumn>> timeColumns;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tandem-row-times");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong backlog = new AtomicLong();
    private final long maxBacklog;

    /**
     * @param timeColumns source database -> its tables' time columns ({@link SourceOrderedTimeColumns}), null while
     *                    not known
     */
    public RowTimesReading(Function<String, Map<TableName, TableTimeColumn>> timeColumns) {
        this(timeColumns, MAX_BACKLOG_BYTES);
    }

    /** @param maxBacklog data kept for the reading thread that would else be dropped, at most */
    RowTimesReading(Function<String, Map<TableName, TableTimeColumn>> timeColumns, long maxBacklog) {
        this.timeColumns = timeColumns;
        this.maxBacklog = maxBacklog;
    }

    /** The time column of {@code table} in source database {@code database}; null when not known. */
    TableTimeColumn timeColumn(String database, TableName table) {
        Map<TableName, TableTimeColumn> known = timeColumns.apply(database);
        return known == null ? null : known.get(table);
    }

    /**
     * Runs {@code job} on the reading thread, after those given before.
     *
     * @param kept bytes of data the job keeps that would else be dropped: refused (false) when they would pass the
     *             backlog's limit
     */
    boolean submit(long kept, Runnable job) {
        if (backlog.addAndGet(kept) > maxBacklog && kept > 0) {
            backlog.addAndGet(-kept);
            return false;
        }
        try {
            worker.execute(() -> {
                try {
                    job.run();
                } catch (RuntimeException e) {
                    LOG.warn("reading the times of rows the proxy ledgers without their data failed", e);
                } finally {
                    backlog.addAndGet(-kept);
                }
            });
            return true;
        } catch (RejectedExecutionException closing) {
            backlog.addAndGet(-kept);
            return false;
        }
    }

    /**
     * The range of the rows {@code tx} wrote to each of its tables, where every row's time was read; a table whose
     * rows' times are not all known is left out. The transaction's data is in memory, and no longer needed after.
     */
    CompletableFuture<Map<TableName, TimeRange>> transaction(CapturedTransaction tx) {
        if (tx.payloadBytes() <= INLINE_BYTES) {
            return CompletableFuture.completedFuture(read(tx));
        }
        CompletableFuture<Map<TableName, TimeRange>> ranges = new CompletableFuture<>();
        if (!submit(tx.payloadBytes(), () -> ranges.complete(read(tx)))) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return ranges;
    }

    /**
     * The range of the rows of the writes {@code rows} holds, in each table where every row's time was read
     * ({@link OutcomeTimes#read}): at once when their data is small, else on the reading thread. Their data is in
     * memory, and no longer needed after.
     */
    CompletableFuture<Map<TableName, TimeRange>> outcome(OutcomeTimes rows) {
        if (rows.bytes() <= INLINE_BYTES) {
            return CompletableFuture.completedFuture(rows.read(table -> timeColumn(rows.database(), table)));
        }
        CompletableFuture<Map<TableName, TimeRange>> ranges = new CompletableFuture<>();
        if (!submit(rows.bytes(), () -> {
            try {
                ranges.complete(rows.read(table -> timeColumn(rows.database(), table)));
            } finally {
                ranges.complete(Map.of()); // a reading that failed: the entry is recorded without ranges
            }
        })) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return ranges;
    }

    private Map<TableName, TimeRange> read(CapturedTransaction tx) {
        Map<TableName, TableTimeColumn> known = timeColumns.apply(tx.database());
        Map<TableName, RowTimes> times = new LinkedHashMap<>();
        Map<String, InsertRows> parsed = new HashMap<>();
        for (CapturedStatement s : tx.statements()) {
            TableTimeColumn column = known == null ? null : known.get(s.table());
            RowTimes into = times.computeIfAbsent(s.table(), t -> new RowTimes());
            if (column == null) {
                into.unknown("no time column known for " + s.table());
            } else if (!into.isUnknown()) {
                read(s, column, parsed, into);
            }
        }
        Map<TableName, TimeRange> ranges = new LinkedHashMap<>();
        times.forEach((table, t) -> {
            TableTimeColumn column = known == null ? null : known.get(table);
            TimeRange range = column == null ? null : t.range(column.name(), column.type());
            if (range != null) {
                ranges.put(table, range);
            } else {
                LOG.debug("no time range for the rows of session {} in {}: {}", tx.sessionId(), table,
                        t.whyUnknown());
            }
        });
        return ranges;
    }

    /** One statement whose data is all here. */
    static void read(CapturedStatement s, TableTimeColumn column, Map<String, InsertRows> parsed,
                             RowTimes into) {
        TimeValues values = new TimeValues(column, TimeText.zone(s.settings().timeZone()));
        if (s instanceof CapturedStatement.Copy copy) {
            List<ClassifiedStatement> classified = StatementClassifier.classify(copy.sql());
            if (classified.size() != 1 || classified.get(0).copyFormat() == null) {
                into.unknown("a COPY statement the proxy cannot read");
                return;
            }
            CopyRowTimes reader = CopyRowTimes.of(classified.get(0), values, copy.clientEncoding());
            copy.data().forEach(reader::feed);
            into.add(reader.finish());
        } else if (s instanceof CapturedStatement.Extended e) {
            // a batch repeats one text: parsed once
            InsertRows rows = parsed.computeIfAbsent(e.settings().standardConformingStrings() + "\0" + e.sql(),
                    key -> insertRows(e.sql(), e.settings()));
            InsertTimes.read(rows, values, e.parameterTypes(), e.parameterFormats(), e.parameters(), into);
        } else if (s instanceof CapturedStatement.Simple simple) {
            InsertTimes.read(insertRows(simple.sql(), simple.settings()), values, new int[0], new short[0],
                    new byte[0][], into);
        } else if (s instanceof CapturedStatement.Unreplayable u) {
            if (u.times() == null) {
                into.unknown(u.timesRead() ? "a statement over the capture limit whose rows' times were not all read"
                        : "a statement whose data the capture did not keep");
            } else if (!u.times().column().equals(column.name()) || u.times().type() != column.type()) {
                into.unknown("a statement read by another time column");
            } else {
                into.add(u.times());
            }
        }
    }

    /** The rows of an INSERT as its session's standard_conforming_strings reads them; null when not of that shape. */
    static InsertRows insertRows(String sql, InputSettings settings) {
        String conforming = settings.standardConformingStrings();
        Boolean on = conforming == null ? null : conforming.equalsIgnoreCase("on");
        return InsertRows.parse(sql, on).orElse(null);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
