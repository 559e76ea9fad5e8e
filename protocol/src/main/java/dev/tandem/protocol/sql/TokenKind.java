package dev.tandem.protocol.sql;

/**
 * What PostgreSQL's lexer ({@code src/backend/parser/scan.l}) produces, folded to what statement classification needs.
 * Keywords are {@link #IDENTIFIER}s: PostgreSQL decides keyword-ness in the grammar, not in the lexer.
 */
public enum TokenKind {
    /** Unquoted identifier or keyword: {@code metrics}, {@code SELECT}, {@code a$b}. */
    IDENTIFIER,
    /** {@code "Quoted"} or {@code U&"d\0061t"}, the latter including a trailing {@code UESCAPE 'c'} clause. */
    QUOTED_IDENTIFIER,
    /**
     * Any string constant: {@code '..'}, {@code E'..'}, {@code B'..'}, {@code X'..'}, {@code N'..'},
     * {@code U&'..'} (with its {@code UESCAPE} clause), {@code $tag$..$tag$}; newline-separated continuations
     * ({@code 'a'\n'b'}) are one token, as in PostgreSQL.
     */
    STRING,
    /** Integer or numeric constant, including {@code 0x1F}, {@code 1_000}, {@code .5e3}. */
    NUMBER,
    /** Positional parameter {@code $1}. */
    PARAMETER,
    /** A run of operator characters ({@code <>}, {@code ->>}, {@code +}) and {@code ::}, {@code :=}, {@code ..}. */
    OPERATOR,
    LEFT_PAREN,
    RIGHT_PAREN,
    LEFT_BRACKET,
    RIGHT_BRACKET,
    COMMA,
    SEMICOLON,
    DOT,
    COLON,
    /** A {@code /*} comment still open at the end of input; PostgreSQL rejects the whole string. */
    UNTERMINATED_COMMENT,
    /** A character the lexer passes through and the grammar rejects: {@code \}, <code>{</code>, a stray {@code $}. */
    OTHER;

    private static final TokenKind[] VALUES = values();

    static TokenKind of(int ordinal) {
        return VALUES[ordinal];
    }
}
