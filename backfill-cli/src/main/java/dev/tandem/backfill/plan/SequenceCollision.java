package dev.tandem.backfill.plan;

import dev.tandem.backfill.connect.Side;
import dev.tandem.protocol.sql.Identifiers;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the target's sequences would number mirrored rows with ids the source already gave to the rows the backfill
 * copies: a mirrored INSERT that leaves a sequence-filled column out gets its value from the target's sequence, which a
 * cloned schema or a data-only dump left at or behind the source's. Into a unique key the copy of the range before
 * {@code --until} then fails on every retry (docs/migration.md, step 2, "Sequences of mirrored tables").
 *
 * <p>Only warned of: whether a collision happens depends on what stage cannot see, whether the applications leave the
 * column out of their INSERTs and whether the proxy mirrors the table; by the time stage runs the proxy has usually
 * numbered the rows already, so a refusal would prevent nothing, and {@code copy} names the cause when the key refuses
 * a range.
 */
final class SequenceCollision {

    /**
     * The columns a sequence fills (identity, or a default calling {@code nextval}, which records a dependency on the
     * sequence), with the sequence's position. {@code pg_sequence_last_value} is read only with a privilege that allows
     * it, as {@code pg_sequences} does: without one the position is unknown, not an error.
     */
    private static final String FILLED_SQL = """
            SELECT a.attname, format('%I.%I', sn.nspname, s.relname),
                   a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype),
                   has_sequence_privilege(s.oid, 'SELECT,USAGE'),
                   CASE WHEN has_sequence_privilege(s.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(s.oid) END,
                   q.seqstart, q.seqincrement, q.seqmin, q.seqmax
            FROM pg_attribute a
            CROSS JOIN LATERAL (
                SELECT pg_get_serial_sequence(?, a.attname)::regclass::oid WHERE a.attidentity <> ''
                UNION
                SELECT d.refobjid FROM pg_attrdef ad
                JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                                AND d.refclassid = 'pg_class'::regclass
                WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) f(seq)
            JOIN pg_class s ON s.oid = f.seq AND s.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_sequence q ON q.seqrelid = s.oid
            WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""";

    /** An index max() or min() of the column can read from its end, instead of scanning the table. */
    private static final String ORDERED_INDEX_SQL = """
            SELECT EXISTS (SELECT FROM pg_index i
                           JOIN pg_class ic ON ic.oid = i.indexrelid
                           JOIN pg_am am ON am.oid = ic.relam
                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                           WHERE i.indrelid = ?::regclass AND a.attname = ? AND am.amname = 'btree'
                             AND i.indisvalid AND i.indpred IS NULL)""";

    /** A unique index on the column alone: a second row with its value is refused. */
    private static final String UNIQUE_SQL = """
            SELECT EXISTS (SELECT FROM pg_index i
                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                           WHERE i.indrelid = ?::regclass AND a.attname = ? AND i.indisunique
                             AND i.indnkeyatts = 1 AND i.indpred IS NULL)""";

    /** A sequence filling {@code column}; {@code lastValue} null when it was never called or could not be read. */
    private record Filled(String column, String sequence, boolean integerColumn, boolean readable, Long lastValue,
                          long start, long increment, long min, long max) {

        /** The value its next {@code nextval} returns. */
        long next() {
            return lastValue == null ? start : lastValue + increment;
        }

        boolean ascending() {
            return increment > 0;
        }
    }

    private SequenceCollision() {
    }

    /**
     * Warnings and notes for the sequence-filled columns of {@code layout}'s table on the target; none when clear.
     *
     * @param hypertable the table is a TimescaleDB hypertable: its compressed chunks have no index on the column, and
     *                   max() would decompress every one of them, so only the source's sequence is read
     */
    static List<String> check(Connection source, Connection target, TableLayout layout, boolean hypertable)
            throws SQLException {
        List<Filled> onTarget = Side.TARGET.call(() -> filled(target, layout));
        if (onTarget.isEmpty()) {
            return List.of();
        }
        Map<String, Filled> onSource = new LinkedHashMap<>();
        for (Filled f : Side.SOURCE.call(() -> filled(source, layout))) {
            onSource.put(f.column(), f);
        }
        List<String> lines = new ArrayList<>();
        for (Filled t : onTarget) {
            String where = "the target's sequence " + t.sequence() + " (" + layout.qualifiedName() + "." + t.column()
                    + ")";
            if (!t.readable()) {
                lines.add("note: could not check whether " + where + " hands out ids the source already used: this"
                        + " role may not read the sequence on the target (GRANT USAGE ON SEQUENCE " + t.sequence()
                        + "); docs/migration.md, step 2, \"Sequences of mirrored tables\", says what to check");
                continue;
            }
            Filled s = onSource.get(t.column());
            String sourceSequence = s == null ? null : s.sequence();
            Long sequenceUsed = s != null && s.ascending() == t.ascending() ? s.lastValue() : null;
            String aggregate = t.ascending() ? "max" : "min";
            boolean ordered = !hypertable && t.integerColumn()
                    && Side.SOURCE.call(() -> exists(source, ORDERED_INDEX_SQL, layout, t.column()));
            Long rowsUsed = ordered ? Side.SOURCE.call(() -> extreme(source, layout, t.column(), aggregate)) : null;
            if (!ordered && (s == null || !s.readable())) {
                String sequence = s == null ? t.column() + " is filled by no sequence" : "this role may not read"
                        + " its sequence " + s.sequence() + " (GRANT SELECT ON SEQUENCE " + s.sequence() + ")";
                String index = hypertable ? "a hypertable's compressed chunks have no index that lets " + aggregate
                        + "(" + t.column() + ") be read" : "no index lets " + aggregate + "(" + t.column() + ") be read";
                lines.add("note: could not check whether " + where + " hands out ids the source already used: on the"
                        + " source, " + sequence + ", and " + index + " without scanning the table; docs/migration.md,"
                        + " step 2, \"Sequences of mirrored tables\", says what to check");
                continue;
            }
            Long used = furthest(t.ascending(), rowsUsed, sequenceUsed);
            if (used == null || (t.ascending() ? t.next() > used : t.next() < used)) {
                continue;
            }
            boolean unique = Side.TARGET.call(() -> exists(target, UNIQUE_SQL, layout, t.column()));
            String sourceSide = (rowsUsed == null ? "" : aggregate + "(" + t.column() + ") " + rowsUsed)
                    + (rowsUsed != null && sequenceUsed != null ? " and " : "")
                    + (sequenceUsed == null ? "" : "its sequence " + sourceSequence + " at " + sequenceUsed);
            BigInteger limit = BigInteger.valueOf(t.ascending() ? t.max() : t.min());
            long clear = BigInteger.valueOf(used).add(limit).divide(BigInteger.TWO).longValueExact();
            lines.add("warning: " + where + " hands out " + t.next() + " next, and the source already used ids"
                    + (t.ascending() ? " up to " : " down to ") + used + " (" + sourceSide + " on the source): a row"
                    + " the proxy mirrors without " + t.column() + " gets an id the source gave to a row the backfill"
                    + " copies later, so " + (unique
                    ? "the copy of that row's range fails on the key (duplicate key, SQLSTATE 23505) on every retry"
                    : "the target then holds two rows with that id, and the mirrored rows' ids differ from the"
                    + " source's")
                    + ". Move the sequence out of the source's way on the target (half-way to its "
                    + (t.ascending() ? "maximum" : "minimum") + ", as docs/migration.md, step 2, \"Sequences of"
                    + " mirrored tables\" does):\n  SELECT setval(" + Identifiers.quoteLiteral(t.sequence()) + ", "
                    + clear + ");\nIf the proxy already mirrored rows of " + layout.qualifiedName() + ", move their "
                    + t.column() + " values out of the way too (same step) before copy");
        }
        return lines;
    }

    /** The value furthest along the sequence's direction, of those known. */
    private static Long furthest(boolean ascending, Long a, Long b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return ascending ? Math.max(a, b) : Math.min(a, b);
    }

    private static List<Filled> filled(Connection connection, TableLayout layout) throws SQLException {
        List<Filled> filled = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(FILLED_SQL)) {
            ps.setString(1, layout.quotedTable());
            ps.setString(2, layout.quotedTable());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    filled.add(new Filled(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4),
                            rs.getObject(5, Long.class), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9)));
                }
            }
        }
        return filled;
    }

    private static boolean exists(Connection connection, String sql, TableLayout layout, String column)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, layout.quotedTable());
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** max() or min() of an integer column read from an index; null when the table is empty. */
    private static Long extreme(Connection connection, TableLayout layout, String column, String aggregate)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + aggregate + "("
                + Identifiers.quoteIdentifier(column) + ")::int8 FROM " + layout.quotedTable());
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getObject(1, Long.class);
        }
    }
}
