package dev.tandem.backfill.verify;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.Counted;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.ConnectionOptions;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.copy.MirrorCatchUp;
import dev.tandem.backfill.copy.MirrorWaitOption;
import dev.tandem.backfill.ledger.Ledger;
import dev.tandem.backfill.ledger.LedgerEntry;
import dev.tandem.backfill.ledger.LedgerReport;
import dev.tandem.backfill.plan.Positions;
import dev.tandem.backfill.plan.TableLayout;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.backfill.state.Task;
import dev.tandem.backfill.state.TaskState;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.protocol.state.TandemSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code verify}: compare every task's range on both sides; exit 3 with a table of the mismatches. Lists the open
 * divergence ledger entries too, and with {@code --through}, the check before cutover, exits 3 while any is open.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare each task's range on source and target: row count, min/max time and a checksum of the "
                + "full row contents. Exit code 0 only when all match, 3 with a table of mismatches otherwise. Lists "
                + "the open entries of the proxy's divergence ledger; with --through, exit code 3 while any is open.")
public final class VerifyCommand extends BackfillCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--parallelism", paramLabel = "N", defaultValue = "4",
            description = "Ranges compared at once (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--through", paramLabel = "T2|now",
            description = "Also compare each table's dual-write window, from the end of its planned ranges up to T2 "
                    + "(after the proxies' mirrors caught up): rows no task copies, which only the mirror brought over")
    String through;

    @Option(names = "--integer-through", paramLabel = "N",
            description = "With --through: the end of the dual-write window of tables whose time column is an integer,"
                    + " in the column's unit (a plan staged with --integer-until)")
    String integerThrough;

    @Mixin
    MirrorWaitOption mirrorWait;

    /** A table's dual-write window as compared: {@code [start, end)} of its time column. */
    private record Window(String table, TimeType type, long start, long end, RangeDigest source, RangeDigest target) {
        List<String> differences() {
            return source.differences(target);
        }

        String range() {
            return "[" + type.display(start) + ", " + type.display(end) + ")";
        }
    }

    private record Outcome(Task task, RangeDigest source, RangeDigest target, List<String> differences) {
    }

    /**
     * The windows compared, and the proxy instances that applied transactions into this database after their mirrors
     * had caught up, while the windows were read: with {@code --through now}, writers are then still running.
     */
    private record Windows(List<Window> compared, List<String> stillApplying) {
    }

    @Override
    protected int execute() throws SQLException {
        if (parallelism < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--parallelism must be at least 1");
        }
        mirrorWait.duration(); // a bad value is a usage error before anything runs, --through or not
        if (integerThrough != null && through == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--integer-through needs --through (the end of the other tables' windows, e.g. now)");
        }
        try (Database source = Database.open(Side.SOURCE, connection.source(environment()), parallelism);
             Database target = Database.open(Side.TARGET, connection.target(environment()), parallelism + 1)) {
            List<Task> tasks;
            try (Connection t = target.connection()) {
                if (!BackfillSchema.staged(t)) {
                    throw new BackfillException(BackfillSchema.NO_PLAN + ", then 'copy'");
                }
                tasks = TaskStore.list(t, List.copyOf(EnumSet.allOf(TaskState.class)));
            } catch (SQLException e) {
                throw Side.TARGET.label(e);
            }
            // a --through that cannot be read is reported now, not after every range was compared
            List<WindowEnd> ends = through == null ? List.of() : windowEnds(source, target, tasks);
            List<Outcome> outcomes = compare(source, target, tasks);
            List<Outcome> mismatches = outcomes.stream().filter(o -> !o.differences().isEmpty()).toList();
            List<String> nullTime = compareNullTime(source, target, tasks);
            List<String> notCompared = new ArrayList<>();
            Windows compared = through == null ? new Windows(List.of(), List.of())
                    : compareWindows(source, target, ends, notCompared);
            List<Window> windows = compared.compared();
            List<Window> windowMismatches = windows.stream().filter(w -> !w.differences().isEmpty()).toList();
            try (Connection t = target.connection()) {
                for (Outcome o : outcomes) {
                    if (o.source() != null) {
                        TaskStore.markVerified(t, o.task(), o.differences().isEmpty(), String.join("; ", o.differences()));
                    }
                }
            } catch (SQLException e) {
                throw Side.TARGET.label(e);
            }
            out().println("verified " + Counted.of(tasks.size(), "task") + ": " + (tasks.size() - mismatches.size())
                    + " match, " + mismatches.size() + " differ");
            if (!nullTime.isEmpty()) {
                out().println("rows with a NULL time column differ (no task copies them; copy them yourself):");
                nullTime.forEach(line -> out().println("  " + line));
            }
            if (through != null) {
                out().println("dual-write windows up to " + through + (integerThrough == null ? ""
                        : " (integer time columns: " + integerThrough + ")") + ", " + Counted.of(windows.size(), "table")
                        + ": "
                        + (windows.size() - windowMismatches.size()) + " match, " + windowMismatches.size() + " differ");
                notCompared.forEach(line -> out().println("note: " + line));
                String format = "%-30s %-56s %12s %12s  %s%n";
                for (Window w : windowMismatches) {
                    out().printf(Locale.ROOT, format, w.table(), w.range(), w.source().rows(), w.target().rows(),
                            String.join("; ", w.differences()));
                }
                if (!windowMismatches.isEmpty()) {
                    out().println("rows after the planned ranges came only through the proxy; they differ when a writer"
                            + " bypassed it, a row is dated ahead of the mark, a ledger entry holds them, a commit was in"
                            + " flight when a proxy crashed or stopped, or each server computed its own values (column"
                            + " defaults such as a serial id or now()). Re-copy each"
                            + " window shown: stage --replace --table <table:time column> --from <its start> --until"
                            + " <its end>, copy, verify (--replace discards this plan: verify it first); a table"
                            + " missing from the proxy's mirror.tables.include has none of the window's rows that"
                            + " were written while it was missing");
                    if (!compared.stillApplying().isEmpty()) {
                        // the likeliest cause by far: re-copying these windows now would not make them stay equal
                        out().println("note: proxy instance(s) " + String.join(", ", compared.stillApplying())
                                + " applied transactions into this database while the windows were compared: writers"
                                + " are still running, so a window up to now differs by the rows on their way. Stop"
                                + " every writer before --through now (the cutover), or pass a --through at least"
                                + " --max-lateness ago");
                    }
                }
            }
            if (!mismatches.isEmpty()) {
                printTable(mismatches);
                out().println("run 'repair' to re-copy them, then 'verify' again");
            }
            List<LedgerEntry> open;
            try (Connection t = target.connection()) {
                open = Ledger.open(t); // read last: --through waited for the mirrors, which may have ledgered more
            } catch (SQLException e) {
                throw Side.TARGET.label(e);
            }
            LedgerReport.lines(open).forEach(out()::println);
            // --through is the check before cutover: an open entry is a gap nothing has shown closed yet
            boolean gapsOpen = through != null && !open.isEmpty();
            if (gapsOpen) {
                out().println("--through: exit code 3 while ledger entries are open; close them before cutover ('repair'"
                        + " those with a time range; re-copy the windows of the others, then 'settle' them)");
            }
            return mismatches.isEmpty() && nullTime.isEmpty() && windowMismatches.isEmpty() && !gapsOpen
                    ? ExitCodes.OK : ExitCodes.MISMATCH;
        }
    }

    private List<Outcome> compare(Database source, Database target, List<Task> tasks) throws SQLException {
        Map<String, TableLayout> layouts = new ConcurrentHashMap<>();
        Map<String, Boolean> recordHash = new ConcurrentHashMap<>();
        // one pool per side: a source-side job waits for its target-side job, so they must never share threads
        ExecutorService pool = Executors.newFixedThreadPool(parallelism);
        ExecutorService targetSide = Executors.newFixedThreadPool(parallelism);
        try {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (Task task : tasks) {
                if (task.state() == TaskState.PENDING || task.state() == TaskState.FAILED) {
                    futures.add(java.util.concurrent.CompletableFuture.completedFuture(new Outcome(task, null, null,
                            List.of("not copied yet (" + task.state().sql() + ")"))));
                    continue;
                }
                futures.add(pool.submit(() -> {
                    TableLayout layout;
                    try (Connection s = source.connection()) {
                        layout = layouts.get(task.qualifiedName());
                        if (layout == null) {
                            layout = TableLayout.load(s, task.schema(), task.table(), task.timeColumn());
                            try (Connection t = Side.TARGET.call(target::connection)) {
                                recordHash.put(task.qualifiedName(), RangeDigest.recordHashable(s, t, layout));
                            }
                            layouts.put(task.qualifiedName(), layout);
                        }
                    } catch (SQLException e) {
                        throw Side.SOURCE.label(e);
                    }
                    TableLayout l = layout;
                    boolean byRecord = recordHash.get(task.qualifiedName());
                    Future<RangeDigest> onTarget = targetSide.submit(() -> {
                        try (Connection t = target.connection()) {
                            return RangeDigest.of(t, l, task.start(), task.end(), byRecord);
                        } catch (SQLException e) {
                            throw Side.TARGET.label(e);
                        }
                    });
                    RangeDigest onSource;
                    try (Connection s = source.connection()) {
                        onSource = RangeDigest.of(s, l, task.start(), task.end(), byRecord);
                    } catch (SQLException e) {
                        throw Side.SOURCE.label(e);
                    }
                    RangeDigest t = onTarget.get();
                    return new Outcome(task, onSource, t, onSource.differences(t));
                }));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                outcomes.add(f.get());
            }
            return outcomes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackfillException("verify interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof ExecutionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            if (cause instanceof BackfillException operators) {
                throw operators; // its message is the whole story, e.g. a table dropped on the source
            }
            throw new BackfillException("verify failed: " + cause, cause);
        } finally {
            pool.shutdownNow();
            targetSide.shutdownNow();
        }
    }

    /**
     * Where each planned table's dual-write window ends: {@code --through} (or {@code --integer-through}) read in the
     * table's time type, or null for {@code now}, which is read once the mirrors caught up.
     */
    private record WindowEnd(Task task, Long end, String text) {
    }

    /**
     * The end of each planned table's dual-write window, read before anything is compared so that a value the
     * source cannot read, or {@code now} for an integer time column, stops the command at once.
     */
    private List<WindowEnd> windowEnds(Database source, Database target, List<Task> tasks) throws SQLException {
        Map<String, Task> last = new LinkedHashMap<>();
        for (Task task : tasks) {
            if (task.divergenceIds().isEmpty()) {
                last.merge(task.qualifiedName() + "\0" + task.timeColumn(), task, (a, b) -> a.end() >= b.end() ? a : b);
            }
        }
        List<WindowEnd> ends = new ArrayList<>();
        try (Connection s = source.connection(); Connection t = target.connection()) {
            String zone = Side.TARGET.call(() -> BackfillSchema.timeZone(t));
            for (Task task : last.values()) {
                TimeType type = task.timeType();
                if (type.isInteger() && integerThrough != null) {
                    long end = Side.SOURCE.call(() -> Positions.parseMoment(s, type, integerThrough, "--integer-through",
                            zone));
                    ends.add(new WindowEnd(task, end, "--integer-through " + integerThrough));
                    continue;
                }
                boolean now = "now".equalsIgnoreCase(through.trim());
                if (now && type.isInteger()) {
                    // an integer's unit is the application's own (epoch ms, s, a counter): no clock can stand for it
                    throw new BackfillException("--through now: " + task.qualifiedName() + "'s time column "
                            + task.timeColumn() + " is " + type.sqlName() + ", and 'now' only applies to timestamp-like"
                            + " columns: give --integer-through in the column's unit for integer-time tables"
                            + " (docs/migration.md step 4)");
                }
                Long end = now ? null : Side.SOURCE.call(() -> Positions.parseMoment(s, type, through, "--through", zone));
                ends.add(new WindowEnd(task, end, "--through " + through));
            }
        }
        return ends;
    }

    /**
     * Each planned table's rows from the end of its planned ranges up to its {@link WindowEnd}, once every proxy's
     * mirror applied what the source committed before now: the target must then hold exactly the source's rows there.
     * A table whose ranges already reach that end goes to {@code notCompared}.
     */
    private Windows compareWindows(Database source, Database target, List<WindowEnd> ends,
                                   List<String> notCompared) throws SQLException {
        List<Window> windows = new ArrayList<>();
        try (Connection s = source.connection(); Connection t = target.connection()) {
            String zone = Side.TARGET.call(() -> BackfillSchema.timeZone(t));
            MirrorCatchUp.Instances instances = Side.TARGET.call(() -> MirrorCatchUp.await(t, mirrorWait.duration(),
                    root == null ? () -> false : root.stopRequested()::get, err()));
            MirrorCatchUp.noteMarkedStopped(instances, err());
            Timestamp caughtUp = Side.TARGET.call(() -> clock(t));
            boolean upToNow = false;
            for (WindowEnd e : ends) {
                TimeType type = e.task().timeType();
                upToNow |= e.end() == null;
                long end = e.end() != null ? e.end() : Side.SOURCE.call(() -> Positions.now(s, type, zone));
                addWindow(s, t, e.task(), type, end, e.text(), windows, notCompared);
            }
            List<String> stillApplying = upToNow ? Side.TARGET.call(() -> appliedSince(t, caughtUp)) : List.of();
            return new Windows(windows, stillApplying);
        }
    }

    private static Timestamp clock(Connection target) throws SQLException {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1);
        }
    }

    /** The proxy instances whose last apply into this database came after {@code since} (target clock). */
    private static List<String> appliedSince(Connection target, Timestamp since) throws SQLException {
        List<String> instances = new ArrayList<>();
        if (!TandemSchema.hasTable(target, "mirror_progress")) {
            return instances; // no proxy has reached this database
        }
        try (PreparedStatement ps = target.prepareStatement(
                "SELECT instance_id FROM tandem.mirror_progress WHERE applied_at > ? ORDER BY 1")) {
            ps.setTimestamp(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    instances.add(rs.getString(1));
                }
            }
        }
        return instances;
    }

    /** The window of {@code task}'s table from the end of its planned ranges up to {@code end} ({@code endText}). */
    private static void addWindow(Connection s, Connection t, Task task, TimeType type, long end, String endText,
                                  List<Window> windows, List<String> notCompared) throws SQLException {
        if (end <= task.end()) {
            notCompared.add(task.qualifiedName() + ": its planned ranges end at " + type.display(task.end())
                    + ", not before " + endText + ", so it has no dual-write window to compare");
            return;
        }
        TableLayout layout = Side.SOURCE.call(() -> TableLayout.load(s, task.schema(), task.table(), task.timeColumn()));
        boolean byRecord = RangeDigest.recordHashable(s, t, layout);
        windows.add(new Window(task.qualifiedName(), type, task.end(), end,
                Side.SOURCE.call(() -> RangeDigest.of(s, layout, task.end(), end, byRecord)),
                Side.TARGET.call(() -> RangeDigest.of(t, layout, task.end(), end, byRecord))));
    }

    /** For each table whose time column may be NULL: what differs among its rows with a NULL time, one line. */
    private static List<String> compareNullTime(Database source, Database target, List<Task> tasks) throws SQLException {
        Map<String, Task> tables = new LinkedHashMap<>();
        tasks.forEach(task -> tables.putIfAbsent(task.qualifiedName() + "\0" + task.timeColumn(), task));
        List<String> lines = new ArrayList<>();
        try (Connection s = source.connection(); Connection t = target.connection()) {
            for (Task task : tables.values()) {
                TableLayout layout = Side.SOURCE.call(() -> TableLayout.load(s, task.schema(), task.table(),
                        task.timeColumn()));
                if (!layout.timeNullable()) {
                    continue;
                }
                boolean byRecord = RangeDigest.recordHashable(s, t, layout);
                RangeDigest onSource = Side.SOURCE.call(() -> RangeDigest.ofNullTime(s, layout, byRecord));
                RangeDigest onTarget = Side.TARGET.call(() -> RangeDigest.ofNullTime(t, layout, byRecord));
                List<String> differences = onSource.differences(onTarget);
                if (!differences.isEmpty()) {
                    lines.add(task.qualifiedName() + " (" + task.timeColumn() + " IS NULL): " + String.join("; ", differences));
                }
            }
        }
        return lines;
    }

    private void printTable(List<Outcome> mismatches) {
        String format = "%-6s %-30s %-56s %12s %12s  %s%n";
        out().printf(Locale.ROOT, format, "TASK", "TABLE", "RANGE", "SOURCE ROWS", "TARGET ROWS", "DIFFERENCE");
        for (Outcome o : mismatches) {
            out().printf(Locale.ROOT, format, o.task().id(), o.task().qualifiedName(), o.task().range(),
                    o.source() == null ? "-" : o.source().rows(), o.target() == null ? "-" : o.target().rows(),
                    String.join("; ", o.differences()));
        }
    }

}
