package dev.tandem.backfill.jobs;

import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PgServer;

/**
 * A stand-in for the parts of TimescaleDB's catalog the job and continuous-aggregate code reads, for plain PostgreSQL:
 * small tables shaped like {@code _timescaledb_catalog.hypertable}, {@code .continuous_agg} and {@code .bgw_job} (with
 * its {@code owner} a {@code regrole}, or a {@code name} as before 2.10.2: {@link JobOwner}), the documented views
 * defined over them with the joins of TimescaleDB's {@code sql/views.sql}, the grants of {@code sql/pre_install/tables.sql} and {@code sql/views.sql} (every role reads
 * the catalog and the views), and {@code alter_job} (with its owner check, {@code ts_bgw_job_permission_check}) and
 * {@code refresh_continuous_aggregate} with the behaviour the backfill relies on (including, where the database sets
 * {@code timescaledb.max_tuples_decompressed_per_dml_transaction}, refusing as a refresh that decompresses more rows
 * of compressed materialization chunks than that does). The API functions are in schema
 * {@code "tsdb api"}, off the search path, as {@code CREATE EXTENSION timescaledb SCHEMA ...} puts them. The real
 * catalog is exercised where TimescaleDB runs ({@code TimescaleHypertableIT}).
 */
final class TimescaleStandIn {

    /** How {@code timescaledb_information.jobs} names the hypertable of a continuous aggregate's job. */
    enum JobsView {
        /** Up to 2.19: the materialization hypertable ({@code _timescaledb_internal._materialized_hypertable_N}). */
        MATERIALIZATION_HYPERTABLE("ht.schema_name", "ht.table_name"),
        /** Since 2.20 (timescale/timescaledb#7976): the continuous aggregate's view. */
        CONTINUOUS_AGGREGATE("COALESCE(ca.user_view_schema, ht.schema_name)", "COALESCE(ca.user_view_name, ht.table_name)");

        final String schema;
        final String name;

        JobsView(String schema, String name) {
            this.schema = schema;
            this.name = name;
        }
    }

    private TimescaleStandIn() {
    }

    /** The type of {@code _timescaledb_catalog.bgw_job.owner}, which the jobs view shows as it is. */
    enum JobOwner {
        /** Up to 2.10.1: the role's name, unquoted. */
        NAME("name NOT NULL DEFAULT current_role"),
        /** Since 2.10.2 (timescale/timescaledb#5558, "Use regrole for job owner"). */
        REGROLE("regrole NOT NULL DEFAULT current_role::regrole");

        final String column;

        JobOwner(String column) {
            this.column = column;
        }
    }

    /**
     * Installs the stand-in in {@code db}. pg_extension gets a {@code timescaledb} row so version checks see the
     * extension, as TimescaleDB's own tests fake {@code timescaledb_osm}.
     */
    static void install(PgServer server, String db, JobsView jobs) {
        install(server, db, jobs, JobOwner.REGROLE);
    }

    static void install(PgServer server, String db, JobsView jobs, JobOwner owner) {
        server.execute(db, ("""
                CREATE SCHEMA "tsdb api";
                GRANT USAGE ON SCHEMA "tsdb api" TO PUBLIC;
                INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
                VALUES (99999, 'timescaledb', 10, '"tsdb api"'::regnamespace, false, '2.21.0');
                CREATE SCHEMA _timescaledb_catalog;
                CREATE SCHEMA _timescaledb_internal;
                CREATE TABLE _timescaledb_catalog.hypertable (id int PRIMARY KEY, schema_name name, table_name name);
                CREATE TABLE _timescaledb_catalog.dimension (hypertable_id int, column_name name);
                CREATE TABLE _timescaledb_catalog.continuous_agg (mat_hypertable_id int, raw_hypertable_id int,
                    user_view_schema name, user_view_name name, bucket_width interval);
                CREATE TABLE _timescaledb_catalog.bgw_job (id int PRIMARY KEY, proc_name name,
                    owner OWNER_COLUMN, hypertable_id int, scheduled bool NOT NULL DEFAULT true);
                CREATE TABLE _timescaledb_internal.refreshed (n serial, view regclass, window_start timestamptz,
                    window_end timestamptz, window_type text);
                CREATE SCHEMA timescaledb_information;
                CREATE VIEW timescaledb_information.dimensions AS
                    SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                           1 AS dimension_number, d.column_name
                    FROM _timescaledb_catalog.dimension d JOIN _timescaledb_catalog.hypertable ht
                      ON ht.id = d.hypertable_id;
                """ + HypertableCatalog.CONTINUOUS_AGGREGATES + """
                -- SECURITY DEFINER writes the catalog as TimescaleDB's C code does; the owner check is its own
                CREATE FUNCTION "tsdb api".alter_job(job_id integer, schedule_interval interval = NULL,
                        max_runtime interval = NULL, max_retries integer = NULL, retry_period interval = NULL,
                        scheduled boolean = NULL, config jsonb = NULL, next_start timestamptz = NULL,
                        if_exists boolean = false) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM _timescaledb_catalog.bgw_job j WHERE j.id = alter_job.job_id
                               AND NOT pg_has_role(session_user, j.owner, 'USAGE')) THEN
                        RAISE EXCEPTION 'insufficient permissions to alter job %', alter_job.job_id
                            USING ERRCODE = 'insufficient_privilege';
                    END IF;
                    UPDATE _timescaledb_catalog.bgw_job j SET scheduled = coalesce(alter_job.scheduled, j.scheduled)
                    WHERE j.id = alter_job.job_id;
                    IF NOT FOUND THEN
                        IF if_exists THEN
                            RAISE NOTICE 'job % not found, skipping', alter_job.job_id;
                        ELSE
                            RAISE EXCEPTION 'job % not found', alter_job.job_id USING ERRCODE = 'undefined_object';
                        END IF;
                    END IF;
                END $$;
                CREATE PROCEDURE "tsdb api".refresh_continuous_aggregate(continuous_aggregate regclass,
                        window_start anyelement, window_end anyelement) LANGUAGE plpgsql AS $$
                DECLARE
                    width interval;
                BEGIN
                    -- only whole buckets inside the window are refreshed; none at all is an error (buckets
                    -- counted from the epoch, as date_bin(width, t, 'epoch') does, which PostgreSQL 13 lacks)
                    SELECT ca.bucket_width INTO width FROM _timescaledb_catalog.continuous_agg ca
                    WHERE format('%I.%I', ca.user_view_schema, ca.user_view_name)::regclass = continuous_aggregate;
                    IF window_start IS NOT NULL AND floor(extract(epoch FROM window_end) / extract(epoch FROM width))
                            <= floor(extract(epoch FROM window_start + width - interval '1 microsecond')
                                     / extract(epoch FROM width)) THEN
                        RAISE EXCEPTION 'refresh window too small' USING ERRCODE = 'invalid_parameter_value',
                            DETAIL = 'The refresh window must cover at least one bucket of data.';
                    END IF;
                    -- as over materialization chunks compressed beyond the limit, where the version has one
                    IF current_setting('timescaledb.max_tuples_decompressed_per_dml_transaction', true) <> '0' THEN
                        RAISE EXCEPTION 'tuple decompression limit exceeded by operation'
                            USING ERRCODE = 'configuration_limit_exceeded';
                    END IF;
                    INSERT INTO _timescaledb_internal.refreshed (view, window_start, window_end, window_type)
                    VALUES (continuous_aggregate, window_start, window_end, pg_typeof(window_end)::text);
                END $$;
                """).replace("OWNER_COLUMN", owner.column));
        server.execute(db, "CREATE VIEW timescaledb_information.jobs AS"
                + " SELECT j.id AS job_id, j.proc_name, j.owner, j.scheduled, " + jobs.schema + " AS hypertable_schema, "
                + jobs.name + " AS hypertable_name"
                + " FROM _timescaledb_catalog.bgw_job j"
                + " LEFT JOIN _timescaledb_catalog.hypertable ht ON ht.id = j.hypertable_id"
                + " LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = j.hypertable_id;"
                + "GRANT USAGE ON SCHEMA _timescaledb_catalog, timescaledb_information TO PUBLIC;"
                + "GRANT SELECT ON ALL TABLES IN SCHEMA _timescaledb_catalog, timescaledb_information TO PUBLIC");
    }

    /** Registers a hypertable (a plain table here) under TimescaleDB's id, with its time column {@code t}. */
    static void hypertable(PgServer server, String db, int id, String schema, String table) {
        server.execute(db, "INSERT INTO _timescaledb_catalog.hypertable VALUES (" + id + ", '" + schema + "', '" + table
                + "'); INSERT INTO _timescaledb_catalog.dimension VALUES (" + id + ", 't')");
    }

    /**
     * Registers continuous aggregate {@code public.view} on hypertable {@code rawId} (a materialization hypertable for
     * one on another continuous aggregate), materialized in {@code _timescaledb_internal._materialized_hypertable_<matId>}.
     */
    static void continuousAggregate(PgServer server, String db, String view, int rawId, int matId, String bucket) {
        server.execute(db, "CREATE VIEW public." + view + " AS SELECT 1 AS one;"
                + "CREATE TABLE _timescaledb_internal._materialized_hypertable_" + matId + " (t timestamptz, n bigint);"
                + "INSERT INTO _timescaledb_catalog.hypertable VALUES (" + matId
                + ", '_timescaledb_internal', '_materialized_hypertable_" + matId + "');"
                + "INSERT INTO _timescaledb_catalog.dimension VALUES (" + matId + ", 't');"
                + "INSERT INTO _timescaledb_catalog.continuous_agg VALUES (" + matId + ", " + rawId + ", 'public', '"
                + view + "', '" + bucket + "')");
    }

    static void job(PgServer server, String db, int id, String procName, Integer hypertableId) {
        server.execute(db, "INSERT INTO _timescaledb_catalog.bgw_job (id, proc_name, hypertable_id) VALUES (" + id
                + ", '" + procName + "', " + hypertableId + ")");
    }

    /** A job owned by {@code owner}, as one is when that role added the policy. */
    static void job(PgServer server, String db, int id, String procName, Integer hypertableId, String owner) {
        server.execute(db, "INSERT INTO _timescaledb_catalog.bgw_job (id, proc_name, owner, hypertable_id) VALUES ("
                + id + ", '" + procName + "', '" + owner + "', " + hypertableId + ")");
    }
}
