package dev.tandem.protocol.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The rows of an {@code INSERT INTO <table> [AS alias] [(columns)] [OVERRIDING SYSTEM VALUE] VALUES (...), (...)
 * [ON CONFLICT ...] [RETURNING ...]}, item by item, for reading what one column gets in each row without the server:
 * a parameter, a constant, NULL, DEFAULT, or anything else ({@link Item.Other}, which only the server can evaluate).
 *
 * <p>Not of this shape, so {@link #parse} answers empty: a WITH clause, {@code INSERT ... SELECT}, {@code DEFAULT
 * VALUES}, {@code OVERRIDING USER VALUE}, a column list with a subscript or field, more than one statement,
 * malformed tokens, and a string constant holding a backslash when {@code standard_conforming_strings} is not known
 * (its extent and value depend on it).
 */
public final class InsertRows {

    /** What a VALUES item is, as far as it can be read without the server. */
    public sealed interface Item {

        /**
         * {@code $n}, perhaps cast: {@code $n::type} or {@code CAST($n AS type)}.
         *
         * @param cast the type cast to, as {@link #typeName} writes it; null when none
         */
        record Parameter(int number, String cast) implements Item {
        }

        /**
         * A string constant's value ({@code '...'}, {@code E'...'}, {@code $$...$$}) or an integer constant's text
         * with its sign ({@code -5}), perhaps typed: {@code '...'::type}, {@code type '...'}, {@code CAST(... AS
         * type)}.
         *
         * @param cast the type, as {@link #typeName} writes it; null when none
         */
        record Constant(String value, String cast) implements Item {
        }

        /** {@code NULL}, cast or not. */
        record Null() implements Item {
        }

        /** {@code DEFAULT}: the column's default, which the server computes. */
        record Default() implements Item {
        }

        /** Anything else: an expression, a function call, a sub-query. */
        record Other() implements Item {
        }
    }

    private static final Item NULL = new Item.Null();
    private static final Item DEFAULT = new Item.Default();
    private static final Item OTHER = new Item.Other();

    private final TokenBuffer t;
    private final List<String> columns;
    private final boolean updatesOnConflict;
    /** Per row, the first token of each item and, last, the token after the row's closing parenthesis. */
    private final List<int[]> rows;

    private InsertRows(TokenBuffer t, List<String> columns, boolean updatesOnConflict, List<int[]> rows) {
        this.t = t;
        this.columns = columns;
        this.updatesOnConflict = updatesOnConflict;
        this.rows = rows;
    }

    /**
     * @param standardConformingStrings the session's setting; null when not known
     * @return the statement's rows, or empty when it is not an INSERT ... VALUES of the shape this class reads
     */
    public static Optional<InsertRows> parse(String sql, Boolean standardConformingStrings) {
        TokenBuffer t = TokenBuffer.tokenize(sql, standardConformingStrings == null || standardConformingStrings);
        int n = t.size();
        while (n > 0 && t.is(n - 1, TokenKind.SEMICOLON)) {
            n--;
        }
        for (int i = 0; i < t.size(); i++) {
            if (t.malformed(i) || t.is(i, TokenKind.UNTERMINATED_COMMENT) || t.is(i, TokenKind.OTHER)
                    || i < n && t.is(i, TokenKind.SEMICOLON)
                    || standardConformingStrings == null && t.is(i, TokenKind.STRING) && t.text(i).indexOf('\\') >= 0) {
                return Optional.empty();
            }
        }
        int i = t.insertTargetEnd();
        if (i < 0) {
            return Optional.empty();
        }
        List<String> columns = null;
        if (t.is(i, TokenKind.LEFT_PAREN)) {
            columns = new ArrayList<>();
            i++;
            while (true) {
                String name = t.identifier(i);
                if (name == null) {
                    return Optional.empty();
                }
                columns.add(name);
                i++;
                if (t.is(i, TokenKind.RIGHT_PAREN)) {
                    i++;
                    break;
                }
                if (!t.is(i, TokenKind.COMMA)) {
                    return Optional.empty();
                }
                i++;
            }
        }
        if (t.isKeyword(i, "overriding")) {
            if (!t.isKeyword(i + 1, "system") || !t.isKeyword(i + 2, "value")) {
                return Optional.empty(); // USER VALUE: the server replaces the values given for identity columns
            }
            i += 3;
        }
        if (!t.isKeyword(i, "values")) {
            return Optional.empty();
        }
        i++;
        List<int[]> rows = new ArrayList<>();
        while (true) {
            if (!t.is(i, TokenKind.LEFT_PAREN)) {
                return Optional.empty();
            }
            int[] row = row(t, i, n);
            if (row == null) {
                return Optional.empty();
            }
            rows.add(row);
            i = row[row.length - 1];
            if (!t.is(i, TokenKind.COMMA)) {
                break;
            }
            i++;
        }
        boolean updates = false;
        if (t.isKeyword(i, "on") && t.isKeyword(i + 1, "conflict")) {
            int depth = 0;
            for (i += 2; i < n && !(depth == 0 && t.isKeyword(i, "returning")); i++) {
                if (t.is(i, TokenKind.LEFT_PAREN)) {
                    depth++;
                } else if (t.is(i, TokenKind.RIGHT_PAREN)) {
                    depth--;
                } else if (depth == 0 && t.isKeyword(i, "do") && t.isKeyword(i + 1, "update")) {
                    updates = true;
                }
            }
        }
        if (t.isKeyword(i, "returning")) {
            i = n;
        }
        return i == n ? Optional.of(new InsertRows(t, columns == null ? null : List.copyOf(columns), updates, rows))
                : Optional.empty();
    }

    /**
     * The item starts of the row opening at {@code open}, then the token after its closing parenthesis; null when it
     * does not close before {@code n} or holds a sub-query.
     */
    private static int[] row(TokenBuffer t, int open, int n) {
        List<Integer> starts = new ArrayList<>();
        starts.add(open + 1);
        int depth = 0;
        for (int k = open; k < n; k++) {
            if (t.is(k, TokenKind.LEFT_PAREN) || t.is(k, TokenKind.LEFT_BRACKET)) {
                depth++;
            } else if (t.is(k, TokenKind.RIGHT_PAREN) || t.is(k, TokenKind.RIGHT_BRACKET)) {
                if (--depth == 0) {
                    if (k == open + 1) {
                        return null; // VALUES (): not SQL
                    }
                    starts.add(k + 1);
                    return starts.stream().mapToInt(Integer::intValue).toArray();
                }
            } else if (depth == 1 && t.is(k, TokenKind.COMMA)) {
                starts.add(k + 1);
            } else if (t.isKeyword(k, "select")) {
                return null;
            }
        }
        return null;
    }

    /** The explicit column list, normalised; null when the statement has none (the table's columns in order). */
    public List<String> columns() {
        return columns;
    }

    /** {@code ON CONFLICT ... DO UPDATE}: a conflicting row changes a row already there, whatever its time. */
    public boolean updatesOnConflict() {
        return updatesOnConflict;
    }

    public int rowCount() {
        return rows.size();
    }

    /** How many items row {@code row} has. */
    public int width(int row) {
        return rows.get(row).length - 1;
    }

    /** Item {@code position} (from 0) of row {@code row} (from 0); the position must be below {@link #width}. */
    public Item item(int row, int position) {
        int[] r = rows.get(row);
        return itemOf(r[position], r[position + 1] - 1);
    }

    /** The item of tokens {@code [from, to)}. */
    private Item itemOf(int from, int to) {
        if (to - from >= 4 && t.isKeyword(from, "cast") && t.is(from + 1, TokenKind.LEFT_PAREN)
                && t.is(to - 1, TokenKind.RIGHT_PAREN)) {
            int as = -1;
            for (int k = from + 2; k < to - 1; k++) {
                if (t.isKeyword(k, "as")) {
                    as = k;
                    break;
                }
            }
            String type = as < 0 ? null : typeName(as + 1, to - 1);
            Item inner = as < 0 ? OTHER : itemOf(from + 2, as);
            return type == null ? OTHER : cast(inner, type);
        }
        int cast = -1;
        for (int k = from; k < to; k++) {
            if (t.is(k, TokenKind.OPERATOR) && t.text(k).equals("::")) {
                cast = k;
                break;
            }
        }
        if (cast >= 0) {
            String type = typeName(cast + 1, to);
            return type == null ? OTHER : cast(itemOf(from, cast), type);
        }
        if (to - from == 1) {
            if (t.is(from, TokenKind.PARAMETER)) {
                try {
                    int number = Integer.parseInt(t.text(from).substring(1));
                    return number < 1 ? OTHER : new Item.Parameter(number, null);
                } catch (NumberFormatException e) {
                    return OTHER;
                }
            }
            if (t.is(from, TokenKind.NUMBER)) {
                return new Item.Constant(t.text(from), null);
            }
            if (t.is(from, TokenKind.STRING)) {
                String value = plainString(from);
                return value == null ? OTHER : new Item.Constant(value, null);
            }
            if (t.isKeyword(from, "null")) {
                return NULL;
            }
            if (t.isKeyword(from, "default")) {
                return DEFAULT;
            }
            return OTHER;
        }
        if (to - from == 2 && t.is(from, TokenKind.OPERATOR) && t.is(from + 1, TokenKind.NUMBER)) {
            String sign = t.text(from);
            return sign.equals("-") || sign.equals("+") ? new Item.Constant(sign + t.text(from + 1), null) : OTHER;
        }
        if (t.is(to - 1, TokenKind.STRING)) {
            // type 'string': the constant typed by name, as timestamptz '2026-01-05 10:00:00+00'
            String type = typeName(from, to - 1);
            String value = plainString(to - 1);
            return type == null || value == null ? OTHER : new Item.Constant(value, type);
        }
        return OTHER;
    }

    /** {@code inner} cast to {@code type}: a cast of a cast or of an expression is left to the server. */
    private static Item cast(Item inner, String type) {
        if (inner instanceof Item.Parameter p && p.cast() == null) {
            return new Item.Parameter(p.number(), type);
        }
        if (inner instanceof Item.Constant c && c.cast() == null) {
            return new Item.Constant(c.value(), type);
        }
        return inner instanceof Item.Null ? NULL : OTHER;
    }

    /**
     * The value of a string constant that is text: not a bit string ({@code B'...'}, {@code X'...'}); null when it
     * is one, or cannot be decoded.
     */
    private String plainString(int i) {
        char first = t.sql().charAt(t.start(i));
        if (first == 'b' || first == 'B' || first == 'x' || first == 'X') {
            return null;
        }
        return t.stringValue(i);
    }

    /**
     * The type name of tokens {@code [from, to)}: unquoted words, lower case, one space apart, with a modifier
     * written after its word ({@code timestamp(3) with time zone}); null for anything else (a quoted or qualified
     * name, an array).
     */
    private String typeName(int from, int to) {
        if (from >= to) {
            return null;
        }
        StringBuilder name = new StringBuilder();
        for (int k = from; k < to; k++) {
            if (t.is(k, TokenKind.IDENTIFIER)) {
                if (!name.isEmpty()) {
                    name.append(' ');
                }
                name.append(t.text(k).toLowerCase(Locale.ROOT));
            } else if (t.is(k, TokenKind.LEFT_PAREN) && t.is(k + 1, TokenKind.NUMBER)
                    && t.is(k + 2, TokenKind.RIGHT_PAREN) && !name.isEmpty()) {
                name.append('(').append(t.text(k + 1)).append(')');
                k += 2;
            } else {
                return null;
            }
        }
        return name.toString();
    }
}
