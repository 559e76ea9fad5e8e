package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.UsageException;
import dev.tandem.backfill.Counted;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.TimeIndex;
import dev.tandem.protocol.state.TimeType;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Builds the plan: which tables, which ranges, up to which T, after checking that source and target columns match, and
 * stores it on the target. Same arguments again are a no-op; different ones are refused unless {@code replace}.
 */
public final class Planner {

    /** The value of {@code --until} that means "the operator's mark recorded by the proxy". */
    public static final String DUAL_WRITE_START = "dual-write-start";

    /** What the operator asked for. */
    /**
     * @param integerFrom  with {@code integerUntil}: the lower bound of tables with an integer time column (null: their
     *                     oldest row)
     * @param integerUntil the upper bound of tables with an integer time column, in the column's unit, so that one plan
     *                     holds them beside timestamp tables bounded by {@code until} (the dual-write mark); null:
     *                     {@code from} and {@code until} bound every table
     * @param writersStopped the operator stated that no writer is left ({@link WritersStoppedOption}): {@code until}
     *                       may be later than now minus {@code maxLatenessMicros}, even after now
     */
    public record Request(List<TableOption> tables, List<Pattern> filters, String from, String until, Slice slice,
                          long maxLatenessMicros, boolean writersStopped, String zone, boolean allowNullTime,
                          boolean replace, String integerFrom, String integerUntil) {
    }

    /** NULL time values are counted up to this many: enough to tell an operator how big the problem is. */
    private static final long NULL_TIME_COUNT_LIMIT = 1_000_000;

    /** What stage did. */
    public record Outcome(boolean unchanged, int tasks, List<String> lines) {
    }

    private final Connection source;
    private final Connection target;
    private final PrintWriter out;

    public Planner(Connection source, Connection target, PrintWriter out) {
        this.source = source;
        this.target = target;
        this.out = out;
    }

    public Outcome stage(Request request) throws SQLException {
        Side.SOURCE.run(() -> Positions.checkZone(source, request.zone()));
        Side.TARGET.run(() -> BackfillSchema.create(target));
        List<StagedTable> tables = discover(request);
        if (tables.isEmpty()) {
            throw new BackfillException("nothing to stage: the source has no hypertables"
                    + (request.filters().isEmpty() ? "" : " matching --filter")
                    + " and no --table schema.table:timecol was given");
        }
        checkColumns(tables);
        String timeUntil = null; // --until resolved (the dual-write mark read), for the first table bounded by it
        boolean integerBounded = false;
        List<TaskStore.NewTask> tasks = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<String> nullTimes = new ArrayList<>();
        List<String> minusInfinities = new ArrayList<>();
        Optional<String> mark = null; // read once, when an explicit --until is to be compared with it
        List<String> untilBeforeMark = new ArrayList<>();
        List<String> untilUnchecked = new ArrayList<>(); // no mark to compare an explicit --until with
        // with the writers stopped (the cutover's windows) the mirror has nothing more to bring
        boolean mirrorExpected = !request.writersStopped() && MirrorCoverage.proxyListed(target);
        for (StagedTable table : tables) {
            TableLayout layout = Side.SOURCE.call(() -> layout(table));
            TimeType type = layout.timeType();
            long nullRows = Side.SOURCE.call(() -> layout.nullTimeRows(source, NULL_TIME_COUNT_LIMIT));
            if (nullRows > 0) {
                nullTimes.add(table.qualifiedName() + ": " + (nullRows >= NULL_TIME_COUNT_LIMIT ? "at least " : "")
                        + nullRows + " rows with a NULL " + table.timeColumn());
            }
            boolean ownBounds = type.isInteger() && request.integerUntil() != null;
            String tableUntil;
            if (ownBounds) {
                tableUntil = request.integerUntil();
                integerBounded = true;
            } else {
                if (type.isInteger() && DUAL_WRITE_START.equals(request.until())) {
                    // else Positions names neither the table nor the way out when timestamp tables are staged with it
                    throw new BackfillException(table.qualifiedName() + ": its time column " + table.timeColumn()
                            + " is " + type.sqlName() + ", and the dual-write start mark (--until dual-write-start, the"
                            + " default) only applies to timestamp-like columns: give --integer-until in the column's"
                            + " unit (and --integer-from if needed) for integer-time tables (docs/migration.md, step 4)");
                }
                if (timeUntil == null) {
                    timeUntil = untilText(request.until(), tables);
                }
                tableUntil = timeUntil;
                String dayAfter = type == TimeType.DATE ? dayAfterIfInside(timeUntil, request.zone()) : null;
                if (dayAfter != null) {
                    // a date cannot tell the rows written before the mark from those after it: the whole day is
                    // copied (the copy replaces the target's rows of the range, mirrored ones included), once it is
                    // over
                    lines.add(table.qualifiedName() + ": its time column is a date and " + timeUntil + " falls inside"
                            + " a day: the whole day is copied, up to " + dayAfter);
                    tableUntil = dayAfter;
                }
            }
            long until = position(type, tableUntil, ownBounds ? "--integer-until" : "--until", request.zone());
            if (!type.isInteger() && request.from() == null && !DUAL_WRITE_START.equals(request.until())) {
                // a plan from the oldest row is the main backfill: it must reach the mark, or the rows written before
                // the mark and dated after its end are copied by nothing (a plan with --from is a window or a part)
                if (mark == null) {
                    mark = markedAt();
                }
                if (mark.isPresent() && until < position(type, mark.get(), "the dual-write start mark", request.zone())) {
                    untilBeforeMark.add(table.qualifiedName());
                } else if (mark.isEmpty() && !request.writersStopped()) {
                    untilUnchecked.add(table.qualifiedName());
                }
            }
            if (!request.writersStopped()) {
                checkLateness(type, until, tableUntil, request.maxLatenessMicros(), request.zone());
            }
            String fromText = ownBounds ? request.integerFrom() : request.from();
            Long from = fromText == null ? null
                    : position(type, fromText, ownBounds ? "--integer-from" : "--from", request.zone());
            if (from != null && from >= until) {
                // else the table was staged with no task and "(no rows before --until)", however many rows it has
                throw new BackfillException(table.qualifiedName() + ": " + (ownBounds ? "--integer-from " : "--from ")
                        + fromText + " is not before " + (ownBounds ? "--integer-until " : "--until ") + tableUntil
                        + ", so no range lies between them; nothing was staged");
            }
            if (type == TimeType.TIMESTAMP) {
                lines.add(table.qualifiedName() + ": " + table.timeColumn() + " is a timestamp without time zone, read as"
                        + " wall-clock times in " + request.zone() + " (--time-zone): rows before " + type.display(until)
                        + " are copied");
                warnOfFutureValues(layout, request.zone(), lines);
            }
            if (!type.isInteger()) {
                warnOfRowsDatedAfterNow(layout, request.zone(), request.writersStopped() ? until : null, lines);
                if (mirrorExpected) {
                    long now = Side.SOURCE.call(() -> Positions.now(source, type, request.zone()));
                    MirrorCoverage.unmirrored(source, target, layout, until, now).ifPresent(lines::add);
                }
            }
            if (!request.writersStopped()) {
                // with the writers stopped no row is mirrored any more: the target's sequences number nothing the
                // copy meets (the cutover's re-copy replaces the window's mirrored rows)
                lines.addAll(SequenceCollision.check(source, target, layout, table.hypertable() != null));
            }
            List<long[]> ranges;
            if (table.hypertable() != null) {
                checkPartitioning(table);
                if (table.hypertable().tiered()) {
                    lines.add("warning: " + table.qualifiedName() + " has rows in tiered storage (an OSM chunk, which"
                            + " the catalog's chunk list leaves out): no task copies them, and verify does not compare"
                            + " them. Move them back to local storage on the source (untier_chunk) and stage again, or"
                            + " copy them by hand");
                }
                warnOfAggregatesOlderThanRows(table, lines);
                ranges = Ranges.clip(Side.SOURCE.call(() -> TimescaleCatalog.chunkRanges(source, table.hypertable())),
                        from, until);
                if (!ranges.isEmpty() && ranges.get(0)[0] == Long.MIN_VALUE) {
                    throw new BackfillException(table.qualifiedName() + ": its oldest chunk is open-ended (its rows lie"
                            + " within one chunk interval of the lowest " + type.sqlName() + ", or are -infinity), so no"
                            + " task range can start there; stage again with --from (rows older than it are not copied)");
                }
            } else {
                warnWithoutTimeIndex(table);
                long width;
                try {
                    width = table.slice().widthFor(type, table.qualifiedName());
                } catch (IllegalArgumentException e) {
                    throw new BackfillException(e.getMessage());
                }
                long minusInfinity = from != null || type.isInteger() ? 0 : minusInfinityRows(layout);
                long start;
                if (from != null) {
                    start = from;
                } else if (minusInfinity > 0) {
                    minusInfinities.add(table.qualifiedName() + ": " + minusInfinity + " rows with " + table.timeColumn()
                            + " = -infinity");
                    continue;
                } else {
                    Long min = Side.SOURCE.call(() -> OldestRow.position(source, layout));
                    start = min == null ? until : Math.floorDiv(min, width) * width;
                }
                ranges = Ranges.slices(start, until, width, table.qualifiedName());
            }
            for (long[] r : ranges) {
                tasks.add(new TaskStore.NewTask(table.schema(), table.table(), table.timeColumn(), type, r[0], r[1],
                        "plan", List.of()));
            }
            lines.add(String.format("%-40s %6d tasks  %s", table.qualifiedName(), ranges.size(), ranges.isEmpty()
                    ? "(no rows before " + type.display(until) + ")"
                    : "[" + type.display(ranges.get(0)[0]) + ", " + type.display(ranges.get(ranges.size() - 1)[1]) + ")"));
        }
        if (!minusInfinities.isEmpty()) {
            throw new BackfillException("rows whose time column is -infinity lie before every range, so no task would"
                    + " copy them; nothing was staged:\n  " + String.join("\n  ", minusInfinities) + "\nCopy those rows"
                    + " to the target yourself (e.g. COPY (SELECT ... WHERE <column> = '-infinity')), then stage with"
                    + " --from <the oldest finite time to copy>");
        }
        if (!nullTimes.isEmpty()) {
            String what = String.join("\n  ", nullTimes);
            if (!request.allowNullTime()) {
                throw new BackfillException("rows whose time column is NULL fall in no time range, so no task would copy"
                        + " them; nothing was staged:\n  " + what + "\nCopy those rows to the target yourself once no"
                        + " writer adds more (e.g. COPY (SELECT ... WHERE <column> IS NULL)), then stage with"
                        + " --allow-null-time; verify compares them table by table either way");
            }
            lines.add("warning: not copied, their time column is NULL (verify compares them):\n  " + what);
        }
        if (request.integerUntil() != null && !integerBounded) {
            lines.add("note: no staged table has an integer time column: --integer-until and --integer-from are unused");
        }
        if (!untilBeforeMark.isEmpty()) {
            lines.add("warning: --until " + timeUntil + " is earlier than the dual-write start mark " + mark.get() + " ("
                    + String.join(", ", untilBeforeMark) + "): no task copies the rows from --until to the mark, and"
                    + " those written before the mark, when writers still reached the source directly, are on the"
                    + " source only. Stage the backfill up to the mark or later (--until dual-write-start, the default;"
                    + " docs/migration.md, step 4), or copy that span in a plan of its own with --from");
        }
        if (!untilUnchecked.isEmpty()) {
            String targetDb = Side.TARGET.call(() -> currentDatabase(target));
            lines.add("warning: no dual-write start is marked for database " + targetDb + " in tandem.dual_write on the"
                    + " target, so stage cannot tell whether --until " + timeUntil + " (" + String.join(", ",
                    untilUnchecked) + ") is at or after the time the proxy took the writes over: rows dated from"
                    + " --until on that were written directly to the source before then are in neither this plan nor"
                    + " the mirror, and only the cutover's verify --through shows them (docs/migration.md, step 7)."
                    + " Once every writer goes through the proxy, mark it (POST /dual-write/mark on the proxy admin"
                    + " port) and stage with --until dual-write-start, the default (step 4); or keep this --until if"
                    + " you know it is not earlier than that time");
        }
        String untilText = timeUntil != null ? timeUntil : integerBounded ? request.integerUntil()
                : untilText(request.until(), tables);
        String arguments = "tables=" + StagedTable.describeAll(tables) + (request.from() == null ? "" : " from=" + request.from())
                + " until=" + untilText
                + (request.integerUntil() == null ? "" : " integer-until=" + request.integerUntil()
                        + (request.integerFrom() == null ? "" : " integer-from=" + request.integerFrom()))
                + (request.zone().equals(Positions.DEFAULT_ZONE) ? "" : " time-zone=" + request.zone());
        return Side.TARGET.call(() -> store(arguments, untilText, request.zone(), tasks, request.replace(), lines));
    }

    private Outcome store(String arguments, String untilText, String zone, List<TaskStore.NewTask> tasks, boolean replace,
                          List<String> lines) throws SQLException {
        boolean autoCommit = target.getAutoCommit();
        target.setAutoCommit(false);
        try {
            try (Statement s = target.createStatement()) {
                s.execute("LOCK TABLE tandem.backfill_plan IN EXCLUSIVE MODE");
            }
            Optional<String> existing = Optional.empty();
            try (Statement s = target.createStatement();
                 ResultSet rs = s.executeQuery("SELECT arguments FROM tandem.backfill_plan WHERE id = 1")) {
                if (rs.next()) {
                    existing = Optional.of(rs.getString(1));
                }
            }
            if (existing.isPresent() && existing.get().equals(arguments) && !replace) {
                target.rollback(); // a re-run (after a crash, in a script): the plan and its progress stay
                return new Outcome(true, 0, lines);
            }
            if (existing.isPresent() && !replace) {
                target.rollback();
                throw new BackfillException("a different plan is already staged on the target:\n  staged: " + existing.get()
                        + "\n  asked:  " + arguments + "\nrun 'clean' first, or stage with --replace to discard it");
            }
            try (Statement s = target.createStatement()) {
                s.execute("DELETE FROM tandem.backfill_task");
                s.execute("DELETE FROM tandem.backfill_plan");
            }
            try (PreparedStatement ps = target.prepareStatement(
                    "INSERT INTO tandem.backfill_plan (id, arguments, until_text, time_zone) VALUES (1, ?, ?, ?)")) {
                ps.setString(1, arguments);
                ps.setString(2, untilText);
                ps.setString(3, zone);
                ps.executeUpdate();
            }
            TaskStore.insert(target, tasks);
            target.commit();
            return new Outcome(false, tasks.size(), lines);
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(autoCommit);
        }
    }

    /**
     * The table's layout on the source. A hypertable found there (not named with --table) that cannot be staged, as
     * one partitioned by a uuid column (UUIDv7 partitioning, in TimescaleDB since 2.22), is refused with the way to
     * stage the others.
     */
    private TableLayout layout(StagedTable table) throws SQLException {
        try {
            return TableLayout.load(source, table.schema(), table.table(), table.timeColumn());
        } catch (BackfillException e) {
            if (table.hypertable() == null) {
                throw e;
            }
            throw new BackfillException(e.getMessage() + "; nothing was staged. " + table.qualifiedName() + " is a"
                    + " hypertable of the source: copy it another way, and stage the other tables with a --filter"
                    + " that leaves it out, e.g. --filter '^(?!" + Pattern.quote(table.qualifiedName()) + "$)'");
        }
    }

    private List<StagedTable> discover(Request request) throws SQLException {
        Map<String, StagedTable> tables = new LinkedHashMap<>();
        Optional<String> sourceVersion = Side.SOURCE.call(() -> TimescaleCatalog.version(source));
        if (sourceVersion.isPresent()) {
            Optional<String> targetVersion = Side.TARGET.call(() -> TimescaleCatalog.version(target));
            if (!targetVersion.equals(sourceVersion)) {
                out.println("warning: TimescaleDB " + sourceVersion.get() + " on the source but "
                        + targetVersion.map(v -> "TimescaleDB " + v).orElse("no TimescaleDB") + " on the target");
            }
            if (targetVersion.isPresent()) {
                Optional<String> sourceLicense = Side.SOURCE.call(() -> TimescaleCatalog.license(source));
                Optional<String> targetLicense = Side.TARGET.call(() -> TimescaleCatalog.license(target));
                TimescaleCatalog.editionWarning(sourceLicense, targetLicense).ifPresent(out::println);
            }
            for (TimescaleCatalog.Hypertable h : Side.SOURCE.call(() -> TimescaleCatalog.hypertables(source))) {
                tables.put(h.qualifiedName(), new StagedTable(h.schema(), h.name(), h.timeColumn(), h, null));
            }
        }
        for (TableOption t : request.tables()) {
            Slice slice = t.slice() != null ? t.slice() : request.slice();
            tables.put(t.qualifiedName(), new StagedTable(t.schema(), t.table(), t.timeColumn(), null, slice));
        }
        List<StagedTable> result = new ArrayList<>();
        for (StagedTable t : tables.values()) {
            if (request.filters().isEmpty() || request.filters().stream().anyMatch(p -> p.matcher(t.qualifiedName()).find())) {
                result.add(t);
            }
        }
        return result;
    }

    private void checkColumns(List<StagedTable> tables) throws SQLException {
        StringBuilder report = new StringBuilder();
        for (StagedTable t : tables) {
            ColumnComparison.Result compared = ColumnComparison.compare(source, target, t.schema(), t.table());
            compared.warnings().forEach(w -> out.println("warning: " + w));
            if (!compared.differences().isEmpty()) {
                report.append("\n  ").append(t.qualifiedName()).append(':');
                compared.differences().forEach(d -> report.append("\n    ").append(d));
            } else {
                compared.otherOrder().ifPresent(orders -> out.println(
                        "warning: the columns of " + t.qualifiedName() + " are in another order on the target ("
                        + orders + "): the backfill names them; a proxy without source.user replays INSERTs and"
                        + " COPYs without a column list by position (and logged that it did), so the rows it mirrored"
                        + " from those have values in other columns, and the time ranges of the ledger entries it wrote"
                        + " for rows it did not keep may be another column's: then recreate the target's table in the"
                        + " source's order and re-copy its dual-write window (docs/migration.md, step 2,"
                        + " \"Column order\")"));
            }
        }
        if (report.length() > 0) {
            throw new BackfillException("source and target tables differ; nothing was staged:" + report);
        }
    }

    /** The until value as text: given, or the dual-write start mark (timestamp-like columns only). */
    private String untilText(String until, List<StagedTable> tables) throws SQLException {
        if (!DUAL_WRITE_START.equals(until)) {
            return until;
        }
        Optional<String> mark = markedAt();
        if (mark.isPresent()) {
            out.println("until = dual-write start mark " + mark.get());
            return mark.get();
        }
        String targetDb = Side.TARGET.call(() -> currentDatabase(target));
        throw new BackfillException("no dual-write start is marked for database " + targetDb + " in tandem.dual_write on the "
                + "target. Once every writer goes through the proxy, mark it with POST /dual-write/mark on the proxy admin "
                + "port or 'tandem-proxy --mark-dual-write-start', or pass --until <time> explicitly");
    }

    /** The dual-write start mark of the target database (or of the source's, which target.databases may map). */
    private Optional<String> markedAt() throws SQLException {
        String targetDb = Side.TARGET.call(() -> currentDatabase(target));
        String sourceDb = Side.SOURCE.call(() -> currentDatabase(source));
        try (PreparedStatement ps = target.prepareStatement("SELECT marked_at::text FROM tandem.dual_write "
                + "WHERE database IN (?, ?) AND marked_at IS NOT NULL ORDER BY database = ? DESC LIMIT 1")) {
            ps.setString(1, targetDb);
            ps.setString(2, sourceDb);
            ps.setString(3, targetDb);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw Side.TARGET.label(e);
        }
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The day after {@code value}'s, as a date, when {@code value} is a time after midnight in {@code zone}; else null. */
    private String dayAfterIfInside(String value, String zone) throws SQLException {
        long moment;
        try {
            moment = Side.SOURCE.call(() -> Positions.parseMoment(source, TimeType.TIMESTAMP, value, "--until", zone));
        } catch (UsageException e) {
            return null; // not a time: position() says what is wrong with it
        }
        long day = Math.floorDiv(moment, TimeType.MICROS_PER_DAY) * TimeType.MICROS_PER_DAY;
        return moment == day ? null : TimeType.DATE.display(day + TimeType.MICROS_PER_DAY);
    }

    private long position(TimeType type, String value, String option, String zone) throws SQLException {
        return Side.SOURCE.call(() -> Positions.parseMoment(source, type, value, option, zone));
    }

    /** Rows in [from, T) must no longer be written when their task runs: refuse a T too close to now. */
    private void checkLateness(TimeType type, long until, String untilText, long maxLatenessMicros, String zone)
            throws SQLException {
        if (type.isInteger()) {
            return;
        }
        long now = Side.SOURCE.call(() -> Positions.now(source, type, zone));
        if (until > now - maxLatenessMicros) {
            String inZone = type == TimeType.TIMESTAMPTZ ? "" : " in " + zone;
            throw new BackfillException("--until " + untilText + " is later than now() - --max-lateness ("
                    + type.display(now - maxLatenessMicros) + inZone + "): rows in the last range may still be "
                    + "written on the source while their task copies it, and such a late write could end up on the target twice"
                    + " (copied and mirrored) or, if it bypassed the proxy, be lost. Wait "
                    + "until " + type.display(until + maxLatenessMicros) + inZone + " and stage again, or lower "
                    + "--max-lateness if no writer sends rows that old");
        }
    }

    /**
     * A timestamp column whose newest value lies ahead of now in the zone it is read in most likely holds the local
     * times of a zone east of it: then T is hours off and rows written before the mark could fall after it.
     */
    private void warnOfFutureValues(TableLayout layout, String zone, List<String> lines) throws SQLException {
        String column = Identifiers.quoteIdentifier(layout.timeColumn());
        long now = Side.SOURCE.call(() -> Positions.now(source, layout.timeType(), zone));
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT max(" + column + ")::text"
                + " FROM " + layout.quotedTable() + " WHERE " + afterNow(layout, now))) {
            if (rs.next() && rs.getString(1) != null) {
                lines.add("warning: the newest " + layout.timeColumn() + " of " + layout.qualifiedName() + " ("
                        + rs.getString(1) + ") is later than now in " + zone + " (" + layout.timeType().display(now)
                        + "): if it holds local times of another zone, stage again with --time-zone <that zone>"
                        + " --replace");
            }
        } catch (SQLException e) {
            throw Side.SOURCE.label(e);
        }
    }

    /**
     * {@code column > now()} (a minute later for times, the next day for dates) with the bound as a literal: the planner
     * then prunes a partitioned table's partitions, where the merely stable now() left it planning a scan of every one,
     * 2.3 s of stage with 5,000 partitions (proxy/bench/partitions-bench.sh).
     *
     * @param now the source's now() as a position of the column's type ({@link Positions#now})
     */
    private static String afterNow(TableLayout layout, long now) {
        TimeType type = layout.timeType();
        long bound = type == TimeType.DATE ? Math.floorDiv(now, TimeType.MICROS_PER_DAY) * TimeType.MICROS_PER_DAY
                : now + 60_000_000L;
        return Identifiers.quoteIdentifier(layout.timeColumn()) + " > " + type.literal(bound);
    }

    /**
     * Rows dated after now lie beyond every range and every dual-write window {@code verify --through now} compares;
     * those written before the dual-write mark were not mirrored either, and are on the source only. With
     * {@code --writers-stopped} ({@code until} not null) the plan may hold them: only those from {@code until} on are
     * left, and the rows at infinity, which no range reaches.
     */
    private void warnOfRowsDatedAfterNow(TableLayout layout, String zone, Long until, List<String> lines)
            throws SQLException {
        String column = Identifiers.quoteIdentifier(layout.timeColumn());
        long now = Side.SOURCE.call(() -> Positions.now(source, layout.timeType(), zone));
        String notPlanned = until == null ? "" : " AND " + column + " >= " + layout.timeType().literal(until);
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*), max(" + column
                + ")::text, count(*) FILTER (WHERE " + column + " = 'infinity') FROM " + layout.quotedTable() + " WHERE "
                + afterNow(layout, now) + notPlanned)) {
            rs.next();
            long rows = rs.getLong(1);
            if (rows == 0) {
                return;
            }
            long infinite = rs.getLong(3);
            String byHand = infinite == 0 ? "" : "; the " + infinite + " at infinity no range reaches: copy them by"
                    + " hand";
            if (until != null) {
                lines.add("warning: no task copies " + Counted.of(rows, "row") + " of " + layout.qualifiedName()
                        + " dated after now and at or after --until " + layout.timeType().display(until)
                        + " (the newest " + rs.getString(2) + ")" + (infinite == rows ? ""
                        : ": stage again with --until '" + maxFinite(layout, now) + "' to copy them") + byHand);
                return;
            }
            lines.add("warning: " + rows + " rows of " + layout.qualifiedName() + " are dated after now (the newest "
                    + rs.getString(2) + "): no task copies them, and those written before the dual-write mark were"
                    + " not mirrored either. Once the writers have stopped, run verify --through "
                    + (infinite == rows ? "<the newest finite time>" : "'" + maxFinite(layout, now) + "'")
                    + " to find the missing ones, and copy them with stage --writers-stopped (docs/migration.md,"
                    + " step 8, rows 'dated after now')" + byHand);
        } catch (SQLException e) {
            throw Side.SOURCE.label(e);
        }
    }

    /** Just after the newest finite time, which is after {@code now}: asked only when such a row exists. */
    private String maxFinite(TableLayout layout, long now) throws SQLException {
        String column = Identifiers.quoteIdentifier(layout.timeColumn());
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT (max(" + column + ")"
                + (layout.timeType() == TimeType.DATE ? " + 1" : " + interval '1 microsecond'") + ")::text FROM "
                + layout.quotedTable() + " WHERE " + column + " <> 'infinity' AND " + afterNow(layout, now))) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw Side.SOURCE.label(e);
        }
    }

    /**
     * Buckets of a continuous aggregate whose rows the source no longer has (a retention policy dropped them) cannot be
     * rebuilt on the target, which gets the rows only: said at stage, with the copy that keeps them, as
     * {@code refresh-caggs} then refreshes from the oldest row on and leaves older buckets as they are.
     */
    private void warnOfAggregatesOlderThanRows(StagedTable table, List<String> lines) throws SQLException {
        List<TimescaleCatalog.ContinuousAggregate> onTarget = null;
        for (TimescaleCatalog.ContinuousAggregate aggregate
                : Side.SOURCE.call(() -> TimescaleCatalog.continuousAggregates(source, table.schema(), table.table()))) {
            Optional<TimescaleCatalog.OlderBuckets> older;
            try {
                older = TimescaleCatalog.olderBuckets(source, aggregate);
            } catch (SQLException e) {
                if (!"42501".equals(e.getSQLState())) {
                    throw Side.SOURCE.label(e);
                }
                lines.add("warning: cannot tell whether continuous aggregate " + aggregate.view() + " holds buckets"
                        + " older than the rows of " + aggregate.raw() + " (" + e.getMessage() + "); such buckets"
                        + " are not copied and refresh-caggs cannot rebuild them");
                continue;
            }
            if (older.isEmpty()) {
                continue;
            }
            String oldestRow = older.get().oldestRow();
            if (onTarget == null) {
                onTarget = Side.TARGET.call(() -> TimescaleCatalog.version(target).isPresent()
                        ? TimescaleCatalog.continuousAggregates(target, table.schema(), table.table()) : List.of());
            }
            String targetMaterialization = onTarget.stream().filter(a -> a.view().equals(aggregate.view()))
                    .map(TimescaleCatalog.ContinuousAggregate::materialization).findFirst()
                    .orElse("<the target's materialization hypertable of " + aggregate.view() + ">");
            String where = oldestRow == null ? "" : " WHERE " + Identifiers.quoteIdentifier(
                    aggregate.materializationColumn()) + " < " + Identifiers.quoteLiteral(oldestRow);
            lines.add("warning: continuous aggregate " + aggregate.view() + " holds buckets from "
                    + older.get().oldestBucket() + " on, older than every row of " + aggregate.raw()
                    + (oldestRow == null ? " (it has none)" : " (the oldest is " + oldestRow + ")")
                    + ", as where a retention policy dropped the rows: no task copies them and refresh-caggs cannot"
                    + " rebuild them. Copy them into the target's materialization before refresh-caggs (which then"
                    + " keeps them and refreshes from the oldest row on), in psql:\n  source=> \\copy (SELECT * FROM "
                    + aggregate.materialization() + where + ") TO 'aggregate.copy'\n  target=> \\copy "
                    + targetMaterialization + " FROM 'aggregate.copy'");
        }
    }

    /**
     * A time dimension with a {@code time_partitioning_func} has its chunk ranges in that function's values (e.g.
     * microseconds of a timestamp computed from a bigint of milliseconds), which no range predicate on the column can
     * use: such a hypertable is cut into slices of the column's own values instead, when the operator names it.
     */
    private static void checkPartitioning(StagedTable table) {
        String function = table.hypertable().partitioningFunction();
        if (function != null) {
            throw new BackfillException(table.qualifiedName() + ": its time dimension " + table.timeColumn()
                    + " is partitioned through " + function + ", so its chunk ranges are values of that function, not"
                    + " of " + table.timeColumn() + "; nothing was staged. Stage it as a plain table instead: --table "
                    + table.qualifiedName() + ":" + table.timeColumn() + ":<slice width in the column's units>");
        }
    }

    /** Each task reads its range with a predicate on the time column: without an index or partitioning on it, a full scan. */
    private void warnWithoutTimeIndex(StagedTable table) throws SQLException {
        if (!Side.SOURCE.call(() -> TimeIndex.exists(source, table.schema(), table.table(), table.timeColumn()))) {
            out.println("warning: " + table.qualifiedName() + " has no index starting with " + table.timeColumn()
                    + " on the source, so every task scans the whole table: add one, or stage a larger --slice");
        }
    }

    private long minusInfinityRows(TableLayout layout) throws SQLException {
        try (Statement s = source.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM "
                + layout.quotedTable() + " WHERE " + Identifiers.quoteIdentifier(layout.timeColumn()) + " = '-infinity'")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw Side.SOURCE.label(e);
        }
    }
}
