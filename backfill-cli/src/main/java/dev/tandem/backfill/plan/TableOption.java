package dev.tandem.backfill.plan;

import dev.tandem.protocol.sql.Identifiers;
import java.util.List;

/**
 * One {@code --table [schema.]table:timecol[:slice]} option: a plain or declaratively partitioned table cut into slices of
 * its time column. Names follow PostgreSQL's rules ({@code "Mixed"} keeps its case); the schema defaults to public.
 */
public record TableOption(String schema, String table, String timeColumn, Slice slice) {

    private static final String FORM = "[schema.]table:timecol[:slice] (the schema defaults to public)";

    /** @throws IllegalArgumentException with a readable message */
    public static TableOption parse(String text) {
        int colon = lastColonOutsideQuotes(text, text.length());
        if (colon < 0) {
            throw new IllegalArgumentException("--table needs " + FORM + ", got '" + text + "'");
        }
        Slice slice = null;
        String head = text.substring(0, colon);
        String last = text.substring(colon + 1);
        int second = lastColonOutsideQuotes(head, head.length());
        if (second >= 0) {
            slice = Slice.parse(last);
            last = head.substring(second + 1);
            head = head.substring(0, second);
        }
        List<String> name = Identifiers.parseQualifiedName(head);
        List<String> column = Identifiers.parseQualifiedName(last.trim());
        if (name.size() > 2 || column.size() != 1) {
            throw new IllegalArgumentException("--table needs " + FORM + ", got '" + text + "'");
        }
        String schema = name.size() == 2 ? name.get(0) : "public";
        return new TableOption(schema, name.get(name.size() - 1), column.get(0), slice);
    }

    private static int lastColonOutsideQuotes(String text, int end) {
        boolean quoted = false;
        int found = -1;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ':' && !quoted) {
                found = i;
            }
        }
        return found;
    }

    public String qualifiedName() {
        return schema + "." + table;
    }
}
