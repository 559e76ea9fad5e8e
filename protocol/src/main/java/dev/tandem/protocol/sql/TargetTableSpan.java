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
     * in its {@code DO UPDATE} would name no table of the new statement. A reference qualified by the table's schema
     * ({@code public.t.v}, {@code RETURNING public.t.*}, also with a database in front) would name none either, even
     * under the alias: its qualification is left out, as PostgreSQL reads it as a column of the table (it tries
     * {@code schema.table.column} before {@code table.column.field}, and a database before a schema).
     *
     * @param table the table the INSERT wrote, its schema resolved (the text may leave it out)
     */
    public String replaceKeepingReferences(String sql, String replacement, TableName table) {
        if (reference == null) {
            return replaceIn(sql, replacement);
        }
        StringBuilder out = new StringBuilder(sql.length() + replacement.length() + reference.length() + 4);
        out.append(sql, 0, start).append(replacement).append(" AS ").append(reference);
        TokenBuffer t = TokenBuffer.tokenize(sql);
        int copied = end;
        for (int i = 0; i < t.size(); i++) {
            if (t.start(i) < end || !t.isName(i) || t.is(i - 1, TokenKind.DOT)) {
                continue;
            }
            int qualifierEnd = schemaQualified(t, i, table);
            if (qualifierEnd >= 0) {
                out.append(sql, copied, t.start(i)).append(reference);
                copied = t.end(qualifierEnd);
                i = qualifierEnd;
            }
        }
        return out.append(sql, copied, sql.length()).toString();
    }

    /**
     * When the chain of names at token {@code i} is a column reference through {@code table} qualified by its schema
     * ({@code [database.]schema.table.column}), the index of its table's token; else -1.
     */
    private static int schemaQualified(TokenBuffer t, int i, TableName table) {
        int last = i;
        while (t.is(last + 1, TokenKind.DOT) && t.isName(last + 2)) {
            last += 2;
        }
        if (t.is(last + 1, TokenKind.LEFT_PAREN)) {
            return -1; // a function's qualified name
        }
        boolean star = t.is(last + 1, TokenKind.DOT) && t.is(last + 2, TokenKind.OPERATOR)
                && t.text(last + 2).equals("*");
        int parts = (last - i) / 2 + 1 + (star ? 1 : 0);
        if (parts >= 4 && names(t, i + 2, table)) {
            return i + 4;
        }
        return parts >= 3 && names(t, i, table) ? i + 2 : -1;
    }

    /** Whether tokens {@code i} and {@code i + 2} name {@code table}'s schema and name. */
    private static boolean names(TokenBuffer t, int i, TableName table) {
        return table.schema().equals(t.identifier(i)) && table.name().equals(t.identifier(i + 2));
    }
}
