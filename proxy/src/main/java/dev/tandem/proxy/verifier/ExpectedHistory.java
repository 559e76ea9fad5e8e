package dev.tandem.proxy.verifier;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which buckets of a table the target is expected to hold the same rows in as the source by now. During a migration
 * it holds none of the history at first: the mirror writes from the dual-write mark on, and the backfill copies what
 * came before, range after range. Comparing a bucket neither has filled yet would ledger a divergence that is only
 * work not done yet (and raise the divergence gauges for the whole backfill).
 *
 * <ul>
 *   <li>A table with a backfill plan ({@code tandem.backfill_task}, origin {@code plan}, on the verified time column):
 *       a bucket is compared once no planned range overlapping it before the plan's end is still pending or failed;
 *       from the plan's end on, the rows are the mirror's.</li>
 *   <li>Without a plan: the buckets that start at or after the database's dual-write mark ({@code tandem.dual_write}):
 *       before it, writers may still have bypassed the proxy. An integer time column has no mark in its units: once
 *       the database has a mark, all of its buckets are compared.</li>
 * </ul>
 * Ranges {@code repair} queued are not waited for: a bucket waiting to be repaired still diverges, and says so.
 */
final class ExpectedHistory {

    private static final String HAS_PLAN = "SELECT to_regclass('tandem.backfill_task') IS NOT NULL";
    private static final String PLAN_END = "SELECT max(range_end) FROM tandem.backfill_task"
            + " WHERE table_schema = ? AND table_name = ? AND time_column = ? AND origin = 'plan'";
    private static final String NOT_COPIED = "SELECT range_start, range_end FROM tandem.backfill_task"
            + " WHERE table_schema = ? AND table_name = ? AND time_column = ? AND origin = 'plan'"
            + " AND state IN ('pending', 'failed') AND range_start < ? AND range_end > ?";
    private static final String MARK = "SELECT marked_at FROM tandem.dual_write WHERE database IN (?, ?)"
            + " AND marked_at IS NOT NULL ORDER BY database = ? DESC LIMIT 1";

    /** What was found for one table: the buckets to compare, and why others wait (null when none do). */
    record Expected(List<Bucket> buckets, String waiting) {
    }

    private final Connection target;
    private final boolean planned;
    private final String targetDatabase;
    private final String sourceDatabase;
    /** The mark as a position, per time type (timestamp-like types differ by zone); one run reads it once. */
    private final Map<TimeType, Optional<Long>> marks = new EnumMap<>(TimeType.class);

    private ExpectedHistory(Connection target, boolean planned, String targetDatabase, String sourceDatabase) {
        this.target = target;
        this.planned = planned;
        this.targetDatabase = targetDatabase;
        this.sourceDatabase = sourceDatabase;
    }

    /** Runs after {@link DivergenceLedger#prepare}: {@code tandem.dual_write} exists. */
    static ExpectedHistory read(Connection target, String targetDatabase, String sourceDatabase) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(HAS_PLAN); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new ExpectedHistory(target, rs.getBoolean(1), targetDatabase, sourceDatabase);
        }
    }

    /** @param closed the table's closed buckets, oldest first */
    Expected expected(VerifiedTable table, String zone, List<Bucket> closed) throws SQLException {
        if (closed.isEmpty()) {
            return new Expected(closed, null);
        }
        Long planEnd = planned ? planEnd(table) : null;
        if (planEnd != null) {
            List<long[]> notCopied = notCopied(table, closed.get(0).start(), closed.get(closed.size() - 1).end());
            List<Bucket> kept = new ArrayList<>();
            for (Bucket b : closed) {
                long end = Math.min(b.end(), planEnd);
                if (notCopied.stream().noneMatch(r -> r[0] < end && r[1] > b.start())) {
                    kept.add(b);
                }
            }
            return new Expected(kept, kept.size() == closed.size() ? null
                    : "the backfill has not copied all of its planned ranges in the compared window yet");
        }
        TimeType type = table.checksum().timeType();
        if (!marks.containsKey(type)) {
            marks.put(type, Optional.ofNullable(mark(type, zone)));
        }
        Long mark = marks.get(type).orElse(null);
        if (mark == null) {
            return new Expected(List.of(), "its database has no dual-write mark yet, and no backfill plan");
        }
        List<Bucket> kept = closed.stream().filter(b -> b.start() >= mark).toList();
        return new Expected(kept, kept.size() == closed.size() ? null
                : "only buckets from the dual-write mark on are compared until a backfill plan exists");
    }

    private Long planEnd(VerifiedTable table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(PLAN_END)) {
            bindTable(ps, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long end = rs.getLong(1);
                return rs.wasNull() ? null : end;
            }
        }
    }

    private List<long[]> notCopied(VerifiedTable table, long from, long until) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(NOT_COPIED)) {
            bindTable(ps, table);
            ps.setLong(4, until);
            ps.setLong(5, from);
            List<long[]> ranges = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ranges.add(new long[] {rs.getLong(1), rs.getLong(2)});
                }
            }
            return ranges;
        }
    }

    private static void bindTable(PreparedStatement ps, VerifiedTable table) throws SQLException {
        ps.setString(1, table.checksum().schema());
        ps.setString(2, table.checksum().table());
        ps.setString(3, table.checksum().timeColumn());
    }

    /**
     * The mark as a position of {@code type}, null without one: for {@code timestamp} and {@code date}, its wall-clock
     * time in {@code zone}; for an integer type, the lowest position.
     */
    private Long mark(TimeType type, String zone) throws SQLException {
        String position = type.isInteger() ? Long.toString(Long.MIN_VALUE)
                : type == TimeType.TIMESTAMPTZ ? TimeType.TIMESTAMPTZ.positionOf("marked_at")
                : TimeType.TIMESTAMP.positionOf("marked_at AT TIME ZONE " + Identifiers.quoteLiteral(zone));
        try (PreparedStatement ps = target.prepareStatement("SELECT " + position + " FROM (" + MARK + ") m")) {
            ps.setString(1, targetDatabase);
            ps.setString(2, sourceDatabase);
            ps.setString(3, targetDatabase);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }
}
