package dev.tandem.backfill.repair;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.Counted;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.ConnectionOptions;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.copy.CopyExecution;
import dev.tandem.backfill.copy.CopyRun;
import dev.tandem.backfill.copy.MirrorWaitOption;
import dev.tandem.backfill.ledger.EntryIds;
import dev.tandem.backfill.ledger.Ledger;
import dev.tandem.backfill.ledger.LedgerEntry;
import dev.tandem.backfill.ledger.LedgerReport;
import dev.tandem.backfill.plan.Positions;
import dev.tandem.backfill.plan.Slice;
import dev.tandem.backfill.plan.StageCommand;
import dev.tandem.backfill.plan.TableLayout;
import dev.tandem.backfill.plan.WritersStoppedOption;
import dev.tandem.backfill.progress.MetricsServer;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.backfill.state.TaskState;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code repair}: re-copy the tasks verify found different (and failed ones), and the ranges of the proxy's divergence
 * ledger; entries without a range are left to the operator's re-copy and {@code settle}. A table's ledger ranges that
 * overlap or touch are re-copied as one task, which closes all their entries ({@link RangeUnion}). Runs the tasks one
 * at a time: ledger ranges may overlap planned ranges, and two overlapping tasks copied at once would each insert the
 * rows of the overlap.
 */
@Command(name = "repair", mixinStandardHelpOptions = true,
        description = "Re-copy the tasks that failed verification or copy, and the ranges recorded in the proxy's "
                + "divergence ledger (tandem.divergence), marking those ledger entries repaired. Entries without a "
                + "time range are listed with the way to close them: re-copy their window, then 'settle'.")
public final class RepairCommand extends BackfillCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--metrics-port", paramLabel = "PORT", converter = MetricsServer.PortConverter.class,
            description = "Serve Prometheus metrics on 127.0.0.1:PORT/metrics while running")
    Integer metricsPort;

    @Option(names = "--max-lateness", paramLabel = "INTERVAL", defaultValue = "10 min",
            converter = StageCommand.SliceConverter.class,
            description = "Leave ledger ranges ending later than now() minus this for a later run: rows that recent may"
                    + " still be written while their task copies them (default: ${DEFAULT-VALUE}; not checked with"
                    + " --writers-stopped)")
    Slice maxLateness;

    @Mixin
    WritersStoppedOption writersStopped;

    @Mixin
    MirrorWaitOption mirrorWait;

    @Override
    protected int execute() throws SQLException {
        Duration wait = mirrorWait.duration();
        int unqueued;
        try (Database source = Database.open(Side.SOURCE, connection.source(environment()), 1);
             Database target = Database.open(Side.TARGET, connection.target(environment()), 2)) {
            try (Connection s = source.connection(); Connection t = target.connection()) {
                // without a plan, the ledger's entries are all there is to repair (the proxy ledgers gaps whether or not
                // a backfill runs); with neither, the command was most likely pointed at the wrong database
                if (!Side.TARGET.call(() -> BackfillSchema.staged(t) || Ledger.anyOpen(t))) {
                    throw new BackfillException(BackfillSchema.NO_PLAN + " (repair re-copies the tasks verify found"
                            + " different and the ranges of the proxy's divergence ledger, and this target has no plan"
                            + " and no open ledger entry)");
                }
                int requeued = Side.TARGET.call(() -> {
                    BackfillSchema.create(t);
                    return TaskStore.requeueForRepair(t);
                });
                out().println("re-queued " + Counted.of(requeued, "mismatched or failed task"));
                unqueued = queueLedger(s, t);
            }
            AtomicBoolean stop = root == null ? new AtomicBoolean() : root.stopRequested();
            CopyRun.Summary summary = CopyExecution.run(source, target, 1, metricsPort, out(), err(), stop, wait);
            if (stop.get()) {
                try (Connection t = target.connection()) {
                    if (Side.TARGET.call(() -> TaskStore.count(t, TaskState.PENDING)) > 0) {
                        return ExitCodes.FAILURE; // stopped with tasks left: 'repair && verify' must not go on
                    }
                }
            }
            // an entry left open is not a success: 'repair && verify' must not go on as if all were re-copied
            return summary.failed() == 0 && unqueued == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
        }
    }

    /** @return how many entries with a time range could not be queued (each said why on stderr) */
    private int queueLedger(Connection source, Connection target) throws SQLException {
        int unusable = 0;
        boolean stopped = writersStopped.announce(out());
        String zone = Side.TARGET.call(() -> BackfillSchema.timeZone(target));
        Map<String, List<LedgerEntry>> rangeless = new LinkedHashMap<>();
        Map<String, Queued> queued = new LinkedHashMap<>();
        Map<String, EntrySpan> later = new LinkedHashMap<>();
        // one rejected burst leaves many entries of one table: its layout, its entries' bounds and now() are read
        // once per run
        Map<String, TableLayout> layouts = new HashMap<>();
        Map<String, Map<Long, Long[]>> bounds = new HashMap<>();
        Map<TimeType, Long> nows = new EnumMap<>(TimeType.class);
        List<LedgerEntry> entries = Side.TARGET.call(() -> Ledger.unqueued(target));
        Map<String, List<LedgerEntry>> ranged = new HashMap<>();
        for (LedgerEntry e : entries) {
            if (e.hasRange()) {
                ranged.computeIfAbsent(e.schema() + "\0" + e.table() + "\0" + e.timeColumn(), k -> new ArrayList<>())
                        .add(e);
            }
        }
        for (LedgerEntry e : entries) {
            String table = e.tableName();
            if (!e.hasRange()) {
                // a full spool sheds thousands with one cause: one line for them, each other cause its own
                rangeless.computeIfAbsent(table + "\0" + e.atInfinity() + "\0" + e.cause(), k -> new ArrayList<>())
                        .add(e);
                continue;
            }
            TableLayout layout;
            long start;
            long end;
            try {
                String key = e.schema() + "\0" + e.table() + "\0" + e.timeColumn();
                TableLayout known = layouts.get(key);
                layout = known != null ? known
                        : Side.SOURCE.call(() -> TableLayout.load(source, e.schema(), e.table(), e.timeColumn()));
                layouts.put(key, layout);
                if (!bounds.containsKey(key)) {
                    bounds.put(key, bounds(source, layout.timeType(), ranged.get(key)));
                }
                Long[] read = bounds.get(key).get(e.id());
                // a bound the query of them all could not read is read alone, which says why
                start = read[0] != null ? read[0] : Side.SOURCE.call(() -> Positions.parse(source,
                        layout.timeType(), e.start(), "ledger entry " + e.id() + " range_start"));
                end = read[1] != null ? read[1] : Side.SOURCE.call(() -> Positions.parse(source,
                        layout.timeType(), e.end(), "ledger entry " + e.id() + " range_end"));
            } catch (BackfillException bad) {
                // one entry naming a table dropped since, or holding a bound no range can have, must not keep the
                // others from being repaired
                err().println("ledger entry " + e.id() + " (" + table + ") cannot be re-copied: "
                        + bad.getMessage() + "; it stays open (fix its cause, then run repair again, or close it"
                        + " with settle or by hand once its rows are on the target)");
                unusable++;
                continue;
            }
            if (start >= end) {
                out().println("ledger entry " + e.id() + " has an empty range [" + e.start() + ", " + e.end() + "): skipped");
                continue;
            }
            TimeType type = layout.timeType();
            if (!type.isInteger() && !stopped && !nows.containsKey(type)) {
                nows.put(type, Side.SOURCE.call(() -> Positions.now(source, type, zone)));
            }
            long cutoff = type.isInteger() || stopped ? Long.MAX_VALUE : nows.get(type) - maxLateness.micros();
            if (end > cutoff) {
                // a late row committed while its task copies the range would be copied and then mirrored too
                later.computeIfAbsent(table + "\0" + e.timeColumn(), k -> new EntrySpan(table, type, cutoff))
                        .add(e.id(), start, end);
                continue;
            }
            // entries of different tables, or of one table read by different time columns, are never merged
            Queued q = queued.computeIfAbsent(e.schema() + "\0" + e.table() + "\0" + e.timeColumn(),
                    k -> new Queued(e, type, new EntrySpan(table, type, cutoff), new RangeUnion()));
            q.span().add(e.id(), start, end);
            q.union().add(e.id(), start, end);
        }
        List<TaskStore.NewTask> tasks = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (Queued q : queued.values()) {
            List<RangeUnion.Merged> ranges = q.union().ranges();
            for (RangeUnion.Merged m : ranges) {
                tasks.add(new TaskStore.NewTask(q.first().schema(), q.first().table(), q.first().timeColumn(),
                        q.type(), m.start(), m.end(), "repair", m.entryIds()));
            }
            lines.add(q.span().queuedLine(ranges.size()));
        }
        Side.TARGET.run(() -> TaskStore.insert(target, tasks));
        lines.forEach(out()::println);
        later.values().forEach(l -> out().println(l.laterLine()));
        rangeless.values().forEach(this::printRangeless);
        return unusable;
    }

    /** Each entry's start and end positions by id, null where {@link Positions#parseAll} could not read one. */
    private static Map<Long, Long[]> bounds(Connection source, TimeType type, List<LedgerEntry> entries)
            throws SQLException {
        List<String> values = new ArrayList<>();
        for (LedgerEntry e : entries) {
            values.add(e.start());
            values.add(e.end());
        }
        Long[] positions = Side.SOURCE.call(() -> Positions.parseAll(source, type, values));
        Map<Long, Long[]> byId = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            byId.put(entries.get(i).id(), new Long[] {positions[2 * i], positions[2 * i + 1]});
        }
        return byId;
    }

    /** The entries of one table and time column this run queues: {@code first} names the table and column. */
    private record Queued(LedgerEntry first, TimeType type, EntrySpan span, RangeUnion union) {
    }

    /**
     * Entries of one table and time column with a range, queued or left for later: one line for them all, as a burst of
     * rejected transactions leaves hundreds (a 17 to 18 walkthrough printed 45 lines for one table).
     */
    private static final class EntrySpan {

        private final String table;
        private final TimeType type;
        /** What now() - --max-lateness was: ranges that end later wait for a later run. */
        private final long cutoff;
        private final List<Long> ids = new ArrayList<>();
        private long start = Long.MAX_VALUE;
        private long end = Long.MIN_VALUE;

        EntrySpan(String table, TimeType type, long cutoff) {
            this.table = table;
            this.type = type;
            this.cutoff = cutoff;
        }

        void add(long id, long rangeStart, long rangeEnd) {
            ids.add(id);
            start = Math.min(start, rangeStart);
            end = Math.max(end, rangeEnd);
        }

        private boolean one() {
            return ids.size() == 1;
        }

        private String named() {
            return (one() ? "ledger entry " : "ledger entries ") + EntryIds.format(ids, LedgerReport.LISTED_RUNS);
        }

        private String span() {
            return type.display(start) + ", " + type.display(end) + ")";
        }

        /** @param ranges how many ranges their union is, a task each */
        String queuedLine(int ranges) {
            return "queued " + named() + (one() ? ": " + table + " [" + span()
                    : " (" + table + ", ranges within [" + span() + "): " + ids.size() + " ledger entries -> "
                            + Counted.of(ranges, "re-copy range"));
        }

        String laterLine() {
            return named() + " (" + table + (one() ? " [" : ", ranges within [") + span() + ") "
                    + (one() ? "ends" : "end") + " later than now() - --max-lateness (" + type.display(cutoff)
                    + "): rows in " + (one() ? "it" : "them") + " may still be written; left for a later repair";
        }
    }

    /** Entries of one table and cause without a time range: one line, however many a full spool shed. */
    private void printRangeless(List<LedgerEntry> entries) {
        String table = entries.get(0).tableName();
        String way = " (stage --replace --table/--filter --from --until, copy, verify: docs/migration.md, step 8,"
                + " 'Re-copying a window'; --replace discards this plan), then close ";
        List<Long> ids = entries.stream().map(LedgerEntry::id).toList();
        if (entries.get(0).schema() == null) {
            String first = LedgerReport.earliest(entries);
            String last = LedgerReport.latest(entries);
            out().println((entries.size() == 1 ? "ledger entry " : "ledger entries ")
                    + EntryIds.format(ids, LedgerReport.LISTED_RUNS) + " (" + table + ", recorded "
                    + (first.equals(last) ? first : first + " to " + last) + ", " + entries.get(0).cause() + ") " + (entries.size() == 1 ? "names" : "name") + " no table: "
                    + LedgerEntry.noTableAdvice(ids));
            return;
        }
        if (entries.get(0).atInfinity()) {
            // their cause says so too: entries of one cause are grouped
            out().println((entries.size() == 1 ? "ledger entry " : "ledger entries ")
                    + EntryIds.format(ids, LedgerReport.LISTED_RUNS) + " (" + table + ", recorded "
                    + LedgerReport.earliest(entries)
                    + (entries.size() == 1 ? "" : " to " + LedgerReport.latest(entries))
                    + ", " + entries.get(0).cause() + ") " + (entries.size() == 1 ? "stands" : "stand") + " for rows at"
                    + " infinity or -infinity, which no range holds: copy them by hand (docs/migration.md, step 8,"
                    + " rows at infinity), then close " + (entries.size() == 1 ? "it: " : "them: ")
                    + LedgerEntry.closeByHand(ids));
            return;
        }
        if (entries.size() == 1) {
            LedgerEntry e = entries.get(0);
            out().println("ledger entry " + e.id() + " (" + table + ", recorded " + e.recorded() + ", " + e.cause()
                    + ") has no time range: repair cannot re-copy it. Re-copy the table's window around "
                    + e.recorded() + way + "the entry with " + LedgerReport.settleCommand(ids) + ", which checks that"
                    + " a task holding that time was copied after it and verified equal");
            return;
        }
        String first = LedgerReport.earliest(entries);
        String last = LedgerReport.latest(entries);
        out().println("ledger entries " + EntryIds.format(ids, LedgerReport.LISTED_RUNS) + " (" + table + ", recorded "
                + first + " to " + last + ", " + entries.get(0).cause() + ") have no time range: repair cannot"
                + " re-copy them. Re-copy a window of the table around them, from before " + first + " to after "
                + last + " (their rows' times are the application's, mostly from before each commit)" + way
                + "the entries with "
                + LedgerReport.settleCommand(ids) + ", which checks that tasks holding their times were copied after"
                + " them and verified equal");
    }
}
