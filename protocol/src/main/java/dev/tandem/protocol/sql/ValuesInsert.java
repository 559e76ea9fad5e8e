package dev.tandem.protocol.sql;

import java.util.Optional;

/**
 * A one-row {@code INSERT INTO <table> [AS alias] [(columns)] VALUES (<expressions>)} with nothing after the row but a
 * semicolon, as drivers send it for each row of a batch: the shape that can be repeated into one multi-row
 * {@code VALUES} statement. Rows of the same statement text then insert exactly what the single-row statements would
 * have, in the same order, with the same per-row expression evaluation and the same column coercion (PostgreSQL
 * coerces every row of an INSERT's VALUES list to the target columns, unknown-typed parameters included).
 *
 * <p>Excluded, so {@link #parse} answers empty: {@code ON CONFLICT} (DO UPDATE cannot touch a row twice in one
 * statement), {@code RETURNING}, {@code OVERRIDING}, {@code WITH}, {@code DEFAULT VALUES}, {@code INSERT ... SELECT},
 * several rows already, more than one statement, malformed tokens, and any string constant holding a backslash (its
 * extent depends on {@code standard_conforming_strings}, so the parameter numbers found in it could be wrong).
 *
 * @param prefix         the statement text up to and including {@code VALUES}
 * @param row            the text of the row, from its opening to its closing parenthesis
 * @param parameterStart offsets in {@code row} of each {@code $n} token, ascending
 * @param parameterEnd   offsets in {@code row} just past each {@code $n} token
 * @param parameterIndex the {@code n} of each {@code $n} token
 */
public record ValuesInsert(String prefix, String row, int[] parameterStart, int[] parameterEnd,
                           int[] parameterIndex) {

    /** The shape of {@code sql}, or empty when it is not a one-row INSERT ... VALUES that may be repeated. */
    public static Optional<ValuesInsert> parse(String sql) {
        TokenBuffer t = TokenBuffer.tokenize(sql);
        int n = t.size();
        for (int i = 0; i < n; i++) {
            if (t.malformed(i) || t.is(i, TokenKind.UNTERMINATED_COMMENT) || t.is(i, TokenKind.OTHER)
                    || t.is(i, TokenKind.STRING) && t.text(i).indexOf('\\') >= 0) {
                return Optional.empty();
            }
        }
        int i = t.insertTargetEnd();
        if (i < 0) {
            return Optional.empty();
        }
        if (t.is(i, TokenKind.LEFT_PAREN)) {
            i = columnList(t, i);
            if (i < 0) {
                return Optional.empty();
            }
        }
        if (!t.isKeyword(i, "values") || !t.is(i + 1, TokenKind.LEFT_PAREN)) {
            return Optional.empty();
        }
        int open = i + 1;
        int close = matching(t, open);
        if (close < 0) {
            return Optional.empty();
        }
        for (int k = close + 1; k < n; k++) {
            if (!t.is(k, TokenKind.SEMICOLON)) {
                return Optional.empty();
            }
        }
        int rowStart = t.start(open);
        int parameters = 0;
        for (int k = open; k <= close; k++) {
            if (t.is(k, TokenKind.PARAMETER)) {
                parameters++;
            }
        }
        int[] starts = new int[parameters];
        int[] ends = new int[parameters];
        int[] indexes = new int[parameters];
        int p = 0;
        for (int k = open; k <= close; k++) {
            if (t.is(k, TokenKind.PARAMETER)) {
                int number;
                try {
                    number = Integer.parseInt(sql, t.start(k) + 1, t.end(k), 10);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
                if (number < 1) {
                    return Optional.empty();
                }
                starts[p] = t.start(k) - rowStart;
                ends[p] = t.end(k) - rowStart;
                indexes[p] = number;
                p++;
            }
        }
        return Optional.of(new ValuesInsert(sql.substring(0, t.end(i)), sql.substring(rowStart, t.end(close)),
                starts, ends, indexes));
    }

    /**
     * The statement inserting {@code rows} rows: row {@code r} (from 0) is this row with each {@code $n} renumbered to
     * {@code $(n + r * parametersPerRow)}, so its values are the {@code r}-th group of {@code parametersPerRow}
     * parameters of one Bind that concatenates the rows' parameters.
     */
    public String repeated(int rows, int parametersPerRow) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be positive: " + rows);
        }
        StringBuilder sql = new StringBuilder(prefix.length() + rows * (row.length() + 8));
        sql.append(prefix).append(' ');
        for (int r = 0; r < rows; r++) {
            if (r > 0) {
                sql.append(", ");
            }
            int from = 0;
            for (int p = 0; p < parameterStart.length; p++) {
                sql.append(row, from, parameterStart[p]).append('$')
                        .append(parameterIndex[p] + (long) r * parametersPerRow);
                from = parameterEnd[p];
            }
            sql.append(row, from, row.length());
        }
        return sql.toString();
    }

    /** The highest {@code $n} of the row (0 without parameters). */
    public int highestParameter() {
        int max = 0;
        for (int index : parameterIndex) {
            max = Math.max(max, index);
        }
        return max;
    }

    /** Index just past {@code (name, name ...)} starting at the parenthesis {@code i}, or -1. */
    private static int columnList(TokenBuffer t, int i) {
        i++;
        while (true) {
            if (!t.isName(i)) {
                return -1;
            }
            i++;
            if (t.is(i, TokenKind.RIGHT_PAREN)) {
                return i + 1;
            }
            if (!t.is(i, TokenKind.COMMA)) {
                return -1;
            }
            i++;
        }
    }

    /** Index of the parenthesis closing the one at {@code open}, or -1. */
    private static int matching(TokenBuffer t, int open) {
        int depth = 0;
        for (int k = open; k < t.size(); k++) {
            if (t.is(k, TokenKind.LEFT_PAREN)) {
                depth++;
            } else if (t.is(k, TokenKind.RIGHT_PAREN) && --depth == 0) {
                return k;
            } else if (t.is(k, TokenKind.SEMICOLON)) {
                return -1;
            }
        }
        return -1;
    }
}
