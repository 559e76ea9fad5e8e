package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the target's answers to an applied group into the mirror's row metrics: per replayed statement the source's
 * and the target's row counts (and a mismatch when they differ), per member transaction and table the rows applied,
 * and the late rows counted by {@link LateRows}.
 */
final class AppliedCounts {

    private final MirrorMetrics metrics;

    AppliedCounts(MirrorMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * @param members how many member transactions the group had
     * @param slots   what each Execute of the exchange was: a {@link Replayed}, a {@link CoalescedInsert}, a
     *                {@link LateRows.Counted} one of those, or the mirror's own bookkeeping (not counted)
     * @param reply   the target's answers, one row count per slot
     * @param countedAs each written table's name in the metrics (the root of a partition's tree)
     */
    void count(int members, List<Object> slots, Reply reply, Map<TableName, TableName> countedAs) {
        // added up per table and counted once per group: a counter's look-up per statement took 40 % of the
        // applier's CPU in a transaction of many INSERTs
        Map<TableName, Tally> tallies = new LinkedHashMap<>();
        List<Map<TableName, Long>> rowsByMember = new ArrayList<>(members);
        for (int m = 0; m < members; m++) {
            rowsByMember.add(new LinkedHashMap<>());
        }
        for (int k = 0; k < slots.size(); k++) {
            Object slot = slots.get(k);
            long target = reply.rowCounts().get(k);
            if (slot instanceof LateRows.Counted counted) {
                // the INSERT's count comes in the wrapping SELECT's row, with the late rows beside it
                target = LateRows.count(reply.firstRows().get(k), 0);
                long late = LateRows.count(reply.firstRows().get(k), 1);
                slot = counted.unit();
                if (late > 0) {
                    metrics.lateRows(countedAs.get(slot instanceof CoalescedInsert c
                            ? c.rows().get(0).statement().table() : ((Replayed) slot).statement().table()), late);
                }
            }
            if (slot instanceof Replayed r) {
                TableName table = countedAs.get(r.statement().table());
                tallies.computeIfAbsent(table, t -> new Tally()).statement(r.statement().sourceRows(), target);
                rowsByMember.get(r.member()).merge(table, Math.max(0, target), Long::sum);
            } else if (slot instanceof CoalescedInsert c) {
                TableName table = countedAs.get(c.rows().get(0).statement().table());
                countCoalesced(c, target, rowsByMember, table, tallies.computeIfAbsent(table, t -> new Tally()));
            }
        }
        for (Map<TableName, Long> rows : rowsByMember) {
            rows.forEach((table, n) -> tallies.computeIfAbsent(table, t -> new Tally()).member(n));
        }
        tallies.forEach((table, tally) -> {
            metrics.statements(table, tally.sourceRows, tally.targetRows, tally.mismatches);
            if (tally.transactions > 0) {
                metrics.transactions(table, MirrorMetrics.APPLIED, tally.transactions, tally.appliedRows);
            }
        });
    }

    /** One table's counts in a group. */
    private static final class Tally {
        /** -1 while no statement had a count. */
        long sourceRows = -1;
        long targetRows = -1;
        long mismatches;
        long transactions;
        long appliedRows;

        /** One statement, or one coalesced INSERT (its mismatch counts once): -1 where its count is unknown. */
        void statement(long source, long target) {
            if (source >= 0) {
                sourceRows = Math.max(sourceRows, 0) + source;
            }
            if (target >= 0) {
                targetRows = Math.max(targetRows, 0) + target;
            }
            if (source >= 0 && target >= 0 && source != target) {
                mismatches++;
            }
        }

        void member(long rows) {
            transactions++;
            appliedRows += rows;
        }
    }

    /**
     * The target reports one count for a coalesced INSERT. When it equals the sum of the source's counts, each member
     * gets its source rows; otherwise the difference is one mismatch and the target's rows go to the members in order.
     */
    private static void countCoalesced(CoalescedInsert c, long target, List<Map<TableName, Long>> rowsByMember,
                                TableName table, Tally tally) {
        long source = 0;
        for (Replayed r : c.rows()) {
            source = source < 0 || r.statement().sourceRows() < 0 ? -1 : source + r.statement().sourceRows();
        }
        // one call for all rows: the counters add up the same, and a mismatch counts once for the statement
        tally.statement(source, target);
        long left = source == target ? Long.MAX_VALUE : Math.max(0, target);
        Map<TableName, Long> rows = null;
        int member = -1;
        for (Replayed r : c.rows()) {
            long n = Math.min(left, Math.max(source == target ? 0 : 1, r.statement().sourceRows()));
            left -= n;
            if (r.member() != member) {
                member = r.member();
                rows = rowsByMember.get(member);
            }
            rows.merge(table, n, Long::sum);
        }
    }
}
