package dev.tandem.protocol.sql;

/**
 * A cursor over the tokens of a SQL string, following PostgreSQL's lexical rules ({@code scan.l}). Whitespace and
 * comments are skipped. With {@code standard_conforming_strings} off (a session setting the server reports in
 * ParameterStatus), a backslash escapes the next character in plain {@code '...'} strings too, as in {@code E'...'}. A token is its
 * {@link #kind()} and the {@code [start, end)} range of the original string: nothing is copied and nothing is
 * allocated per token.
 *
 * <p>Input PostgreSQL would reject at the lexical level (unterminated quote, comment or dollar quote, {@code ""},
 * trailing junk after a number) never throws: the token runs as far as it can (to the end of input when
 * unterminated) and {@link #malformed()} is set.
 *
 * <p>Not thread-safe; one instance per string being scanned.
 */
public final class SqlLexer {

    private final String sql;
    private final int limit;
    private final boolean standardConformingStrings;
    private int pos;
    private TokenKind kind;
    private int start;
    private int end;
    private boolean malformed;

    /** Scans all of {@code sql} with {@code standard_conforming_strings} on (PostgreSQL's default since 9.1). */
    public SqlLexer(String sql) {
        this(sql, 0, sql.length(), true);
    }

    /** Scans {@code sql} from {@code from} (inclusive) to {@code to} (exclusive). */
    public SqlLexer(String sql, int from, int to, boolean standardConformingStrings) {
        if (from < 0 || to > sql.length() || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") outside a string of length " + sql.length());
        }
        this.sql = sql;
        this.pos = from;
        this.limit = to;
        this.standardConformingStrings = standardConformingStrings;
    }

    public TokenKind kind() {
        return kind;
    }

    public int start() {
        return start;
    }

    public int end() {
        return end;
    }

    /** Whether PostgreSQL would reject the current token (see the class comment). */
    public boolean malformed() {
        return malformed;
    }

    /** The current token's text; allocates, so meant for tests and error messages. */
    public String text() {
        return sql.substring(start, end);
    }

    /** Advances to the next token; false (and no current token) at the end of input. */
    public boolean next() {
        malformed = false;
        int p = skipSpace(pos);
        if (p < 0) {
            // an unterminated block comment: it is the last token
            start = -p - 1;
            end = limit;
            kind = TokenKind.UNTERMINATED_COMMENT;
            malformed = true;
            pos = limit;
            return true;
        }
        if (p >= limit) {
            pos = limit;
            kind = null;
            start = end = limit;
            return false;
        }
        start = p;
        char c = sql.charAt(p);
        switch (c) {
            case '\'':
                end = quoted(p + 1, !standardConformingStrings);
                kind = TokenKind.STRING;
                break;
            case '"':
                end = quotedIdentifier(p + 1, p + 1);
                kind = TokenKind.QUOTED_IDENTIFIER;
                break;
            case '$':
                end = dollar(p);
                break;
            case '(':
                single(TokenKind.LEFT_PAREN, p);
                break;
            case ')':
                single(TokenKind.RIGHT_PAREN, p);
                break;
            case '[':
                single(TokenKind.LEFT_BRACKET, p);
                break;
            case ']':
                single(TokenKind.RIGHT_BRACKET, p);
                break;
            case ',':
                single(TokenKind.COMMA, p);
                break;
            case ';':
                single(TokenKind.SEMICOLON, p);
                break;
            case ':':
                if (p + 1 < limit && (sql.charAt(p + 1) == ':' || sql.charAt(p + 1) == '=')) {
                    kind = TokenKind.OPERATOR;
                    end = p + 2;
                } else {
                    single(TokenKind.COLON, p);
                }
                break;
            case '.':
                if (p + 1 < limit && isDigit(sql.charAt(p + 1))) {
                    end = number(p);
                } else if (p + 1 < limit && sql.charAt(p + 1) == '.') {
                    kind = TokenKind.OPERATOR;
                    end = p + 2;
                } else {
                    single(TokenKind.DOT, p);
                }
                break;
            default:
                if (isDigit(c)) {
                    end = number(p);
                } else if (isIdentStart(c)) {
                    end = identifierOrPrefixedString(p, c);
                } else if (isOpChar(c)) {
                    kind = TokenKind.OPERATOR;
                    end = operator(p);
                } else {
                    single(TokenKind.OTHER, p);
                }
        }
        pos = end;
        return true;
    }

    private void single(TokenKind k, int p) {
        kind = k;
        end = p + 1;
    }

    /**
     * Skips whitespace and comments. Returns the next token's offset, or {@code -(commentStart + 1)} when a block
     * comment is still open at the end of input.
     */
    private int skipSpace(int p) {
        while (p < limit) {
            char c = sql.charAt(p);
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\u000B') {
                p++;
            } else if (c == '-' && p + 1 < limit && sql.charAt(p + 1) == '-') {
                p = lineCommentEnd(p + 2);
            } else if (c == '/' && p + 1 < limit && sql.charAt(p + 1) == '*') {
                int after = blockCommentEnd(p + 2);
                if (after < 0) {
                    return -p - 1;
                }
                p = after;
            } else {
                return p;
            }
        }
        return p;
    }

    private int lineCommentEnd(int p) {
        while (p < limit) {
            char c = sql.charAt(p);
            if (c == '\n' || c == '\r') {
                return p;
            }
            p++;
        }
        return p;
    }

    /** Block comments nest; returns the offset after the closing {@code * /}, or -1 when unterminated. */
    private int blockCommentEnd(int p) {
        int depth = 1;
        while (p + 1 < limit) {
            char c = sql.charAt(p);
            char d = sql.charAt(p + 1);
            if (c == '/' && d == '*') {
                depth++;
                p += 2;
            } else if (c == '*' && d == '/') {
                if (--depth == 0) {
                    return p + 2;
                }
                p += 2;
            } else {
                p++;
            }
        }
        return -1;
    }

    /**
     * The rest of a single-quoted literal whose body starts at {@code p}, including continuations on later lines.
     * With {@code backslashEscapes} (E'..'), a backslash escapes the next character.
     */
    private int quoted(int p, boolean backslashEscapes) {
        while (true) {
            while (true) {
                if (p >= limit) {
                    malformed = true;
                    return limit;
                }
                char c = sql.charAt(p);
                if (c == '\'') {
                    if (p + 1 < limit && sql.charAt(p + 1) == '\'') {
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                p += (c == '\\' && backslashEscapes) ? 2 : 1;
            }
            int next = continuation(p);
            if (next < 0) {
                return Math.min(p, limit);
            }
            p = next + 1;
        }
    }

    /**
     * PostgreSQL glues {@code 'a'} and {@code 'b'} into one literal when only whitespace containing a newline (and
     * {@code --} comments) separates them. Returns the offset of the continuing quote, or -1.
     */
    private int continuation(int p) {
        boolean newline = false;
        while (p < limit) {
            char c = sql.charAt(p);
            if (c == ' ' || c == '\t' || c == '\f') {
                p++;
            } else if (c == '\n' || c == '\r') {
                newline = true;
                p++;
            } else if (c == '\u000B' && newline) {
                p++;
            } else if (c == '-' && p + 1 < limit && sql.charAt(p + 1) == '-') {
                p = lineCommentEnd(p + 2);
            } else if (c == '\'' && newline) {
                return p;
            } else {
                return -1;
            }
        }
        return -1;
    }

    /** A {@code "quoted identifier"} whose body starts at {@code p}; {@code ""} doubles a quote. */
    private int quotedIdentifier(int p, int bodyStart) {
        while (p < limit) {
            if (sql.charAt(p) == '"') {
                if (p + 1 < limit && sql.charAt(p + 1) == '"') {
                    p += 2;
                    continue;
                }
                if (p == bodyStart) {
                    malformed = true; // zero-length delimited identifier
                }
                return p + 1;
            }
            p++;
        }
        malformed = true;
        return limit;
    }

    /** {@code $1}, {@code $$..$$}, {@code $tag$..$tag$}, or a lone {@code $}. */
    private int dollar(int p) {
        int q = p + 1;
        if (q < limit && isDigit(sql.charAt(q))) {
            kind = TokenKind.PARAMETER;
            q = digits(q);
            if (q < limit && isIdentStart(sql.charAt(q))) {
                malformed = true; // $1abc: trailing junk after parameter
                q = identifierEnd(q);
            }
            return q;
        }
        if (q < limit && isIdentStart(sql.charAt(q))) {
            q++;
            while (q < limit && isDollarTagChar(sql.charAt(q))) {
                q++;
            }
        }
        if (q >= limit || sql.charAt(q) != '$') {
            kind = TokenKind.OTHER;
            return p + 1;
        }
        kind = TokenKind.STRING;
        int delimiterLength = q + 1 - p;
        int close = indexOf(sql, p, delimiterLength, q + 1);
        if (close < 0) {
            malformed = true;
            return limit;
        }
        return close + delimiterLength;
    }

    /** First offset at or after {@code from} where {@code sql[tagStart, tagStart + tagLength)} occurs within limit. */
    private int indexOf(String s, int tagStart, int tagLength, int from) {
        int last = limit - tagLength;
        for (int i = s.indexOf('$', from); i >= 0 && i <= last; i = s.indexOf('$', i + 1)) {
            if (s.regionMatches(i, s, tagStart, tagLength)) {
                return i;
            }
        }
        return -1;
    }

    private int number(int p) {
        kind = TokenKind.NUMBER;
        char c = sql.charAt(p);
        if (c == '0' && p + 1 < limit) {
            int radix = switch (sql.charAt(p + 1)) {
                case 'x', 'X' -> 16;
                case 'o', 'O' -> 8;
                case 'b', 'B' -> 2;
                default -> 0;
            };
            if (radix != 0) {
                int q = p + 2;
                int digitsStart = q;
                while (q < limit) {
                    char d = sql.charAt(q);
                    if (isRadixDigit(d, radix)) {
                        q++;
                    } else if (d == '_' && q + 1 < limit && isRadixDigit(sql.charAt(q + 1), radix)) {
                        q += 2;
                    } else {
                        break;
                    }
                }
                if (q == digitsStart) {
                    malformed = true; // 0x with no digits
                }
                return junk(q);
            }
        }
        int q = p;
        if (c != '.') {
            q = digits(q);
        }
        if (q < limit && sql.charAt(q) == '.' && !(q + 1 < limit && sql.charAt(q + 1) == '.')) {
            q++;
            if (q < limit && isDigit(sql.charAt(q))) {
                q = digits(q);
            }
        }
        if (q < limit && (sql.charAt(q) == 'e' || sql.charAt(q) == 'E')) {
            int e = q + 1;
            if (e < limit && (sql.charAt(e) == '+' || sql.charAt(e) == '-')) {
                e++;
            }
            if (e < limit && isDigit(sql.charAt(e))) {
                q = digits(e);
            } else {
                malformed = true; // 1e, 1e+: trailing junk
                return e < limit && isIdentStart(sql.charAt(e)) ? identifierEnd(e) : e;
            }
        }
        return junk(q);
    }

    /** PostgreSQL rejects {@code 123abc} as trailing junk after a numeric literal; take it all as one bad token. */
    private int junk(int q) {
        if (q < limit && isIdentStart(sql.charAt(q))) {
            malformed = true;
            return identifierEnd(q);
        }
        return q;
    }

    /** Decimal digits with single {@code _} separators between them. */
    private int digits(int q) {
        while (q < limit) {
            char d = sql.charAt(q);
            if (isDigit(d)) {
                q++;
            } else if (d == '_' && q + 1 < limit && isDigit(sql.charAt(q + 1))) {
                q += 2;
            } else {
                break;
            }
        }
        return q;
    }

    private int identifierOrPrefixedString(int p, char c) {
        if (p + 1 < limit) {
            char n = sql.charAt(p + 1);
            if (n == '\'') {
                switch (c) {
                    case 'e', 'E':
                        kind = TokenKind.STRING;
                        return quoted(p + 2, true);
                    case 'n', 'N':
                        kind = TokenKind.STRING;
                        return quoted(p + 2, !standardConformingStrings);
                    case 'b', 'B', 'x', 'X':
                        kind = TokenKind.STRING;
                        return quoted(p + 2, false);
                    default:
                        break;
                }
            } else if (n == '&' && (c == 'u' || c == 'U') && p + 2 < limit) {
                char q = sql.charAt(p + 2);
                if (q == '\'') {
                    kind = TokenKind.STRING;
                    return uescape(quoted(p + 3, false));
                }
                if (q == '"') {
                    kind = TokenKind.QUOTED_IDENTIFIER;
                    return uescape(quotedIdentifier(p + 3, p + 3));
                }
            }
        }
        kind = TokenKind.IDENTIFIER;
        return identifierEnd(p + 1);
    }

    /** Folds an optional {@code UESCAPE 'c'} after a {@code U&} literal into its token. */
    private int uescape(int literalEnd) {
        if (malformed) {
            return literalEnd;
        }
        int p = skipSpace(literalEnd);
        if (p < 0 || p + 7 > limit || !Keywords.equalsIgnoreCase(sql, p, p + 7, "uescape")
                || (p + 7 < limit && isIdentCont(sql.charAt(p + 7)))) {
            return literalEnd;
        }
        int s = skipSpace(p + 7);
        if (s < 0 || s >= limit || sql.charAt(s) != '\'') {
            malformed = true;
            return p + 7;
        }
        int e = quoted(s + 1, false);
        char escape = e - s == 3 ? sql.charAt(s + 1) : 0;
        if (malformed || escape == 0 || isHexDigit(escape) || escape == '+' || escape == '\'' || escape == '"'
                || escape == ' ' || escape == '\t' || escape == '\n' || escape == '\r' || escape == '\f') {
            malformed = true; // PostgreSQL: invalid Unicode escape character
        }
        return e;
    }

    private int identifierEnd(int p) {
        while (p < limit && isIdentCont(sql.charAt(p))) {
            p++;
        }
        return p;
    }

    /**
     * A run of operator characters, cut before an embedded comment start, and without trailing {@code +}/{@code -}
     * unless the run has a character SQL's own operators never use (so {@code =-} is two tokens, {@code ?-} one).
     */
    private int operator(int p) {
        int q = p + 1;
        while (q < limit && isOpChar(sql.charAt(q))) {
            char prev = sql.charAt(q - 1);
            char c = sql.charAt(q);
            if ((prev == '/' && c == '*') || (prev == '-' && c == '-')) {
                q--;
                break;
            }
            q++;
        }
        int n = q - p;
        if (n > 1 && (sql.charAt(q - 1) == '+' || sql.charAt(q - 1) == '-')) {
            boolean exotic = false;
            for (int i = q - 2; i >= p; i--) {
                char c = sql.charAt(i);
                if (c == '~' || c == '!' || c == '@' || c == '#' || c == '^' || c == '&' || c == '|' || c == '`'
                        || c == '?' || c == '%') {
                    exotic = true;
                    break;
                }
            }
            if (!exotic) {
                do {
                    q--;
                } while (q - p > 1 && (sql.charAt(q - 1) == '+' || sql.charAt(q - 1) == '-'));
            }
        }
        return q;
    }

    private static final byte DIGIT = 1;
    private static final byte LETTER = 2;
    private static final byte DOLLAR = 4;
    private static final byte OP = 8;
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            ASCII_CLASS[c] = DIGIT;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            ASCII_CLASS[c] = LETTER;
            ASCII_CLASS[c - 'a' + 'A'] = LETTER;
        }
        ASCII_CLASS['_'] = LETTER;
        ASCII_CLASS['$'] = DOLLAR;
        for (char c : "~!@#^&|`?+-*/%<>=".toCharArray()) {
            ASCII_CLASS[c] = OP;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHexDigit(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isRadixDigit(char c, int radix) {
        return switch (radix) {
            case 16 -> isHexDigit(c);
            case 8 -> c >= '0' && c <= '7';
            default -> c == '0' || c == '1';
        };
    }

    /** PostgreSQL works on bytes: every byte of a multi-byte character is >= 0x80 and counts as a letter. */
    private static boolean isIdentStart(char c) {
        return c >= 0x80 || ASCII_CLASS[c] == LETTER;
    }

    private static boolean isIdentCont(char c) {
        return c >= 0x80 || (ASCII_CLASS[c] & (LETTER | DIGIT | DOLLAR)) != 0;
    }

    private static boolean isDollarTagChar(char c) {
        return c >= 0x80 || (ASCII_CLASS[c] & (LETTER | DIGIT)) != 0;
    }

    private static boolean isOpChar(char c) {
        return c < 0x80 && ASCII_CLASS[c] == OP;
    }
}
