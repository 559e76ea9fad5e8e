package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the target says about a table's time column, when the configuration does not: a TimescaleDB hypertable's
 * first dimension, else the column a staged backfill plan uses; for a partition, its partitioned table's. Each look-up is one or two small queries on the
 * applier's connection, guarded so that a database without TimescaleDB or without a plan answers null.
 */
final class TimeColumns {

    /** A table's time column and its type as {@code format_type} prints it. */
    record Column(String name, String type) {
    }

    private TimeColumns() {
    }

    /** The table's time column: {@code configured}'s entry for it, else what the target knows; empty when none. */
    static Optional<Column> of(TargetSession session, TableName table, Map<TableName, String> configured) {
        String name = configured.get(table);
        if (name == null) {
            name = lookUp(session, table);
        }
        if (name == null) {
            // a partition written by its own name: the configuration and a plan name its partitioned table
            Optional<TableName> root = session.partitionRoot(table);
            if (root.isPresent()) {
                name = configured.get(root.get());
                if (name == null) {
                    name = lookUp(session, root.get());
                }
            }
        }
        String type = name == null ? null : typeOf(session, table, name);
        return type == null ? Optional.empty() : Optional.of(new Column(name, type));
    }

    /** The table's time column, or null when the target does not know one. */
    private static String lookUp(TargetSession session, TableName table) {
        List<String> exists = session.queryRow("SELECT (to_regclass('timescaledb_information.dimensions') IS NOT NULL)"
                + "::text, (to_regclass('tandem.backfill_task') IS NOT NULL)::text");
        if (exists == null) {
            return null;
        }
        if ("true".equals(exists.get(0))) {
            List<String> dimension = session.queryRow("SELECT column_name::text FROM timescaledb_information.dimensions"
                    + " WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY dimension_number LIMIT 1",
                    table.schema(), table.name());
            if (dimension != null) {
                return dimension.get(0);
            }
        }
        if ("true".equals(exists.get(1))) {
            List<String> planned = session.queryRow("SELECT min(time_column) FROM tandem.backfill_task"
                    + " WHERE table_schema = $1 AND table_name = $2", table.schema(), table.name());
            if (planned != null && planned.get(0) != null) {
                return planned.get(0);
            }
        }
        return null;
    }

    /** The column's type as {@code format_type} prints it, or null when the table or column is not there. */
    private static String typeOf(TargetSession session, TableName table, String column) {
        String relation = Identifiers.quoteQualified(table.schema(), table.name());
        List<String> type = session.queryRow("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped", relation, column);
        return type == null ? null : type.get(0);
    }
}
