package dev.tandem.protocol.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The state Tandem keeps on the TARGET database in schema {@code tandem}, shared by the proxy (which writes it) and the
 * backfill CLI (which reads it). Every statement is idempotent ({@code IF NOT EXISTS}), so either tool may run
 * {@link #ddl()} at start-up without coordinating with the other.
 */
public final class TandemSchema {

    /** The schema holding all of Tandem's state. */
    public static final String SCHEMA = "tandem";

    public static final String CREATE_SCHEMA = "CREATE SCHEMA IF NOT EXISTS tandem";

    /**
     * Taken first in every transaction that runs Tandem's DDL: {@code IF NOT EXISTS} is not safe against itself, and two
     * tools starting on a fresh database at once (a proxy's mirror and verifier, a backfill) would otherwise fail with a
     * duplicate key in the catalog. Held until the transaction ends.
     */
    public static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('tandem.schema'))";

    /**
     * When the proxy first mirrored a write for a database, and the operator's mark "all writers are on the proxy now"
     * ({@code marked_at}); the backfill's default {@code --until}.
     */
    public static final String CREATE_DUAL_WRITE = """
            CREATE TABLE IF NOT EXISTS tandem.dual_write (
                database text PRIMARY KEY,
                first_mirrored_at timestamptz,
                marked_at timestamptz,
                marked_by text
            )""";

    /**
     * The divergence ledger: statements the target rejected (or writes the proxy shed). {@code range_start} and
     * {@code range_end} are the affected {@code [start, end)} range of {@code time_column} in the column's own text
     * form, when known; the backfill's {@code repair} re-copies such ranges and sets {@code repaired_at}. An entry
     * without a range is closed by the backfill's {@code settle} once the table was re-copied and verified after it;
     * {@code settled_by} then says on what evidence (null for entries {@code repair} re-copied: the task whose
     * {@code divergence_ids}, or {@code divergence_id} in a plan of an earlier release, names them did). An entry with a {@code time_column} but no range stands for rows at {@code infinity}
     * or {@code -infinity}, which no range reaches: {@code settle} refuses it, it is closed by hand.
     * {@code recorded_at} is the source commit time of the transaction as the proxy saw it (for an
     * {@code outcome_unknown} entry the end of its session, for one the verifier wrote when it compared); an entry
     * that stands for several transactions (the proxy summarises gaps past its memory cap) also has
     * {@code recorded_until}, the last one's time, and is settled only by a re-copy of that whole span.
     * {@code recorded_at} is on the proxy host's clock; {@code ledgered_at}, when the target took the entry, on the
     * target's, which stamps the copies too: {@code settle} takes only copies started after both.
     */
    public static final String CREATE_DIVERGENCE = """
            CREATE TABLE IF NOT EXISTS tandem.divergence (
                id bigserial PRIMARY KEY,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                instance_id text,
                database text,
                session text,
                table_schema text,
                table_name text,
                sqlstate text,
                message text,
                statement text,
                time_column text,
                range_start text,
                range_end text,
                repaired_at timestamptz,
                settled_by text,
                recorded_until timestamptz,
                ledgered_at timestamptz DEFAULT now()
            )""";

    /** {@code settled_by} came after the first release; ledgers made before it get the column here. */
    public static final String ADD_SETTLED_BY = addColumnIfMissing("divergence", "settled_by", "text");

    /** {@code recorded_until} came after the first release; ledgers made before it get the column here. */
    public static final String ADD_RECORDED_UNTIL = addColumnIfMissing("divergence", "recorded_until", "timestamptz");

    /**
     * {@code ledgered_at} came after {@code recorded_until}; ledgers made before it get the column here, NULL in their
     * entries (when the target took those is not known), and the target's clock for every entry written after.
     */
    public static final String ADD_LEDGERED_AT = "DO $tandem$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE"
            + " attrelid = 'tandem.divergence'::regclass AND attname = 'ledgered_at' AND NOT attisdropped) THEN"
            + " ALTER TABLE tandem.divergence ADD COLUMN IF NOT EXISTS ledgered_at timestamptz;"
            + " ALTER TABLE tandem.divergence ALTER COLUMN ledgered_at SET DEFAULT now(); END IF; END $tandem$";

    /**
     * Per proxy instance, how far its mirror applied this database (written by the proxy in the same transaction as
     * the replayed rows; the position columns are the proxy's). {@code caught_up_to}, on the target's clock: every
     * transaction the proxy saw the source commit before it has been applied here. The backfill's {@code copy} waits
     * for it to pass the start of each range it copies, so a late row still in a proxy's spool cannot be applied
     * after the copy and duplicate the copied one.
     */
    public static final String CREATE_MIRROR_PROGRESS = """
            CREATE TABLE IF NOT EXISTS tandem.mirror_progress (
                instance_id text PRIMARY KEY,
                sequence bigint NOT NULL,
                next_segment bigint NOT NULL,
                next_offset bigint NOT NULL,
                applied_at timestamptz NOT NULL,
                caught_up_to timestamptz
            )""";

    /** {@code caught_up_to} came after the first release; tables made before it get the column here. */
    public static final String ADD_CAUGHT_UP_TO = addColumnIfMissing("mirror_progress", "caught_up_to", "timestamptz");

    /**
     * The spool epoch of the last applied record, beside its position: positions alone repeat after a spool lost its
     * tail or was replaced (the proxy's {@code SpoolEpochs}). Null in rows written before it existed.
     */
    public static final String ADD_SPOOL_EPOCH = addColumnIfMissing("mirror_progress", "spool_epoch", "bigint");

    /**
     * When the instance stopped cleanly with everything it spooled applied here; null while it runs, and after a stop
     * that left transactions in its spool (or a kill). A stopped instance has nothing in flight, so the backfill does
     * not wait for its {@code caught_up_to}; the row itself stays, as its position is what the next start on the same
     * spool reads (without it, that start would apply the spool's records again). The proxy clears it when it
     * connects to the database again.
     */
    public static final String ADD_STOPPED_AT = addColumnIfMissing("mirror_progress", "stopped_at", "timestamptz");

    private TandemSchema() {
    }

    /**
     * All shared DDL, statements separated by {@code ;}, runnable as one simple-protocol query (one transaction, which
     * {@link #LOCK} serialises against the other tools').
     */
    public static String ddl() {
        return String.join(";\n", LOCK, CREATE_SCHEMA, CREATE_DUAL_WRITE, CREATE_DIVERGENCE, ADD_SETTLED_BY,
                ADD_RECORDED_UNTIL, ADD_LEDGERED_AT, CREATE_MIRROR_PROGRESS, ADD_CAUGHT_UP_TO, ADD_SPOOL_EPOCH, ADD_STOPPED_AT);
    }

    /**
     * Adds a column to a table of schema {@code tandem} unless it is there. {@code ALTER TABLE ... ADD COLUMN IF NOT
     * EXISTS} alone would take the table's ACCESS EXCLUSIVE lock even then: every start of a tool would wait for any
     * open transaction that read the table (a copy task) and, queued, stop every proxy's progress write behind it.
     * Names are constants of this class, never input.
     */
    public static String addColumnIfMissing(String table, String column, String type) {
        return "DO $tandem$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'tandem." + table
                + "'::regclass AND attname = '" + column + "' AND NOT attisdropped) THEN ALTER TABLE tandem." + table
                + " ADD COLUMN IF NOT EXISTS " + column + " " + type + "; END IF; END $tandem$";
    }

    /** Whether {@code tandem.<table>} exists: a tool or proxy of this kind has reached the database. */
    public static boolean hasTable(Connection connection, String table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, SCHEMA + "." + table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Whether {@code tandem.<table>} has {@code column}: false too when the table is not there. For a reader that does
     * not change the schema, on state an older release made before the column existed ({@link #addColumnIfMissing}).
     */
    public static boolean hasColumn(Connection connection, String table, String column) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE"
                + " attrelid = to_regclass(?) AND attname = ? AND NOT attisdropped)")) {
            ps.setString(1, SCHEMA + "." + table);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
