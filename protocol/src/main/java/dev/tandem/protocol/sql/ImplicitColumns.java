package dev.tandem.protocol.sql;

/**
 * An {@code INSERT INTO <table>} or {@code COPY <table> FROM} without a column list: the server fills the table's
 * columns in their order, so on another server whose table has the same columns in another order the same text puts
 * values into other columns. Says where a column list goes and how many columns an INSERT's VALUES rows fill, so the
 * statement can be given the list that holds on the server it was written for. Read with {@link SqlLexer} up to what
 * it needs (the first VALUES row at most), not the whole text.
 *
 * @param kind     what fills the columns
 * @param listAt   offset where a column list goes: just past the table's name, or past its alias
 * @param values   for {@link Kind#VALUES}, the expressions of the first row (every row has as many); else 0
 */
public record ImplicitColumns(Kind kind, int listAt, int values) {

    public enum Kind {
        /** {@code VALUES (...)}: the first {@link #values} columns. */
        VALUES,
        /** {@code DEFAULT VALUES}: no value is given, so the order does not matter. */
        DEFAULT_VALUES,
        /** {@code COPY ... FROM}: every column COPY reads. */
        COPY,
        /**
         * Not readable here: a query ({@code SELECT}, {@code TABLE}, {@code WITH}, a parenthesised one), a text that
         * does not start with {@code INSERT INTO} or {@code COPY}, a malformed token, or a string constant whose extent
         * depends on an unknown {@code standard_conforming_strings}.
         */
        UNREADABLE
    }

    private static final ImplicitColumns UNREADABLE = new ImplicitColumns(Kind.UNREADABLE, -1, 0);

    /**
     * @param standardConformingStrings the session's setting; null when not known
     * @return null when the statement names its columns, else where the list goes and what it must hold
     */
    public static ImplicitColumns find(String sql, Boolean standardConformingStrings) {
        SqlLexer lexer = new SqlLexer(sql, 0, sql.length(),
                standardConformingStrings == null || standardConformingStrings);
        Tokens t = new Tokens(sql, lexer, standardConformingStrings != null);
        boolean insert;
        if (t.keyword("insert")) {
            if (!t.next() || !t.keyword("into")) {
                return UNREADABLE;
            }
            insert = true;
        } else if (t.keyword("copy")) {
            insert = false;
        } else {
            return UNREADABLE;
        }
        int listAt = t.qualifiedName();
        if (listAt < 0) {
            return UNREADABLE;
        }
        if (insert && t.keyword("as")) {
            if (!t.next() || !t.name()) {
                return UNREADABLE;
            }
            listAt = lexer.end();
            t.next();
        }
        if (t.is(TokenKind.LEFT_PAREN)) {
            // a list of names, or (for an INSERT) a parenthesised query
            if (!t.next()) {
                return UNREADABLE;
            }
            return insert && (t.keyword("select") || t.keyword("values") || t.keyword("with") || t.keyword("table")
                    || t.is(TokenKind.LEFT_PAREN)) ? UNREADABLE : null;
        }
        if (!insert) {
            return t.keyword("from") ? new ImplicitColumns(Kind.COPY, listAt, 0) : UNREADABLE;
        }
        if (t.keyword("overriding")) {
            if (!t.next() || !t.next() || !t.keyword("value") || !t.next()) {
                return UNREADABLE;
            }
        }
        if (t.keyword("default")) {
            return t.next() && t.keyword("values") ? new ImplicitColumns(Kind.DEFAULT_VALUES, listAt, 0) : UNREADABLE;
        }
        if (!t.keyword("values") || !t.next() || !t.is(TokenKind.LEFT_PAREN)) {
            return UNREADABLE;
        }
        int values = t.firstRowWidth();
        return values < 1 ? UNREADABLE : new ImplicitColumns(Kind.VALUES, listAt, values);
    }

    /** The lexer's current token, read one at a time. */
    private static final class Tokens {
        private final String sql;
        private final SqlLexer lexer;
        private final boolean stringsKnown;
        private boolean bad;

        Tokens(String sql, SqlLexer lexer, boolean stringsKnown) {
            this.sql = sql;
            this.lexer = lexer;
            this.stringsKnown = stringsKnown;
            next();
        }

        /** Advances; false at the end or at a token that makes the text unreadable here. */
        boolean next() {
            if (bad || !lexer.next()) {
                bad = true;
                return false;
            }
            TokenKind kind = lexer.kind();
            if (lexer.malformed() || kind == TokenKind.OTHER || kind == TokenKind.UNTERMINATED_COMMENT
                    || !stringsKnown && kind == TokenKind.STRING && sql.indexOf('\\', lexer.start()) >= 0
                            && sql.indexOf('\\', lexer.start()) < lexer.end()) {
                bad = true;
                return false;
            }
            return true;
        }

        boolean is(TokenKind kind) {
            return !bad && lexer.kind() == kind;
        }

        boolean name() {
            return is(TokenKind.IDENTIFIER) || is(TokenKind.QUOTED_IDENTIFIER);
        }

        boolean keyword(String lower) {
            return is(TokenKind.IDENTIFIER) && lexer.end() - lexer.start() == lower.length()
                    && sql.regionMatches(true, lexer.start(), lower, 0, lower.length());
        }

        /** Reads {@code name[.name[.name]]}; the offset just past it, the lexer on the token after it, or -1. */
        int qualifiedName() {
            if (!next() || !name()) {
                return -1;
            }
            int end = lexer.end();
            for (int parts = 1; next() && is(TokenKind.DOT); parts++) {
                if (parts == 3 || !next() || !name()) {
                    return -1;
                }
                end = lexer.end();
            }
            return end;
        }

        /** The top-level expressions of the row whose parenthesis is the current token; 0 when it does not close. */
        int firstRowWidth() {
            int depth = 0;
            int width = 1;
            do {
                if (is(TokenKind.LEFT_PAREN) || is(TokenKind.LEFT_BRACKET)) {
                    depth++;
                } else if (is(TokenKind.RIGHT_PAREN) || is(TokenKind.RIGHT_BRACKET)) {
                    if (--depth == 0) {
                        return width;
                    }
                } else if (depth == 1 && is(TokenKind.COMMA)) {
                    width++;
                } else if (is(TokenKind.SEMICOLON)) {
                    return 0;
                }
            } while (next());
            return 0;
        }
    }
}
