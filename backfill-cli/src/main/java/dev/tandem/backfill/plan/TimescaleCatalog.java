package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillException;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.ChunkCatalog;
import dev.tandem.protocol.state.Hypertables;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything Tandem asks TimescaleDB, in one place, written against its documented information views
 * ({@code timescaledb_information.dimensions} for the hypertables ({@link Hypertables}), {@code .chunks},
 * {@code .jobs}, {@code .continuous_aggregates}) and {@code pg_extension}; only what no view shows (a dimension's
 * partitioning function, a tiered-storage chunk) is read from {@code _timescaledb_catalog}, whose tables every role
 * may read, in the shape the server's version gave them ({@link ChunkCatalog}). Rows are always read through the
 * hypertable with a range predicate, never from a chunk and never with ONLY: that is the only read that returns the
 * rows of compressed chunks.
 */
public final class TimescaleCatalog {

    /**
     * A hypertable and its primary (time) dimension.
     *
     * @param partitioningFunction the function (qualified) that maps the time column to the values chunk ranges are
     *                             in, set with {@code time_partitioning_func}; null when the ranges are the column's
     * @param tiered               whether some of its rows are in tiered storage (an OSM chunk, Timescale Cloud): the
     *                             chunks view leaves that chunk out
     */
    public record Hypertable(String schema, String name, String timeColumn, String partitioningFunction,
                             boolean tiered) {
        public String qualifiedName() {
            return schema + "." + name;
        }
    }

    /**
     * A background job of the target.
     *
     * @param alterable whether the connected role may {@code alter_job} it: TimescaleDB requires the privileges of its
     *                  owner (a member of that role, or a superuser)
     */
    public record Job(int id, String procName, String hypertable, String owner, boolean alterable) {
    }

    /**
     * The continuous aggregates of the staged hypertables ({@code staged(sch, tab)}), nested ones included: a
     * continuous aggregate on another one names that one's materialization hypertable as its hypertable.
     */
    private static final String CAGGS = """
            caggs AS (
              SELECT c.view_schema::text AS view_sch, c.view_name::text AS view_tab,
                     c.materialization_hypertable_schema::text AS mat_sch,
                     c.materialization_hypertable_name::text AS mat_tab, 1 AS depth,
                     c.hypertable_schema::text AS raw_sch, c.hypertable_name::text AS raw_tab
              FROM timescaledb_information.continuous_aggregates c
              JOIN staged s ON s.sch = c.hypertable_schema AND s.tab = c.hypertable_name
              UNION ALL
              SELECT c.view_schema::text, c.view_name::text, c.materialization_hypertable_schema::text,
                     c.materialization_hypertable_name::text, p.depth + 1, p.mat_sch, p.mat_tab
              FROM timescaledb_information.continuous_aggregates c
              JOIN caggs p ON p.mat_sch = c.hypertable_schema AND p.mat_tab = c.hypertable_name)""";

    /**
     * The role of a row {@code j} of {@code timescaledb_information.jobs}, null where it no longer exists. The view shows
     * the catalog's {@code owner} as it is: a {@code name} up to 2.10.1, a {@code regrole} since 2.10.2
     * (timescale/timescaledb#5558). A name is no identifier: cast to regrole it is parsed as one, so a role whose name
     * needs quoting ({@code "Policy Owner"}, {@code Ops}) failed with "invalid name syntax" or "role ... does not
     * exist", as a role dropped meanwhile (which TimescaleDB allowed before 2.10.2) did.
     */
    private static final String JOB_OWNER = "to_regrole(CASE WHEN pg_typeof(j.owner) = 'regrole'::regtype"
            + " THEN j.owner::text ELSE quote_ident(j.owner::text) END)";

    /**
     * A row of {@code timescaledb_information.chunks}: its primary-dimension bounds as positions (see {@link TimeType});
     * an open end (shown as {@code -infinity}/{@code infinity}, or the bigint limits) as the bigint limits.
     */
    private static final String CHUNK_START = """
            coalesce(range_start_integer, CASE WHEN isfinite(range_start)
                     THEN (extract(epoch from range_start) * 1000000)::bigint END, '-9223372036854775808'::bigint)""";
    private static final String CHUNK_END = """
            coalesce(range_end_integer, CASE WHEN isfinite(range_end)
                     THEN (extract(epoch from range_end) * 1000000)::bigint END, '9223372036854775807'::bigint)""";

    /**
     * Since TimescaleDB 2.14 a DELETE, UPDATE or INSERT that decompresses more than this many rows of compressed chunks
     * fails (SQLSTATE 53400, "tuple decompression limit exceeded by operation"); 0 lifts the limit.
     */
    private static final String DECOMPRESSION_LIMIT = "timescaledb.max_tuples_decompressed_per_dml_transaction";

    /**
     * Since TimescaleDB 2.11, with this set to off a DELETE on a compressed chunk fails ("UPDATE/DELETE is disabled on
     * compressed chunks") and so do rows written into one of a table with a unique index ("inserting into compressed
     * chunk with unique constraints disabled"), both SQLSTATE 0A000; any role may set it (PGC_USERSET).
     */
    private static final String DML_DECOMPRESSION = "timescaledb.enable_dml_decompression";

    private static final Pattern MAJOR_MINOR = Pattern.compile("(\\d+)\\.(\\d+)");

    private TimescaleCatalog() {
    }

    /** The installed TimescaleDB version, if the extension is installed in this database. */
    public static Optional<String> version(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    /**
     * The edition of the installed TimescaleDB ({@code timescaledb.license}: {@code timescale} for the Community
     * edition, {@code apache} for the Apache-2 one), empty without TimescaleDB.
     */
    public static Optional<String> license(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('timescaledb.license', true)")) {
            rs.next();
            return Optional.ofNullable(rs.getString(1));
        }
    }

    /**
     * A warning where the target's TimescaleDB is the Apache-2 edition and the source's is not: that edition has no
     * compression, continuous aggregates or policies (each is refused "not supported under the current apache
     * license"), so the chunks the schema clone marked compressed, refresh-caggs and --pause-jobs fail there.
     */
    static Optional<String> editionWarning(Optional<String> sourceLicense, Optional<String> targetLicense) {
        if (targetLicense.filter("apache"::equals).isEmpty() || sourceLicense.filter("apache"::equals).isPresent()) {
            return Optional.empty();
        }
        return Optional.of("warning: the target's TimescaleDB is the Apache-2 edition (timescaledb.license = apache), the"
                + " source's " + sourceLicense.map(l -> "is " + l).orElse("edition is unknown") + ": the Apache-2 edition"
                + " has no compression, continuous aggregates or policies, so writes into chunks the source had"
                + " compressed, refresh-caggs and copy --pause-jobs fail on the target. Install the Community edition"
                + " there (timescaledb.license = timescale) before copying");
    }

    /**
     * The user's hypertables, calendar-chunked ones included ({@link Hypertables}): not the materialization
     * hypertables of continuous aggregates (their rows are rebuilt on the target by {@code refresh-caggs}, never
     * copied), nor the internal compressed hypertables.
     */
    public static List<Hypertable> hypertables(Connection source) throws SQLException {
        ChunkCatalog chunks = ChunkCatalog.read(source).orElseThrow(() -> new BackfillException(
                "the source has TimescaleDB but not its catalog of chunks, _timescaledb_catalog.chunk"));
        List<Hypertable> result = new ArrayList<>();
        try (Statement s = source.createStatement(); ResultSet rs = s.executeQuery(hypertablesQuery(chunks))) {
            while (rs.next()) {
                result.add(new Hypertable(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBoolean(5)));
            }
        }
        return result;
    }

    /**
     * The query of {@link #hypertables} for the shape of the server's catalog of chunks: the dimension and hypertable
     * columns it reads are the same in every 2.x, the chunk's are not. The hypertables are those of
     * {@link Hypertables#PRIMARY_DIMENSIONS}, calendar-chunked ones included: their interval is never read, the plan's
     * ranges being the chunks' own ({@link #chunkRanges}).
     */
    static String hypertablesQuery(ChunkCatalog chunks) {
        return "WITH chunk AS " + chunks.chunks() + """

                SELECT d.hypertable_schema, d.hypertable_name, d.column_name,
                       (SELECT format('%I.%I', dim.partitioning_func_schema, dim.partitioning_func)
                        FROM _timescaledb_catalog.dimension dim
                        WHERE dim.hypertable_id = ht.id AND dim.column_name = d.column_name
                          AND dim.partitioning_func IS NOT NULL),
                       EXISTS (SELECT 1 FROM chunk c WHERE c.hypertable_id = ht.id AND c.osm_chunk)
                FROM """ + Hypertables.PRIMARY_DIMENSIONS + """
                 d
                JOIN _timescaledb_catalog.hypertable ht
                  ON ht.schema_name = d.hypertable_schema AND ht.table_name = d.hypertable_name
                ORDER BY 1, 2""";
    }

    /**
     * The distinct primary-dimension ranges of a hypertable's chunks as positions (see {@link TimeType}), ordered and
     * merged where they overlap: chunks of several space partitions with the same range become one range, and ranges
     * left overlapping by a changed chunk interval become one, so no two tasks ever cover the same rows.
     * <p>
     * The first and last chunk of a dimension are open-ended when their rows lie within one chunk interval of the
     * type's limits (or are infinite): the catalog shows {@code -infinity}/{@code infinity} for time types and the
     * bigint limits for integer types. Such a bound is {@link Long#MIN_VALUE}/{@link Long#MAX_VALUE} here, for the
     * caller to clip, never a reason to leave the chunk's rows out.
     */
    public static List<long[]> chunkRanges(Connection source, Hypertable hypertable) throws SQLException {
        List<long[]> ranges = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT DISTINCT " + CHUNK_START + ", " + CHUNK_END
                + " FROM timescaledb_information.chunks WHERE hypertable_schema = ? AND hypertable_name = ?"
                + " ORDER BY 1, 2")) {
            ps.setString(1, hypertable.schema());
            ps.setString(2, hypertable.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long start = rs.getLong(1);
                    long end = rs.getLong(2);
                    long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
                    if (last != null && start < last[1]) {
                        last[1] = Math.max(last[1], end);
                    } else {
                        ranges.add(new long[] {start, end});
                    }
                }
            }
        }
        return ranges;
    }

    /**
     * Readies the task's target transaction for the DELETE and COPY that rewrite {@code [start, end)} (positions) of
     * {@code schema.table} by its {@code timeColumn}, where the target's chunks of that range may be compressed: those
     * that a compressed source chunk became in a schema-only dump (empty, but marked compressed), and those the
     * target's compression policy compressed before a re-copy ({@code repair}). A DELETE decompresses what it touches:
     * the limit TimescaleDB puts on that (2.14+) is lifted, and DML decompression turned on where the target turned it
     * off (2.11+), for this transaction, since rewriting whole chunk ranges is this transaction's purpose. TimescaleDB
     * before 2.11 refuses any DELETE on a compressed chunk ("cannot
     * update/delete rows from chunk ... as it is compressed"), so there the compressed chunks of the range are
     * decompressed first (which needs the hypertable's owner); the target's compression policy compresses them again.
     * Nothing happens on a target without TimescaleDB or for a table that is no hypertable.
     */
    public static void prepareRangeRewrite(Connection target, String schema, String table, String timeColumn,
                                           long start, long end) throws SQLException {
        allowDecompression(target, true);
        Optional<String> version = version(target);
        if (version.isEmpty() || deletesFromCompressedChunks(version.get())) {
            return;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT " + functionSchema(target) + ".decompress_chunk("
                + "format('%I.%I', chunk_schema, chunk_name)::regclass, true) FROM timescaledb_information.chunks"
                + " WHERE hypertable_schema = ? AND hypertable_name = ? AND primary_dimension = ? AND is_compressed"
                + " AND " + CHUNK_END + " > ? AND " + CHUNK_START + " < ? ORDER BY chunk_schema, chunk_name")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, timeColumn);
            ps.setLong(4, start);
            ps.setLong(5, end);
            ps.executeQuery().close();
        }
    }

    /**
     * Lifts {@link #DECOMPRESSION_LIMIT} and turns {@link #DML_DECOMPRESSION} on for the connection's transaction
     * ({@code transactionOnly}) or session, each where the target's TimescaleDB has that setting: a name TimescaleDB
     * does not define is refused under its reserved prefix.
     */
    private static void allowDecompression(Connection target, boolean transactionOnly) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT set_config(name, value, " + transactionOnly
                + ") FROM (VALUES (?, '0'), (?, 'on')) AS settings(name, value)"
                + " WHERE current_setting(name, true) IS NOT NULL")) {
            ps.setString(1, DECOMPRESSION_LIMIT);
            ps.setString(2, DML_DECOMPRESSION);
            ps.executeQuery().close();
        }
    }

    /**
     * Whether TimescaleDB {@code version} ({@code extversion}, e.g. {@code 2.10.3} or {@code 2.14.0-dev}) deletes rows
     * of compressed chunks: DML on compressed chunks came with 2.11.0.
     */
    static boolean deletesFromCompressedChunks(String version) {
        Matcher m = MAJOR_MINOR.matcher(version);
        if (!m.lookingAt()) {
            return true; // an unknown form is a version later than this code knows
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 2 || major == 2 && minor >= 11;
    }

    /**
     * The scheduled jobs of the given hypertables and of their continuous aggregates, nested ones included: every
     * policy attached to one, whatever its procedure. Each works on the chunks the copy writes: compression (a
     * columnstore policy, 2.18+, is a {@code policy_compression} job too) and recompression rewrite them, retention
     * drops them, a refresh aggregates them half-copied, reorder ({@code policy_reorder}) rewrites each under a lock
     * that blocks writes and does so only once, and Tiger Cloud's tiering policy freezes them read-only before moving
     * them to object storage; a list of procedures would miss the next policy. A user's own job ({@code add_job}) has
     * no hypertable and is left alone. The jobs view names a continuous aggregate's job by its materialization
     * hypertable before TimescaleDB 2.20 and by the continuous aggregate itself since, so both names are matched.
     */
    public static List<Job> pausableJobs(Connection target, List<String> schemas, List<String> names) throws SQLException {
        List<Job> jobs = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement("""
                WITH RECURSIVE staged AS (SELECT * FROM unnest(?::text[], ?::text[]) AS s(sch, tab)),
                """ + CAGGS + """
                ,
                     related AS (
                       SELECT sch, tab, sch || '.' || tab AS owner FROM staged
                       UNION ALL
                       SELECT mat_sch, mat_tab, view_sch || '.' || view_tab FROM caggs
                       UNION ALL
                       SELECT view_sch, view_tab, view_sch || '.' || view_tab FROM caggs)
                SELECT j.job_id, j.proc_name, r.owner, j.owner::text,
                """ + "coalesce(pg_has_role(current_user, " + JOB_OWNER + ", 'USAGE'), false)" + """

                FROM timescaledb_information.jobs j
                JOIN related r ON r.sch = j.hypertable_schema AND r.tab = j.hypertable_name
                WHERE j.scheduled ORDER BY 1""")) {
            ps.setArray(1, target.createArrayOf("text", schemas.toArray()));
            ps.setArray(2, target.createArrayOf("text", names.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    jobs.add(new Job(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getBoolean(5)));
                }
            }
        }
        return jobs;
    }

    /**
     * Schedules or unschedules a job. A job removed meanwhile (its policy or continuous aggregate dropped) is skipped
     * with a notice instead of an error, so restoring the others does not stop at it.
     */
    public static void setScheduled(Connection target, int jobId, boolean scheduled) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT " + functionSchema(target)
                + ".alter_job(?, scheduled => ?, if_exists => true)")) {
            ps.setInt(1, jobId);
            ps.setBoolean(2, scheduled);
            ps.execute();
        }
    }

    /**
     * A continuous aggregate, its names quoted: the hypertable it reads ({@code raw}: the user's, or for a nested one
     * its parent's materialization hypertable) and the one it is materialized in, each with its time column; the
     * view's owner, and whether the current user has that owner's privileges, which
     * {@code refresh_continuous_aggregate} requires ({@code ts_cagg_permissions_check}).
     */
    public record ContinuousAggregate(String view, String raw, String rawColumn, String materialization,
                                      String materializationColumn, String owner, boolean refreshable) {
    }

    /** Materialized buckets older than every row of the hypertable the aggregate reads (values as text). */
    public record OlderBuckets(String oldestBucket, String oldestRow) {
    }

    /**
     * The continuous aggregates defined on a hypertable, nested ones included, each after the one it reads from, so
     * refreshing them in this order feeds every level with the level below already refreshed.
     */
    public static List<ContinuousAggregate> continuousAggregates(Connection connection, String schema, String name)
            throws SQLException {
        List<ContinuousAggregate> aggregates = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("WITH RECURSIVE staged AS (SELECT ?::text AS sch, "
                + "?::text AS tab),\n" + CAGGS + """

                SELECT view_sch, view_tab, raw_sch, raw_tab, rd.column_name, mat_sch, mat_tab, md.column_name,
                       pg_get_userbyid(v.relowner), pg_has_role(current_user, v.relowner, 'USAGE')
                FROM caggs
                JOIN pg_class v ON v.oid = format('%I.%I', view_sch, view_tab)::regclass
                LEFT JOIN timescaledb_information.dimensions rd ON rd.hypertable_schema = raw_sch
                 AND rd.hypertable_name = raw_tab AND rd.dimension_number = 1
                LEFT JOIN timescaledb_information.dimensions md ON md.hypertable_schema = mat_sch
                 AND md.hypertable_name = mat_tab AND md.dimension_number = 1
                ORDER BY depth, 1, 2""")) {
            ps.setString(1, schema);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    aggregates.add(new ContinuousAggregate(Identifiers.quoteQualified(rs.getString(1), rs.getString(2)),
                            Identifiers.quoteQualified(rs.getString(3), rs.getString(4)), rs.getString(5),
                            Identifiers.quoteQualified(rs.getString(6), rs.getString(7)), rs.getString(8),
                            rs.getString(9), rs.getBoolean(10)));
                }
            }
        }
        return aggregates;
    }

    /**
     * Whether {@code aggregate} holds buckets older than the oldest row it reads from, as where a retention policy
     * dropped raw chunks the aggregate still summarises: no refresh can rebuild those buckets from the rows, and a
     * refresh over them would delete them. Only one bucket can hold the oldest row, so two buckets starting at or
     * before it mean at least one lies wholly before it, whatever the bucket width (which the catalog keeps in a
     * different shape in each TimescaleDB version). Empty when not, or when a time column is unknown.
     */
    public static Optional<OlderBuckets> olderBuckets(Connection connection, ContinuousAggregate aggregate)
            throws SQLException {
        if (aggregate.rawColumn() == null || aggregate.materializationColumn() == null) {
            return Optional.empty();
        }
        String bucket = Identifiers.quoteIdentifier(aggregate.materializationColumn());
        String mat = aggregate.materialization();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT (SELECT min(" + bucket
                + ") FROM " + mat + ")::text, r.oldest::text, CASE WHEN r.oldest IS NULL THEN EXISTS (SELECT 1 FROM "
                + mat + ") ELSE (SELECT count(*) FROM (SELECT 1 FROM " + mat + " WHERE " + bucket + " <= r.oldest"
                + " LIMIT 2) two) = 2 END FROM (SELECT min(" + Identifiers.quoteIdentifier(aggregate.rawColumn())
                + ") AS oldest FROM " + aggregate.raw() + ") r")) {
            rs.next();
            return rs.getBoolean(3) ? Optional.of(new OlderBuckets(rs.getString(1), rs.getString(2))) : Optional.empty();
        }
    }

    /**
     * Refreshes one continuous aggregate (a procedure: run it outside a transaction) from {@code fromRowOrNull} on,
     * else over all its data. TimescaleDB refreshes only the buckets wholly inside the window, so any end would leave
     * a bucket out (at the end of the backfilled range, the one holding T, with rows from both the copy and the
     * mirror) and a window holding no whole bucket is refused ("refresh window too small"), as a range shorter than a
     * bucket of a coarse (often nested) aggregate is. The start is bounded only where buckets older than every row
     * were copied into the materialization (see {@link #olderBuckets}): the refresh would delete them. The bounds are
     * typed as the hypertable's time column, which is also the type of every level's buckets. A refresh replaces the
     * buckets it recomputes, decompressing those in compressed chunks of the materialization: the limit TimescaleDB
     * puts on that (2.14+) is lifted, and DML decompression turned on (2.11+), for the session, as only its own refresh
     * policy lifts the limit otherwise.
     */
    public static void refresh(Connection target, String quotedView, TimeType type, String fromRowOrNull)
            throws SQLException {
        allowDecompression(target, false); // a procedure that commits as it goes: no transaction to scope it to
        String start = fromRowOrNull == null ? "NULL::" + type.sqlName()
                : Identifiers.quoteLiteral(fromRowOrNull) + "::" + type.sqlName();
        try (Statement s = target.createStatement()) {
            s.execute("CALL " + functionSchema(target) + ".refresh_continuous_aggregate("
                    + Identifiers.quoteLiteral(quotedView) + "::regclass, " + start + ", NULL::" + type.sqlName() + ")");
        }
    }

    /**
     * The schema of TimescaleDB's API functions, quoted: the one named at {@code CREATE EXTENSION ... SCHEMA}, which
     * need not be on the connection's search path ({@code public} is only the default).
     */
    private static String functionSchema(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'timescaledb'")) {
            if (!rs.next()) {
                throw new BackfillException("TimescaleDB is not installed in database " + connection.getCatalog());
            }
            return rs.getString(1);
        }
    }
}
