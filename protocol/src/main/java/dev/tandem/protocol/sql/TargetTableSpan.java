package dev.tandem.protocol.sql;

/**
 * Where the target table of an {@code INSERT INTO <table>} or {@code COPY <table>} is written in its SQL text, so a
 * tool can run the same statement against another table (say a scratch copy) by replacing exactly that text.
 *
 * @param start     offset of the table name's first token
 * @param end       offset just past its last token ({@code schema . table} included)
 * @param reference the name the rest of an INSERT without an alias refers to the table by ({@code ON CONFLICT ... DO
 *                  UPDATE SET v = t.v + 1}, {@code RETURNING t.*}): the last part of its name as written; null for an
 *                  INSERT with an alias, which keeps it, and for a COPY, which has no such references
 */
public record TargetTableSpan(int start, int end, String reference) {

    /** The span, or null when {@code sql} does not start with {@code INSERT INTO name} or {@code COPY name}. */
    public static TargetTableSpan find(String sql) {
        TokenBuffer t = TokenBuffer.tokenize(sql);
        int first;
        if (t.isKeyword(0, "insert") && t.isKeyword(1, "into")) {
            first = 2;
        } else if (t.isKeyword(0, "copy")) {
            first = 1;
        } else {
            return null;
        }
        int end = t.qualifiedNameEnd(first);
        if (end < 0 || t.malformed(first)) {
            return null;
        }
        boolean unaliasedInsert = first == 2 && !t.isKeyword(end, "as");
        return new TargetTableSpan(t.start(first), t.end(end - 1), unaliasedInsert ? t.text(end - 1) : null);
    }

    /** {@code sql} with the table replaced by {@code replacement} (SQL text, quoted as needed). */
    public String replaceIn(String sql, String replacement) {
        return sql.substring(0, start) + replacement + sql.substring(end);
    }

    /**
     * {@code sql} with the table replaced by {@code replacement} under the name the statement refers to it by: an
     * INSERT without an alias gets {@code AS} the last part of its table's name, or a reference such as {@code t.v}
     * in its {@code DO UPDATE} would name no table of the new statement.
     */
    public String replaceKeepingReferences(String sql, String replacement) {
        return replaceIn(sql, reference == null ? replacement : replacement + " AS " + reference);
    }
}
