package dev.tandem.backfill.plan;

import java.util.List;

/**
 * A table the plan covers and how its ranges are found.
 *
 * @param hypertable the TimescaleDB hypertable, or null for a plain/partitioned table cut into slices
 * @param slice      the slice width for a plain/partitioned table
 */
public record StagedTable(String schema, String table, String timeColumn, TimescaleCatalog.Hypertable hypertable,
                          Slice slice) {

    public String qualifiedName() {
        return schema + "." + table;
    }

    /** How the plan arguments describe this table. */
    String describe() {
        return hypertable != null ? qualifiedName() + ":" + timeColumn + ":chunks"
                : qualifiedName() + ":" + timeColumn + ":" + slice;
    }

    static List<String> describeAll(List<StagedTable> tables) {
        return tables.stream().map(StagedTable::describe).sorted().toList();
    }
}
