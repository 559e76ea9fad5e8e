package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.TimeRange;
import dev.tandem.proxy.mirror.MirrorApplier.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@code tandem.divergence} rows of a transaction the mirror ledgers, one table at a time: with the time range of
 * its rows in that table when it can be told (read by the capture, or found by the target in a scratch copy, see
 * {@link LedgerRange}), so that {@code tandem-backfill repair} knows what to re-copy.
 */
final class LedgerRows {

    private final MirrorSettings settings;
    private final SourceCatalog sourceCatalog;

    LedgerRows(MirrorSettings settings, SourceCatalog sourceCatalog) {
        this.settings = settings;
        this.sourceCatalog = sourceCatalog;
    }

    /** One {@code tandem.divergence} row of {@code table}: the parameters of {@link MirrorSchema#LEDGER}. */
    record Row(TableName table, String[] parameters) {
    }

    /**
     * The ledger rows of one table of a ledgered member: one, and a second for its rows at infinity when it has
     * finite ones too.
     *
     * @param withRange ask the target for the time range of the member's rows in the table (its statements can be
     *                  replayed into a scratch table: a copy of the table, or of the mirrored table a partition the
     *                  target lacks belongs to)
     */
    List<Row> of(TargetSession session, Member member, TableName table,
                    CapturedStatement statement, String sqlState, String message, boolean withRange) {
        Optional<TimeRange> range = range(session, member, table, statement, withRange);
        String sql = statement == null ? null : settings.redactSql() ? MirrorApplier.REDACTED : statement.sql();
        String column = range.map(TimeRange::column).orElse(null);
        if (timesRead(member, table)) {
            // over the capture limit: how to close the entry depends on whether the capture could read its rows' times
            message += range.isPresent() ? "; tandem-backfill repair re-copies the time range of its rows"
                    : "; the times of its rows are unknown and may lie outside the window of its commit time: re-copy"
                            + " a window that holds them, then close this entry with tandem-backfill settle";
        }
        List<Row> rows = new ArrayList<>(2);
        if (range.isEmpty() || range.get().bounded()) {
            rows.add(row(session, member, table, sqlState, message, sql, column,
                    range.map(TimeRange::start).orElse(null), range.map(TimeRange::end).orElse(null)));
        }
        if (range.isPresent() && range.get().infinite() > 0) {
            // an entry of their own, without a range: repair closes the finite rows' entry once it re-copied them,
            // and these stay open until copied by hand
            rows.add(row(session, member, table, sqlState, message + "; " + range.get().atInfinity("its"), sql,
                    column, null, null));
        }
        return rows;
    }

    /**
     * The range of the member's rows in {@code table}. Statements whose data the capture did not keep (over its
     * limit) bring the range the capture read of their rows; the others' rows are found by the target when
     * {@code withRange} ({@link LedgerRange}). Every row must be in it, or there is none.
     */
    private Optional<TimeRange> range(TargetSession session, Member member, TableName table,
                                      CapturedStatement statement, boolean withRange) {
        TableName partitionOf = member.missingPartitions().get(table);
        List<CapturedStatement> statements = (partitionOf != null ? member.original() : member.tx()).statements();
        TimeRange read = null;
        boolean replayable = false;
        boolean notKept = false;
        if (partitionOf == null) {
            for (CapturedStatement s : member.tx().statements()) {
                if (!s.table().equals(table)) {
                    continue;
                }
                if (!(s instanceof CapturedStatement.Unreplayable u)) {
                    replayable = true;
                } else if (u.times() == null) {
                    return Optional.empty(); // its rows' times not read, or not all known
                } else {
                    notKept = true;
                    read = read == null ? u.times() : read.merge(u.times());
                    if (read == null) {
                        return Optional.empty();
                    }
                }
            }
        }
        TableName like = partitionOf != null ? partitionOf : table;
        Supplier<Optional<String>> sourceColumns = () -> sourceCatalog.available()
                ? sourceCatalog.columnDefinitions(member.tx().database(), like) : Optional.empty();
        if (!notKept) {
            return !withRange ? Optional.empty() : LedgerRange.of(session, table, like, statements,
                    MirrorApplier.searchPath(session, statement.searchPath() != null ? statement.searchPath()
                            : member.tx().searchPath(), member.tx().user()), settings.timeColumns(), sourceColumns);
        }
        if (!replayable) {
            return Optional.of(read);
        }
        Optional<TimeRange> replayed = LedgerRange.of(session, table, table, statements, MirrorApplier.searchPath(session,
                statement.searchPath() != null ? statement.searchPath() : member.tx().searchPath(),
                member.tx().user()), settings.timeColumns(), sourceColumns);
        return replayed.map(read::merge);
    }

    /** Whether the capture read the rows' times of a statement of the member's into {@code table}. */
    private static boolean timesRead(Member member, TableName table) {
        for (CapturedStatement s : member.tx().statements()) {
            if (s.table().equals(table) && s instanceof CapturedStatement.Unreplayable u && u.timesRead()) {
                return true;
            }
        }
        return false;
    }

    private Row row(TargetSession session, Member member, TableName table, String sqlState, String message,
                                String sql, String timeColumn, String start, String end) {
        return new Row(table, new String[] {settings.instanceId(), session.database(),
                Long.toString(member.tx().sessionId()), table.schema(), table.name(), sqlState, message, sql,
                timeColumn, start, end, Long.toString(member.tx().committedAt())});
    }
}
