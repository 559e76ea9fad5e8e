package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.relay.SessionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Counts, in the {@link CaptureMetrics}, what the session's completed statements did that the mirror does not
 * replay as the source ran it: writes into mirrored tables it does not replay (UPDATE, DDL, a write inside a WITH,
 * one by a prepared statement it never saw made, ...), and mirrored writes with values the server computed. A write
 * counts once its transaction commits ({@link TransactionTracker#onCommit}); a statement counts as it completes.
 */
final class StatementAccounting {

    private static final String PREPARED_BEFORE_TEMPORARY = "prepared_before_temporary_table";
    private static final String CREATE_PARTITION = "create_partition";
    /** A write by a prepared statement the capture never saw being made, into a table it cannot name. */
    private static final String UNKNOWN_PREPARED = "unknown_prepared";
    private static final TableName UNKNOWN_TABLE = new TableName(null, "?");
    private static final List<Object> UNKNOWN_PREPARED_KEY = List.of(UNKNOWN_PREPARED, UNKNOWN_TABLE);

    private final SessionContext context;
    private final MirroredTables tables;
    private final SessionNames names;
    private final Supplier<Map<TableName, Set<String>>> volatileDefaults;
    private final CaptureMetrics metrics;
    private final TransactionTracker tracker;
    private final ChunkHypertables chunks;
    private final SessionCapture.Sink sink;
    /** The named prepared statement the server holds under a name, made by a Parse or a PREPARE; or null. */
    private final Function<String, Prepared> named;

    /**
     * @param volatileDefaults table -> its columns the server fills with a non-deterministic value when a write
     *                         leaves them out (see {@link VolatileDefaults}), kept fresh by the caller
     * @param chunks           the hypertables of TimescaleDB chunks written by name, for counting the writes into
     *                         them the mirror does not replay; null: none known
     */
    StatementAccounting(SessionContext context, MirroredTables tables, SessionNames names,
                        Supplier<Map<TableName, Set<String>>> volatileDefaults, CaptureMetrics metrics,
                        TransactionTracker tracker, ChunkHypertables chunks, SessionCapture.Sink sink,
                        Function<String, Prepared> named) {
        this.context = context;
        this.tables = tables;
        this.names = names;
        this.volatileDefaults = volatileDefaults;
        this.metrics = metrics;
        this.tracker = tracker;
        this.chunks = chunks;
        this.sink = sink;
        this.named = named;
    }

    /**
     * Counts what a completed statement {@code s} did, before its effect on search_path is followed: the names it
     * writes are resolved as the source resolved them.
     *
     * @param capture  what the mirror replays of it, or null
     * @param executed for an SQL-level EXECUTE the mirror does not replay, the statement it runs; else null
     */
    void completed(ClassifiedStatement s, StatementCapture capture, ClassifiedStatement executed) {
        metrics.statement(s);
        if (capture != null) {
            // the capture's statement: for an EXECUTE, the INSERT it ran with its arguments in place
            Set<String> computed = withClockParameters(serverComputed(capture.statement, capture.table), capture);
            if (!computed.isEmpty()) {
                TableName table = capture.table;
                tracker.onCommit(List.of("nondeterministic", table), times -> metrics.nonDeterministicInsert(table,
                        tables.rowsOf(table), computed, times));
            }
        }
        if (s.txCommand() == ClassifiedStatement.TxCommand.PREPARE_TRANSACTION) {
            metrics.preparedTransaction();
        }
        String unmirrored = unmirroredKind(s);
        if (s.tableChange() instanceof ClassifiedStatement.TableChange.Create && s.tables().size() == 2) {
            unmirrored = CREATE_PARTITION; // CREATE TABLE ... PARTITION OF: the target needs the same partition
        }
        // a new temporary table hides the mirrored one of its name, it does not change it
        List<TableName> written = names.createsTemporary(s) ? s.tables().subList(1, s.tables().size()) : s.tables();
        if (unmirrored == null && s.explainAnalyzeWrite() && s.inner() != null) {
            unmirrored = "explain_analyze"; // it executes, so it writes; the mirror does not replay it
            written = new ArrayList<>(s.inner().tables());
            written.addAll(s.inner().withWrites());
        } else if (unmirrored == null && executed != null && writes(executed)) {
            unmirrored = "execute"; // SQL-level EXECUTE of a PREPAREd write the mirror cannot replay as a plain INSERT
            written = executed.tables();
        }
        if (unmirrored != null) {
            countUnmirrored(unmirrored, written);
        }
        if (!"explain_analyze".equals(unmirrored)) {
            countUnmirrored("with_write", s.withWrites()); // INSERT/UPDATE/DELETE/MERGE inside a WITH clause
        }
    }

    /**
     * Counts a write by a prepared statement the capture never saw being made (a PREPARE run inside a function or DO
     * block, by {@code EXECUTE format('PREPARE ...')}), once its transaction commits: run by a Bind ({@code s} null,
     * the capture holds no statement under its name) or an SQL EXECUTE of a name it does not hold. Its INSERT or COPY
     * tag tells that it wrote rows, not into which table: it is not mirrored, and counted under an unknown table so
     * the operator sees it. A statement the capture knows and does not mirror is not counted here.
     */
    void countUnknownPrepared(ClassifiedStatement s, StatementCapture capture, String tag) {
        if (capture != null || s != null && (s.kind() != Kind.EXECUTE || named.apply(s.name()) != null)) {
            return;
        }
        if ((tag.startsWith("INSERT ") || tag.startsWith("COPY ")) && SessionCapture.rowCount(tag) != 0) {
            tracker.onCommit(UNKNOWN_PREPARED_KEY, times -> metrics.unmirroredWrite(UNKNOWN_TABLE, UNKNOWN_PREPARED,
                    times));
        }
    }

    /**
     * A named statement {@code sql}, which the source may have run against {@code hidden} or against the temporary
     * table of its name ({@link SessionCapture#recordPreparedBeforeTemporary}): not mirrored, and counted and ledgered
     * once its transaction commits, as its rows may be missing on the target.
     */
    void preparedBeforeTemporary(TableName hidden, String sql) {
        tracker.onCommit(List.of(PREPARED_BEFORE_TEMPORARY, hidden), times -> {
            metrics.unmirroredWrite(hidden, tables.rowsOf(hidden), PREPARED_BEFORE_TEMPORARY, times);
            sink.ambiguousTable(context.database(), context.sessionId(), hidden, sql, "a statement prepared before"
                    + " the session created a temporary table named like " + hidden + " ran after it: the source"
                    + " wrote the temporary table if it planned the statement again, else " + hidden + ", whose"
                    + " rows are then missing on the target (" + times + " such write(s) in this transaction):"
                    + " compare the table with tandem-backfill verify");
        });
    }

    /** Counts {@code kind} for those of {@code written} that are mirrored, once the transaction commits. */
    private void countUnmirrored(String kind, List<TableName> written) {
        for (TableName t : written) {
            TableName resolved = names.resolve(t);
            if (tables.isMirrored(resolved)) {
                tracker.onCommit(List.of(kind, resolved),
                        times -> metrics.unmirroredWrite(resolved, tables.rowsOf(resolved), kind, times));
            } else if (tables.isChunk(resolved)
                    && tables.mirroring(resolved) != MirroredTables.Mirroring.NOT_MIRRORED) {
                tracker.onCommit(List.of(kind, resolved), times -> countChunkWrite(resolved, kind, times));
            }
        }
    }

    /**
     * A committed write the mirror does not replay into a TimescaleDB chunk named directly: counted under its
     * hypertable, as the applier mirrors an INSERT into the chunk, once the source's catalog names it (not at all when
     * the hypertable is not mirrored); under the chunk's own name when it cannot ({@link ChunkHypertables}). The
     * source is asked off the event loop, the count made back on it.
     */
    private void countChunkWrite(TableName chunk, String kind, long times) {
        if (chunks == null) {
            metrics.unmirroredChunkWrite(chunk, kind, times);
            return;
        }
        CompletableFuture<Optional<TableName>> hypertable = chunks.hypertableOf(context.database(), chunk);
        if (hypertable.isDone()) {
            countChunkWrite(chunk, hypertable.join(), kind, times);
        } else {
            hypertable.thenAcceptAsync(h -> countChunkWrite(chunk, h, kind, times), context.eventLoop());
        }
    }

    private void countChunkWrite(TableName chunk, Optional<TableName> hypertable, String kind, long times) {
        if (hypertable.isEmpty()) {
            metrics.unmirroredChunkWrite(chunk, kind, times);
        } else if (tables.isMirrored(hypertable.get())) {
            metrics.unmirroredWrite(hypertable.get(), kind, times);
        }
    }

    /**
     * The non-deterministic values the server computes for a mirrored INSERT or COPY: functions written in the
     * statement, and the volatile defaults of the columns it leaves to the server: left out of its explicit column
     * list, written as {@code DEFAULT}, or all of them with {@code DEFAULT VALUES}. Without a column list a
     * {@code DEFAULT} is known only by its position, so it counts when the table has any such column; a shorter VALUES
     * row is not looked at.
     */
    private Set<String> serverComputed(ClassifiedStatement s, TableName table) {
        Set<String> volatileColumns = volatileDefaults.get().get(table);
        if (volatileColumns == null || volatileColumns.isEmpty()) {
            return s.nonDeterministic();
        }
        Set<String> computed = new TreeSet<>(s.nonDeterministic());
        boolean all = s.defaults().contains(ClassifiedStatement.ALL_DEFAULTS);
        for (String column : volatileColumns) {
            if (all || !s.columns().isEmpty() && !s.columns().contains(column)) {
                computed.add("default of " + column);
            }
        }
        for (int position : s.defaults()) {
            if (position == ClassifiedStatement.ALL_DEFAULTS) {
                continue;
            }
            if (s.columns().isEmpty()) {
                computed.add("DEFAULT in position " + (position + 1));
            } else if (position < s.columns().size() && volatileColumns.contains(s.columns().get(position))) {
                computed.add("default of " + s.columns().get(position));
            }
        }
        return computed;
    }

    /** {@code computed} and the capture's Bind values the server reads as the clock ({@code 'now'}, ...). */
    private static Set<String> withClockParameters(Set<String> computed, StatementCapture capture) {
        Set<String> clock = capture.clockParameters();
        if (clock.isEmpty()) {
            return computed;
        }
        Set<String> all = new TreeSet<>(computed);
        all.addAll(clock);
        return all;
    }

    private static boolean writes(ClassifiedStatement s) {
        return switch (s.kind()) {
            case INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY_FROM_SERVER -> true;
            default -> false;
        };
    }

    private static String unmirroredKind(ClassifiedStatement s) {
        return switch (s.kind()) {
            case UPDATE -> "update";
            case DELETE -> "delete";
            case TRUNCATE -> "truncate";
            case MERGE -> "merge";
            case DDL -> "ddl";
            case COPY_FROM_SERVER -> "copy_from_file";
            case INSERT -> s.hasSelect() || s.dataModifyingWith() ? "insert_select" : null;
            default -> null;
        };
    }
}
