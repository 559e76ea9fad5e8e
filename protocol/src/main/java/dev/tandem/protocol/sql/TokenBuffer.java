package dev.tandem.protocol.sql;

import java.util.Arrays;

/**
 * All tokens of one SQL string in a flat {@code int[]} (kind, start, end per token): one allocation for the whole
 * string instead of one object per token. Index-based accessors read a token's kind, range and normalised value.
 */
public final class TokenBuffer {

    private static final int STRIDE = 3;
    private static final int MALFORMED = 0x100;
    private static final int KIND_MASK = 0xFF;
    /**
     * First capacity, in tokens, for long SQL: a statement's length says little about its token count (one 100 MB
     * literal is one token), and an array sized by the length would take three times the SQL's size in heap. The
     * array doubles as it fills, so a statement of many tokens still costs a few copies, not one per token.
     */
    private static final int MAX_INITIAL_TOKENS = 4096;

    private final String sql;
    private final boolean standardConformingStrings;
    private int[] data;
    private int count;

    private TokenBuffer(String sql, boolean standardConformingStrings, int capacity) {
        this.sql = sql;
        this.standardConformingStrings = standardConformingStrings;
        this.data = new int[capacity * STRIDE];
    }

    /** Lexes the whole of {@code sql} with {@code standard_conforming_strings} on; never throws. */
    public static TokenBuffer tokenize(String sql) {
        return tokenize(sql, true);
    }

    /** Lexes the whole of {@code sql}; never throws on malformed SQL (see {@link SqlLexer}). */
    public static TokenBuffer tokenize(String sql, boolean standardConformingStrings) {
        TokenBuffer buffer = new TokenBuffer(sql, standardConformingStrings,
                Math.max(8, Math.min(sql.length() / 4, MAX_INITIAL_TOKENS)));
        SqlLexer lexer = new SqlLexer(sql, 0, sql.length(), standardConformingStrings);
        while (lexer.next()) {
            buffer.add(lexer.kind().ordinal() | (lexer.malformed() ? MALFORMED : 0), lexer.start(), lexer.end());
        }
        return buffer;
    }

    private void add(int kindAndFlags, int start, int end) {
        int at = count * STRIDE;
        if (at + STRIDE > data.length) {
            data = Arrays.copyOf(data, data.length * 2);
        }
        data[at] = kindAndFlags;
        data[at + 1] = start;
        data[at + 2] = end;
        count++;
    }

    public String sql() {
        return sql;
    }

    public int size() {
        return count;
    }

    /** The kind's ordinal, for hot loops that switch on it without the enum look-up. */
    int kindOrdinal(int i) {
        return data[i * STRIDE] & KIND_MASK;
    }

    public TokenKind kind(int i) {
        return TokenKind.of(data[i * STRIDE] & KIND_MASK);
    }

    public int start(int i) {
        return data[i * STRIDE + 1];
    }

    public int end(int i) {
        return data[i * STRIDE + 2];
    }

    public boolean malformed(int i) {
        return (data[i * STRIDE] & MALFORMED) != 0;
    }

    public String text(int i) {
        return sql.substring(start(i), end(i));
    }

    /** Whether token {@code i} exists and has kind {@code k}. */
    public boolean is(int i, TokenKind k) {
        return i >= 0 && i < count && (data[i * STRIDE] & KIND_MASK) == k.ordinal();
    }

    /** Whether token {@code i} is the unquoted word {@code lowerKeyword} (ASCII case-insensitive). */
    public boolean isKeyword(int i, String lowerKeyword) {
        return is(i, TokenKind.IDENTIFIER) && Keywords.equalsIgnoreCase(sql, start(i), end(i), lowerKeyword);
    }

    /** Whether token {@code i} is an identifier, quoted or not. */
    public boolean isName(int i) {
        return is(i, TokenKind.IDENTIFIER) || is(i, TokenKind.QUOTED_IDENTIFIER);
    }

    /**
     * Index just past {@code INSERT INTO name [AS alias]} at the start, or -1 when the tokens do not start so: where an
     * INSERT's column list or VALUES begins.
     */
    public int insertTargetEnd() {
        if (!isKeyword(0, "insert") || !isKeyword(1, "into")) {
            return -1;
        }
        int i = qualifiedNameEnd(2);
        if (i >= 0 && isKeyword(i, "as")) {
            return isName(i + 1) ? i + 2 : -1;
        }
        return i;
    }

    /**
     * Index just past a qualified name {@code name[.name[.name]]} starting at token {@code i}, or -1 when there is
     * none there or it has more parts than PostgreSQL accepts.
     */
    public int qualifiedNameEnd(int i) {
        if (!isName(i)) {
            return -1;
        }
        i++;
        for (int parts = 1; parts < 3 && is(i, TokenKind.DOT) && isName(i + 1); parts++) {
            i += 2;
        }
        return is(i, TokenKind.DOT) ? -1 : i;
    }

    /**
     * The identifier token {@code i} normalised as PostgreSQL does: unquoted folds ASCII letters to lower case,
     * {@code "quoted"} keeps its case, {@code U&"..."} has its escapes decoded, and all are truncated to 63 bytes.
     * Null when the token is not an identifier or cannot be decoded.
     */
    public String identifier(int i) {
        if (!isName(i) || malformed(i)) {
            return null;
        }
        int s = start(i);
        int e = end(i);
        String name;
        char first = sql.charAt(s);
        if (first == 'u' || first == 'U') {
            if (s + 1 < e && sql.charAt(s + 1) == '&') {
                name = SqlLiterals.unicodeIdentifier(sql, s, e);
                if (name == null) {
                    return null;
                }
            } else {
                name = Identifiers.normalize(sql.substring(s, e));
            }
        } else {
            name = Identifiers.normalize(sql.substring(s, e));
        }
        return SqlLiterals.truncateIdentifier(name);
    }

    /** The value of string constant {@code i} with quotes and escapes removed; null when it is not a (valid) string. */
    public String stringValue(int i) {
        if (!is(i, TokenKind.STRING) || malformed(i)) {
            return null;
        }
        return SqlLiterals.stringValue(sql, start(i), end(i), standardConformingStrings);
    }
}
