package dev.tandem.protocol.sql;

import java.util.Objects;

/**
 * A table as written in a statement, normalised the PostgreSQL way (unquoted folds to lower case, quoted keeps its
 * case). {@code schema} is null when the statement did not qualify the name; resolving it is the caller's business
 * (through the session's {@code search_path}).
 */
public record TableName(String schema, String name) {

    public TableName {
        Objects.requireNonNull(name, "name");
    }

    /** {@code schema.name} unquoted, for messages and metric tags; SQL text uses {@link Identifiers#quoteQualified}. */
    @Override
    public String toString() {
        return schema == null ? name : schema + "." + name;
    }
}
