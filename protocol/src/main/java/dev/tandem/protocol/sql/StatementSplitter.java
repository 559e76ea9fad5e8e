package dev.tandem.protocol.sql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a multi-statement string at top-level {@code ;}: not inside quotes, comments or dollar quotes (the lexer
 * sees to those), not inside parentheses ({@code CREATE RULE r AS ON INSERT TO t DO (a; b)}), and not inside the
 * {@code BEGIN ATOMIC ... END} body of a SQL-standard function. The last uses psql's heuristic ({@code psqlscan.l}):
 * only in a statement that starts {@code CREATE [OR REPLACE] FUNCTION|PROCEDURE}, {@code BEGIN} opens a block,
 * {@code CASE} opens one inside a block, and {@code END} closes one. Empty statements are dropped.
 */
public final class StatementSplitter {

    /** Per statement: first token, end token (exclusive, the {@code ;} is not included), flags. */
    static final int STRIDE = 3;
    /** The statement's parentheses, or its BEGIN ATOMIC ... END blocks, do not balance. */
    static final int UNBALANCED = 1;

    private static final int LEFT_PAREN = TokenKind.LEFT_PAREN.ordinal();
    private static final int RIGHT_PAREN = TokenKind.RIGHT_PAREN.ordinal();
    private static final int IDENTIFIER = TokenKind.IDENTIFIER.ordinal();
    private static final int SEMICOLON = TokenKind.SEMICOLON.ordinal();

    private StatementSplitter() {
    }

    /** The span of each non-empty statement in {@code sql}, from its first token to the end of its last. */
    public static List<StatementSpan> split(String sql) {
        return split(sql, true);
    }

    /** As {@link #split(String)}, lexed with the session's {@code standard_conforming_strings}. */
    public static List<StatementSpan> split(String sql, boolean standardConformingStrings) {
        TokenBuffer tokens = TokenBuffer.tokenize(sql, standardConformingStrings);
        int[] statements = split(tokens);
        List<StatementSpan> spans = new ArrayList<>(statements.length / STRIDE);
        for (int i = 0; i < statements.length; i += STRIDE) {
            spans.add(new StatementSpan(tokens.start(statements[i]), tokens.end(statements[i + 1] - 1)));
        }
        return spans;
    }

    /** Statements of {@code tokens} as {@link #STRIDE} ints each. */
    static int[] split(TokenBuffer tokens) {
        int[] out = new int[STRIDE * 2];
        int n = 0;
        int first = 0;
        int parenDepth = 0;
        int beginDepth = 0;
        boolean unbalanced = false;
        // psql remembers the first letter of CREATE/OR/REPLACE/FUNCTION/PROCEDURE among a statement's first words
        int wordCount = 0;
        char[] words = new char[4];
        int size = tokens.size();
        for (int i = 0; i <= size; i++) {
            if (i == size || (tokens.kindOrdinal(i) == SEMICOLON && parenDepth == 0 && beginDepth == 0)) {
                if (i > first) {
                    if (n + STRIDE > out.length) {
                        out = Arrays.copyOf(out, out.length * 2);
                    }
                    out[n] = first;
                    out[n + 1] = i;
                    out[n + 2] = unbalanced || parenDepth != 0 || beginDepth != 0 ? UNBALANCED : 0;
                    n += STRIDE;
                }
                first = i + 1;
                parenDepth = 0;
                beginDepth = 0;
                unbalanced = false;
                if (wordCount > 0) {
                    wordCount = 0;
                    Arrays.fill(words, '\0');
                }
                continue;
            }
            int kind = tokens.kindOrdinal(i);
            if (kind == LEFT_PAREN) {
                parenDepth++;
            } else if (kind == RIGHT_PAREN) {
                if (parenDepth > 0) {
                    parenDepth--;
                } else {
                    unbalanced = true;
                }
            } else if (kind == IDENTIFIER) {
                if (wordCount < words.length && isFunctionHeaderWord(tokens, i)) {
                    words[wordCount] = Character.toLowerCase(tokens.sql().charAt(tokens.start(i)));
                }
                wordCount++;
                if (parenDepth == 0 && words[0] == 'c' && startsFunctionDefinition(words)) {
                    if (tokens.isKeyword(i, "begin")) {
                        beginDepth++;
                    } else if (tokens.isKeyword(i, "case")) {
                        if (beginDepth >= 1) {
                            beginDepth++;
                        }
                    } else if (tokens.isKeyword(i, "end") && beginDepth > 0) {
                        beginDepth--;
                    }
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static boolean isFunctionHeaderWord(TokenBuffer tokens, int i) {
        int length = tokens.end(i) - tokens.start(i);
        if (length != 6 && length != 2 && length != 7 && length != 8 && length != 9) {
            return false;
        }
        return tokens.isKeyword(i, "create") || tokens.isKeyword(i, "function") || tokens.isKeyword(i, "procedure")
                || tokens.isKeyword(i, "or") || tokens.isKeyword(i, "replace");
    }

    private static boolean startsFunctionDefinition(char[] w) {
        return w[0] == 'c' && (w[1] == 'f' || w[1] == 'p' || (w[1] == 'o' && w[2] == 'r' && (w[3] == 'f' || w[3] == 'p')));
    }
}
