package dev.tandem.protocol.sql;

/**
 * Where the target table of an {@code INSERT INTO <table>} or {@code COPY <table>} is written in its SQL text, so a
 * tool can run the same statement against another table (say a scratch copy) by replacing exactly that text.
 *
 * @param start offset of the table name's first token
 * @param end   offset just past its last token ({@code schema . table} included)
 */
public record TargetTableSpan(int start, int end) {

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
        return new TargetTableSpan(t.start(first), t.end(end - 1));
    }

    /** {@code sql} with the table replaced by {@code replacement} (SQL text, quoted as needed). */
    public String replaceIn(String sql, String replacement) {
        return sql.substring(0, start) + replacement + sql.substring(end);
    }
}
