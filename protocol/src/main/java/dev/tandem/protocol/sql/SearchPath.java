package dev.tandem.protocol.sql;

import java.util.List;

/**
 * What a statement does to {@code search_path}: sets it to {@code schemas} (normalised: identifiers folded, string
 * constants verbatim, {@code "$user"} kept as is), or back to the server default ({@code isDefault}, from
 * {@code RESET search_path}, {@code SET search_path TO DEFAULT}, {@code RESET ALL}, {@code DISCARD ALL}).
 * {@code local} is {@code SET LOCAL}: the change ends with the transaction.
 */
public record SearchPath(boolean isDefault, List<String> schemas, boolean local) {

    public SearchPath {
        schemas = List.copyOf(schemas);
    }

    public static SearchPath reset(boolean local) {
        return new SearchPath(true, List.of(), local);
    }

    /**
     * The {@code search_path} setting's text ({@code "$user", public}, as {@code SHOW} or a ParameterStatus gives it)
     * as a list of normalised schema names, parsed as PostgreSQL parses a SET; empty for the default, null when it does
     * not parse.
     */
    public static List<String> parseSetting(String value) {
        List<ClassifiedStatement> set = StatementClassifier.classify("SET search_path TO " + value);
        if (set.size() != 1 || set.get(0).malformed() || set.get(0).searchPath() == null) {
            return null;
        }
        SearchPath path = set.get(0).searchPath();
        return path.isDefault() ? List.of() : path.schemas();
    }
}
