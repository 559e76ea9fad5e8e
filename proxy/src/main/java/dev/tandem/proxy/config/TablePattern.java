package dev.tandem.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A {@code schema.table} pattern such as {@code public.metrics}, {@code public.*}, {@code *.metrics} or
 * {@code sensors."Readings_*"}, with psql's {@code \d} pattern rules: outside double quotes names fold to lower case,
 * {@code *} matches any run of characters and {@code ?} any one character; inside double quotes everything is literal
 * and keeps its case ({@code ""} is a quote). Both parts are required so that a pattern never depends on a session's
 * {@code search_path}.
 */
public final class TablePattern {

    private final String text;
    private final Pattern schema;
    private final Pattern table;
    /** The names the pattern matches alone, as stored in the catalog, when it has no wildcard; else null. */
    private final String literalSchema;
    private final String literalTable;

    private TablePattern(String text, Pattern schema, Pattern table, String literalSchema, String literalTable) {
        this.text = text;
        this.schema = schema;
        this.table = table;
        this.literalSchema = literalSchema;
        this.literalTable = literalTable;
    }

    /**
     * @throws IllegalArgumentException whose message completes the sentence "'text' ..."
     */
    public static TablePattern parse(String text) {
        List<String> parts = splitParts(text.strip());
        if (parts.size() != 2) {
            throw new IllegalArgumentException("is not a schema.table pattern (e.g. public.metrics, public.*, *.metrics)");
        }
        String schema = literal(parts.get(0));
        String table = literal(parts.get(1));
        return new TablePattern(text.strip(), compile(parts.get(0)), compile(parts.get(1)),
                schema != null && table != null ? schema : null, schema != null && table != null ? table : null);
    }

    /** Whether the table {@code schema.table}, with names exactly as stored in the catalog, matches. */
    public boolean matches(String schemaName, String tableName) {
        if (literalSchema != null) {
            // the capture asks at every commit: a configured table name needs no regex match
            return literalSchema.equals(schemaName) && literalTable.equals(tableName);
        }
        return schema.matcher(schemaName).matches() && table.matcher(tableName).matches();
    }

    /** The schema of the one table the pattern matches ({@code public.metrics}); null when it has a wildcard. */
    public String literalSchema() {
        return literalSchema;
    }

    /** The name of the one table the pattern matches ({@code public.metrics}); null when it has a wildcard. */
    public String literalTable() {
        return literalTable;
    }

    /** The pattern as written. */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TablePattern that && text.equals(that.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }

    /** Splits at dots outside double quotes, keeping the quotes in each part for {@link #compile}. */
    private static List<String> splitParts(String text) {
        List<String> parts = new ArrayList<>(2);
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                current.append(c);
            } else if (c == '.' && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("has an unterminated double quote");
        }
        parts.add(current.toString());
        for (String part : parts) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException("has an empty name; expected schema.table (e.g. public.metrics)");
            }
        }
        return parts;
    }

    /** The one name {@code part} matches, as {@link #compile} reads it; null when it has a wildcard. */
    private static String literal(String part) {
        StringBuilder name = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '"' && quoted && i + 1 < part.length() && part.charAt(i + 1) == '"') {
                name.append('"');
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == '*' || c == '?')) {
                return null;
            } else {
                name.append(quoted ? String.valueOf(c) : String.valueOf(c).toLowerCase(Locale.ROOT));
            }
        }
        return name.toString();
    }

    private static Pattern compile(String part) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < part.length()) {
            char c = part.charAt(i);
            if (c == '"') {
                StringBuilder literal = new StringBuilder();
                i++;
                while (true) {
                    char q = part.charAt(i);
                    if (q == '"' && i + 1 < part.length() && part.charAt(i + 1) == '"') {
                        literal.append('"');
                        i += 2;
                    } else if (q == '"') {
                        i++;
                        break;
                    } else {
                        literal.append(q);
                        i++;
                    }
                }
                regex.append(Pattern.quote(literal.toString()));
            } else if (c == '*') {
                regex.append(".*");
                i++;
            } else if (c == '?') {
                regex.append('.');
                i++;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '$') {
                regex.append(Pattern.quote(String.valueOf(c).toLowerCase(Locale.ROOT)));
                i++;
            } else {
                throw new IllegalArgumentException("has '" + c + "' outside double quotes; quote such names"
                        + " (e.g. public.\"my-table\")");
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
