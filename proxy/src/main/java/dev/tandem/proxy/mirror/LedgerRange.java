package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.NonDeterminism;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.sql.TargetTableSpan;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.TimeRange;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time-column range of the rows a ledgered transaction wrote to one table, so {@code tandem-backfill repair} can
 * re-copy it from the source. The target computes it: in a transaction that is rolled back, the statements are
 * replayed into an empty scratch copy of the table ({@code LIKE} it, with its indexes for {@code ON CONFLICT} but
 * without its other constraints, so what the real table refused, a duplicate key or a foreign key say, goes in) and
 * the scratch table's min and max are read. The copy has the table's defaults, identity and generated columns (from
 * PostgreSQL 12): an INSERT that leaves out a serial key would else put NULL into a NOT NULL column, and a time
 * column computed from another would stay NULL. A serial's default takes its values from the table's own sequence,
 * which a rollback does not give back: the target's sequence skips them, as it does for any failed INSERT. The server parses every value, in every format, exactly as it would
 * have. A statement the scratch table refuses too (a column the target lacks, a value its type refuses: a schema
 * change that reached the source first) is replayed again into a scratch table of the source's columns and types,
 * where {@code source.user} lets the proxy read them, so {@code repair} re-copies those rows once the target has the
 * change too. A statement that one refuses as well, or a row without a time (NULL, which no range reaches), leaves
 * the range unknown.
 *
 * <p>The time column is {@code verifier.time-columns}' for the table, else the TimescaleDB hypertable's first
 * dimension, else the one a staged backfill plan on the target uses. Used on the applier thread; never throws.
 */
final class LedgerRange {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerRange.class);
    /**
     * In the mirror's own schema, not {@code pg_temp}: a temporary table needs {@code TEMPORARY} on the target
     * database, which hardened servers revoke from {@code PUBLIC}, and without it every rejected transaction was
     * ledgered without a range. The transaction is always rolled back, so the table never exists for another session;
     * one that ledgers at the same moment (another proxy instance) waits for that rollback.
     */
    private static final String SCRATCH = "tandem.ledger_scratch";
    /** What {@link #scratchBounds} gives when the target computed the rows' times itself. */
    private static final List<String> COMPUTED_BY_TARGET = List.of();

    private LedgerRange() {
    }

    /**
     * @param like the table whose copy the statements are replayed into and whose time column is read: {@code table}
     *             itself, or for a partition the target lacks, the partitioned table it belongs to on the source
     * @param sourceColumns the column definitions of {@code like} on the source ({@code "ts" timestamp with time
     *                      zone, ...}), asked only when the target's copy refuses the statements; empty when unknown
     */
    static Optional<TimeRange> of(TargetSession session, TableName table, TableName like,
                                  List<CapturedStatement> statements, String searchPath,
                                  Map<TableName, String> configuredTimeColumns,
                                  Supplier<Optional<String>> sourceColumns) {
        List<CapturedStatement> writes = new ArrayList<>();
        for (CapturedStatement s : statements) {
            if (s.table().equals(table) && !(s instanceof CapturedStatement.Unreplayable)
                    && TargetTableSpan.find(s.sql()) != null) {
                writes.add(s);
            }
        }
        if (writes.isEmpty()) {
            return Optional.empty();
        }
        try {
            Optional<TimeColumns.Column> column = session.timeColumn(like, configuredTimeColumns);
            if (column.isEmpty()) {
                return Optional.empty();
            }
            String relation = Identifiers.quoteQualified(like.schema(), like.name());
            List<String> bounds = scratchBounds(session, "(LIKE " + relation + " INCLUDING INDEXES INCLUDING DEFAULTS"
                    + " INCLUDING IDENTITY" + (session.serverMajorVersion() >= 12 ? " INCLUDING GENERATED" : "") + ")",
                    column.get(), writes, searchPath);
            if (bounds == null) {
                Optional<String> source = sourceColumns.get();
                if (source.isEmpty()) {
                    return Optional.empty();
                }
                bounds = scratchBounds(session, "(" + source.get() + ")", column.get(), writes, searchPath);
            }
            return bounds == null || bounds == COMPUTED_BY_TARGET ? Optional.empty() : range(column.get(), bounds);
        } catch (RuntimeException e) {
            LOG.debug("mirror: no time range for a ledger entry of {}", table, e);
            return Optional.empty();
        }
    }

    /**
     * The min and max positions of the rows' times, the count of those at infinity and of those without a time, read
     * from a scratch table of {@code shape}; null when the target refused a statement, {@link #COMPUTED_BY_TARGET}
     * when the target computed the times as it replayed the statements.
     */
    private static List<String> scratchBounds(TargetSession session, String shape, TimeColumns.Column column,
                                              List<CapturedStatement> writes, String searchPath) {
        // times the target computes as it replays (now(), date_trunc('minute', now()), a DEFAULT now(), a sequence, a
        // 'now' parameter or COPY field) are its own clock's, not the source's at the commit: a range of them does
        // not hold the source's rows (repair would re-copy it and close the entry, the rows still missing)
        if (mayComputeTimes(writes)) {
            LOG.debug("mirror: a ledger entry's statements compute values on the target: no range of {}", column.name());
            return COMPUTED_BY_TARGET;
        }
        List<String> bounds = replayIntoScratch(session, shape, column, writes, searchPath);
        if (bounds == null || !"t".equals(bounds.get(4))) {
            return bounds;
        }
        // a time at or after the replay's clock: the application's (in the future), or one the target filled in (a
        // default, a parameter or COPY field 'now'), which another replay changes
        List<String> again = replayIntoScratch(session, shape, column, writes, searchPath);
        if (again == null || !again.subList(0, 4).equals(bounds.subList(0, 4))) {
            LOG.debug("mirror: the {} times of a ledger entry's rows are computed by the target as it replays them:"
                    + " no range", column.name());
            return COMPUTED_BY_TARGET;
        }
        return bounds;
    }

    /**
     * Whether one of the statements calls a function, or names a keyword or special time, whose value differs from
     * server to server and may make a time ({@link NonDeterminism#makeNoTime}).
     */
    private static boolean mayComputeTimes(List<CapturedStatement> writes) {
        for (CapturedStatement s : writes) {
            if (!(s instanceof CapturedStatement.Copy)) {
                for (ClassifiedStatement c : StatementClassifier.classify(s.sql())) {
                    if (!NonDeterminism.makeNoTime(c.nonDeterministic())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * The rows' bounds ({@link #scratchBounds}), and whether one of their times is at or after the replay's clock (or
     * the time is an integer, which no clock tells); null when the target refused a statement.
     */
    private static List<String> replayIntoScratch(TargetSession session, String shape, TimeColumns.Column column,
                                                  List<CapturedStatement> writes, String searchPath) {
        TimeType timeType = TimeType.of(column.type());
        String quoted = Identifiers.quoteIdentifier(column.name());
        Pipeline<Object> p = new Pipeline<>(ByteBufAllocator.DEFAULT);
        try {
            p.execute(null, "BEGIN");
            p.execute(null, "CREATE UNLOGGED TABLE " + SCRATCH + " " + shape);
            p.execute(null, MirrorSchema.SET_SEARCH_PATH, searchPath);
            // session_replication_role is not set: it decides which triggers, rules and foreign keys act, and the
            // scratch copy has none (LIKE copies none of them); setting it takes a privilege the mirror's user may
            // lack, and a transaction ledgered for that very reason would then get no range
            TargetInputSettings inputs = session.inputSettings();
            for (CapturedStatement s : writes) {
                String[] settings = inputs.before(s.settings());
                if (settings != null) {
                    p.execute(null, MirrorSchema.SET_INPUT_SETTINGS, settings);
                }
                String sql = TargetTableSpan.find(s.sql()).replaceKeepingReferences(s.sql(), SCRATCH, s.table());
                if (s instanceof CapturedStatement.Extended e) {
                    p.execute(null, sql, e.parameterTypes(), e.parameterFormats(), e.parameters());
                } else if (s instanceof CapturedStatement.Copy c) {
                    p.copy(null, sql, c.data());
                } else {
                    p.execute(null, sql);
                }
            }
            p.execute(null, MirrorSchema.BOOKKEEPING_PATH);
            // a position of infinity is refused (it is no bigint): the finite rows' bounds, and the others counted;
            // a row without a time has no position any range reaches
            String finite = timeType.isInteger() ? "" : " FILTER (WHERE isfinite(" + quoted + "))";
            String infinite = timeType.isInteger() ? "0" : "count(*) FILTER (WHERE NOT isfinite(" + quoted + "))";
            String clock = switch (timeType) {
                case TIMESTAMPTZ -> "transaction_timestamp()";
                case TIMESTAMP -> "localtimestamp";
                case DATE -> "current_date";
                default -> null;
            };
            p.execute(null, "SELECT " + timeType.positionOf("min(" + quoted + ")" + finite) + "::text, "
                    + timeType.positionOf("max(" + quoted + ")" + finite) + "::text, " + infinite + ", count(*) FILTER"
                    + " (WHERE " + quoted + " IS NULL), " + (clock == null ? "true" : "coalesce(bool_or(" + quoted
                    + " >= " + clock + "), false)") + " FROM " + SCRATCH);
            p.execute(null, "ROLLBACK");
        } catch (RuntimeException e) {
            p.discard();
            throw e;
        }
        List<BackendMessage> reply = session.exchange(p);
        if (!Reply.of(reply).ok()) {
            session.recoverFromFailedExchange();
            return null;
        }
        return lastRow(reply);
    }

    private static Optional<TimeRange> range(TimeColumns.Column column, List<String> bounds) {
        TimeType timeType = TimeType.of(column.type());
        long infinite = Long.parseLong(bounds.get(2));
        if (Long.parseLong(bounds.get(3)) > 0) {
            return Optional.empty();
        }
        if (bounds.get(0) == null) {
            return infinite == 0 ? Optional.empty()
                    : Optional.of(new TimeRange(column.name(), timeType, false, 0, 0, infinite));
        }
        long min = Long.parseLong(bounds.get(0));
        long max = Long.parseLong(bounds.get(1));
        if (!TimeRange.representable(timeType, min) || !TimeRange.representable(timeType, max)) {
            return Optional.empty();
        }
        return Optional.of(new TimeRange(column.name(), timeType, true, min, max, infinite));
    }

    private static List<String> lastRow(List<BackendMessage> reply) {
        DataRow last = null;
        for (BackendMessage m : reply) {
            if (m instanceof DataRow row) {
                last = row;
            }
        }
        return last == null ? null : TargetSession.texts(last);
    }
}
