package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.timecolumn.TimeColumnRule;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A table's time column by {@link TimeColumnRule}, read from the target on the applier's connection: the catalog's
 * part is a query or two per table, and a partition's root comes from {@link TargetSession#partitionRoot}.
 */
final class TimeColumns {

    /** A table's time column and its type as {@code format_type} prints it. */
    record Column(String name, String type) {
    }

    private TimeColumns() {
    }

    /** The table's time column by the rule, {@code configured} being {@code verifier.time-columns}; empty when none. */
    static Optional<Column> of(TargetSession session, TableName table, Map<TableName, String> configured) {
        String name = TimeColumnRule.of(table, configured, new TimeColumnRule.Catalog<RuntimeException>() {
            private TimeColumnRule.Catalogs available;

            @Override
            public String column(TableName asked) {
                if (available == null) {
                    List<String> row = session.queryRow(TimeColumnRule.CATALOGS);
                    if (row == null) {
                        return null;
                    }
                    available = TimeColumnRule.Catalogs.of(row);
                }
                List<String> column = session.queryRow(TimeColumnRule.catalogColumn(available, "$1", "$2"),
                        asked.schema(), asked.name());
                return column == null ? null : column.get(0);
            }

            @Override
            public Optional<TableName> partitionRoot(TableName asked) {
                return session.partitionRoot(asked);
            }
        });
        String type = name == null ? null : typeOf(session, table, name);
        return type == null ? Optional.empty() : Optional.of(new Column(name, type));
    }

    /** The column's type as {@code format_type} prints it, or null when the table or column is not there. */
    private static String typeOf(TargetSession session, TableName table, String column) {
        String relation = Identifiers.quoteQualified(table.schema(), table.name());
        List<String> type = session.queryRow("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped", relation, column);
        return type == null ? null : type.get(0);
    }
}
