package dev.tandem.backfill.ledger;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.connect.TargetOptions;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code settle}: close ledger entries {@code repair} cannot re-copy (they carry no time range) once the operator
 * re-copied their table's window, on the evidence of {@link SettleEvidence}. All or nothing: one entry without
 * evidence leaves every named entry open, so a script never half-settles an incident. An entry for rows at infinity
 * ({@link LedgerEntry#atInfinity}) is never settled: the evidence is about task ranges, and none holds those rows.
 */
@Command(name = "settle", mixinStandardHelpOptions = true,
        description = "Close divergence ledger entries without a time range (shed transactions, ones over the"
                + " capture limits and outcome_unknown ones whose rows' times the proxy could not read, ...) once their"
                + " table's window was re-copied and verified after them:"
                + " a task of the table whose copy started after the entry was recorded, whose range holds that time,"
                + " and which verify found equal, with no task of the table mismatched, failed, pending or unverified."
                + " Changes nothing unless every entry named has that evidence. Not the entries for rows at infinity"
                + " or -infinity, which no range holds: copy those rows and close their entries by hand.")
public final class SettleCommand extends BackfillCommand {

    @Mixin
    TargetOptions connection;

    @Parameters(paramLabel = "ID", arity = "1..*", split = ",", converter = SelectionConverter.class,
            description = "Ledger entry ids (tandem.divergence.id), comma-separated or repeated: 7 for that entry,"
                    + " 5-9 for every open entry without a time range among ids 5 to 9")
    List<EntryIds.Selection> selections;

    /** An entry named, with what settling it needs to know. */
    private record Candidate(LedgerEntry entry, String closedAt, String closedBy, SettleEvidence.Recorded recorded) {
    }

    /** Entries reported together: same table, same outcome ({@code why}); {@code table} is null for unknown ids. */
    private record Group(String table, String why, List<Long> ids, List<LedgerEntry> entries) {

        Group(String table, String why) {
            this(table, why, new ArrayList<>(), new ArrayList<>());
        }

        void add(LedgerEntry entry) {
            ids.add(entry.id());
            entries.add(entry);
        }

        void unknown(long id) {
            ids.add(id);
        }

        /** {@code ledger entries 5-7 (public.metrics, recorded ... to ...): why}. */
        String line() {
            String what = (ids.size() == 1 ? "ledger entry " : "ledger entries ")
                    + EntryIds.format(ids, LedgerReport.LISTED_RUNS);
            if (table == null) {
                return what + ": " + why;
            }
            String first = LedgerReport.earliest(entries);
            String last = LedgerReport.latest(entries);
            return what + " (" + table + ", recorded " + (first.equals(last) ? first : first + " to " + last) + "): "
                    + why;
        }
    }

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open(Side.TARGET, connection.target(environment()), 1);
             Connection t = target.connection()) {
            if (!BackfillSchema.exists(t)) {
                throw new BackfillException("no plan on the target: settling a ledger entry needs the tasks that"
                        + " re-copied and verified its table; stage its window (stage --table/--filter --from"
                        + " --until), copy and verify first; nothing was settled");
            }
            BackfillSchema.create(t); // settled_by, on a ledger an earlier release made
            String zone = BackfillSchema.timeZone(t);
            t.setAutoCommit(false);
            try {
                int code = settle(t, zone);
                if (code == ExitCodes.OK) {
                    t.commit();
                } else {
                    t.rollback();
                }
                return code;
            } catch (SQLException | RuntimeException e) {
                t.rollback();
                throw e;
            } finally {
                t.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw Side.TARGET.label(e); // this command reads and writes the target only
        }
    }

    private int settle(Connection t, String zone) throws SQLException {
        Map<Long, Candidate> found = read(t, zone);
        Set<Long> named = new LinkedHashSet<>();
        selections.stream().filter(s -> !s.span()).forEach(s -> named.add(s.first()));
        Map<List<String>, Group> refused = new LinkedHashMap<>();
        Map<List<String>, Group> settled = new LinkedHashMap<>();
        List<String> emptySpans = new ArrayList<>();
        Map<Long, String> evidence = new LinkedHashMap<>();
        Map<String, List<TaskStore.Copied>> tasksByTable = new HashMap<>();
        Set<Long> selected = new LinkedHashSet<>();
        int leftAlone = 0;
        for (long id : named) {
            if (!found.containsKey(id)) {
                group(refused, null, "no such entry in tandem.divergence").unknown(id);
            }
        }
        for (Candidate c : found.values()) {
            LedgerEntry e = c.entry();
            boolean explicit = named.contains(e.id());
            if (c.closedAt() != null || e.hasRange() || e.atInfinity()) {
                if (explicit) {
                    String why = c.closedAt() != null
                            ? "is closed already, at " + c.closedAt() + (c.closedBy() == null ? "" : " (" + c.closedBy() + ")")
                            : e.hasRange() ? "has a time range (" + e.timeColumn() + " [" + e.start() + ", " + e.end()
                                    + ")): 'repair' re-copies it and closes it itself"
                            // a task holding its recorded time says nothing of them: no task's range reaches infinity
                            : "stands for rows at infinity or -infinity in " + e.timeColumn() + ", which no task's"
                                    + " range holds, so no re-copy shows they were copied: copy them by hand"
                                    + " (docs/migration.md step 8, rows at infinity), then close it yourself: "
                                    + LedgerEntry.closeByHand(List.of(e.id()));
                    group(refused, e.tableName(), why).add(e);
                } else {
                    leftAlone++;
                }
                continue;
            }
            selected.add(e.id());
            if (e.schema() == null) {
                group(refused, e.tableName(), "names no table: " + LedgerEntry.noTableAdvice(List.of(e.id())))
                        .add(e);
                continue;
            }
            List<TaskStore.Copied> tasks = tasksByTable.get(e.tableName());
            if (tasks == null) {
                tasks = TaskStore.ofTable(t, e.schema(), e.table());
                tasksByTable.put(e.tableName(), tasks);
            }
            SettleEvidence.Finding finding = SettleEvidence.of(e.tableName(), c.recorded(), tasks);
            if (finding instanceof SettleEvidence.Shown shown) {
                evidence.put(e.id(), shown.describe());
                group(settled, e.tableName(), shown.describe()).add(e);
            } else {
                group(refused, e.tableName(), ((SettleEvidence.Missing) finding).reason()).add(e);
            }
        }
        for (EntryIds.Selection s : selections) {
            if (s.span() && selected.stream().noneMatch(id -> id >= s.first() && id <= s.last())) {
                emptySpans.add("ledger entries " + s.first() + "-" + s.last() + ": none of them is an open entry"
                        + " without a time range, the only ones a span stands for");
            }
        }
        if (!refused.isEmpty() || !emptySpans.isEmpty()) {
            refused.values().forEach(g -> err().println("error: " + g.line()));
            emptySpans.forEach(line -> err().println("error: " + line));
            err().println("error: nothing was settled: every entry named must have the evidence settle asks for");
            return ExitCodes.FAILURE;
        }
        try (PreparedStatement ps = t.prepareStatement("UPDATE tandem.divergence SET repaired_at = now(),"
                + " settled_by = ? WHERE id = ? AND repaired_at IS NULL")) {
            for (Map.Entry<Long, String> e : evidence.entrySet()) {
                ps.setString(1, "settle: " + e.getValue());
                ps.setLong(2, e.getKey());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        settled.values().forEach(g -> out().println("settled " + g.line()));
        out().println("settled " + entries(evidence.size(), "ledger entr") + (leftAlone == 0 ? ""
                : "; left " + entries(leftAlone, "other entr") + " of the spans named alone: closed already, with a"
                        + " time range, which 'repair' re-copies, or for rows at infinity, which you copy and close by"
                        + " hand"));
        return ExitCodes.OK;
    }

    /** The entries with an id in one of the selections, locked until the settle commits or rolls back. */
    private Map<Long, Candidate> read(Connection t, String zone) throws SQLException {
        Map<Long, Candidate> found = new LinkedHashMap<>();
        try (PreparedStatement ps = t.prepareStatement("SELECT " + Ledger.columns(t) + ", d.repaired_at::text,"
                + " coalesce(d.settled_by, (SELECT 'repair task ' || min(r.id) FROM tandem.backfill_task r"
                + " WHERE r.divergence_id = d.id OR d.id = ANY (r.divergence_ids))), "
                + TimeType.TIMESTAMP.positionOf("d.recorded_at AT TIME ZONE " + Identifiers.quoteLiteral(zone)) + ", "
                + TimeType.TIMESTAMP.positionOf("coalesce(d.recorded_until, d.recorded_at) AT TIME ZONE "
                        + Identifiers.quoteLiteral(zone)) + ", "
                + (TandemSchema.hasColumn(t, "divergence", "ledgered_at")
                        ? TimeType.TIMESTAMPTZ.positionOf("d.ledgered_at") : "NULL::bigint")
                + " FROM tandem.divergence d WHERE EXISTS (SELECT 1 FROM unnest(?::bigint[], ?::bigint[])"
                + " AS s(first_id, last_id) WHERE d.id BETWEEN s.first_id AND s.last_id) ORDER BY d.id FOR UPDATE OF d")) {
            ps.setArray(1, t.createArrayOf("bigint", selections.stream().map(EntryIds.Selection::first).toArray()));
            ps.setArray(2, t.createArrayOf("bigint", selections.stream().map(EntryIds.Selection::last).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    LedgerEntry e = Ledger.entry(rs);
                    int c = Ledger.COLUMNS;
                    long ledgered = rs.getLong(c + 5);
                    found.put(e.id(), new Candidate(e, rs.getString(c + 1), rs.getString(c + 2),
                            new SettleEvidence.Recorded(e.recordedMicros(), rs.getLong(c + 3), e.lastMicros(),
                                    rs.getLong(c + 4), rs.wasNull() ? Long.MIN_VALUE : ledgered)));
                }
            }
        }
        return found;
    }

    /** The group of entries of {@code table} with the outcome {@code why}. */
    private static Group group(Map<List<String>, Group> groups, String table, String why) {
        return groups.computeIfAbsent(Arrays.asList(table, why), k -> new Group(table, why));
    }

    /** {@code 1 ledger entry}, {@code 3 ledger entries}. */
    private static String entries(int n, String stem) {
        return n + " " + stem + (n == 1 ? "y" : "ies");
    }

    /** picocli converter: a malformed id is a usage error (exit 2). */
    public static final class SelectionConverter implements picocli.CommandLine.ITypeConverter<EntryIds.Selection> {
        @Override
        public EntryIds.Selection convert(String value) {
            try {
                return EntryIds.Selection.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
