package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.TokenBuffer;
import dev.tandem.protocol.sql.TokenKind;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where a statement may change a setting the capture follows ({@link ReplicationRoleState}, {@link CurrentUserState},
 * {@link SearchPathState}) without a SET it can read: a {@code set_config} call, or a {@code DO} block whose body does it. What such a
 * statement sets is not followed: the setting's value is not known after it.
 */
final class SettingCalls {

    private SettingCalls() {
    }

    /**
     * Whether {@code s} calls {@code set_config} for one of {@code names} (lower case), or for a setting whose name it
     * does not write as a constant. The classifier found the call ({@link ClassifiedStatement#callsSetConfig}), once
     * per statement text; only then is the text read again for the setting's name. Writes and DDL are not read
     * through: a set_config there would be absurd. Nor is a PREPARE, which runs nothing: an SQL-level EXECUTE is read
     * through the text it runs ({@link SessionCapture}).
     */
    static boolean setConfig(ClassifiedStatement s, String sql, Set<String> names) {
        return switch (s.kind()) {
            case INSERT, COPY_FROM_STDIN, COPY_FROM_SERVER, UPDATE, DELETE, MERGE, DDL, SET, TRANSACTION, PREPARE ->
                    false;
            default -> s.callsSetConfig() && setConfig(s.text(sql), names);
        };
    }

    /** Whether {@code text} calls {@code set_config} as {@link #setConfig(ClassifiedStatement, String, Set)} tells. */
    static boolean setConfig(String text, Set<String> names) {
        if (!SqlWords.contains(text, "set_config")) {
            return false;
        }
        TokenBuffer t = TokenBuffer.tokenize(text);
        for (int i = 0; i + 1 < t.size(); i++) {
            if (t.isName(i) && "set_config".equals(t.identifier(i)) && t.is(i + 1, TokenKind.LEFT_PAREN)) {
                String name = t.is(i + 2, TokenKind.STRING) && t.is(i + 3, TokenKind.COMMA) ? t.stringValue(i + 2)
                        : null;
                if (name == null || names.contains(name.toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether every {@code set_config} call in {@code text} for one of {@code names} (as
     * {@link #setConfig(String, Set)} tells) passes {@code is_local} as the constant {@code true}: what it sets then
     * ends with the transaction, as a SET LOCAL's does.
     */
    static boolean onlyLocal(String text, Set<String> names) {
        TokenBuffer t = TokenBuffer.tokenize(text);
        for (int i = 0; i + 1 < t.size(); i++) {
            if (t.isName(i) && "set_config".equals(t.identifier(i)) && t.is(i + 1, TokenKind.LEFT_PAREN)) {
                String name = t.is(i + 2, TokenKind.STRING) && t.is(i + 3, TokenKind.COMMA) ? t.stringValue(i + 2)
                        : null;
                if ((name == null || names.contains(name.toLowerCase(Locale.ROOT))) && !localArgument(t, i + 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the call whose argument list opens at {@code open} has the constant {@code true} as its third. */
    private static boolean localArgument(TokenBuffer t, int open) {
        int depth = 0;
        int argument = 0;
        int third = -1;
        for (int j = open + 1; j < t.size(); j++) {
            if (t.is(j, TokenKind.LEFT_PAREN) || t.is(j, TokenKind.LEFT_BRACKET)) {
                depth++;
            } else if ((t.is(j, TokenKind.RIGHT_PAREN) || t.is(j, TokenKind.RIGHT_BRACKET)) && depth > 0) {
                depth--;
            } else if (t.is(j, TokenKind.RIGHT_PAREN)) {
                return argument == 2 && third == j - 1 && isTrue(t, third);
            } else if (t.is(j, TokenKind.COMMA) && depth == 0) {
                argument++;
                if (argument == 2) {
                    third = j + 1;
                }
            }
        }
        return false;
    }

    private static boolean isTrue(TokenBuffer t, int i) {
        String value = t.is(i, TokenKind.STRING) ? t.stringValue(i) : t.isKeyword(i, "true") ? "true" : null;
        return value != null && switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "t", "on", "yes", "y", "1" -> true;
            default -> false;
        };
    }

    /**
     * Whether {@code s} is a {@code DO} block (its text containing one of {@code words}, a cheap test made first) with
     * a body that {@code body} holds true for.
     */
    static boolean doBlock(ClassifiedStatement s, String sql, Set<String> words, Predicate<String> body) {
        if (s.kind() != Kind.OTHER || !startsWithDo(sql, s.start(), s.end())) {
            return false;
        }
        boolean named = false;
        for (String word : words) {
            named = named || SqlWords.contains(sql, s.start(), s.end(), word);
        }
        if (!named) {
            return false;
        }
        TokenBuffer t = TokenBuffer.tokenize(s.text(sql));
        for (int i = 1; i < t.size(); i++) {
            String text = t.is(i, TokenKind.STRING) ? t.stringValue(i) : null;
            if (text != null && body.test(text)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the statement's first token ({@code start} is where it begins) is the word {@code DO}. */
    static boolean startsWithDo(String sql, int start, int end) {
        return end - start > 2 && sql.regionMatches(true, start, "do", 0, 2)
                && !Character.isLetterOrDigit(sql.charAt(start + 2)) && sql.charAt(start + 2) != '_'
                && sql.charAt(start + 2) != '$';
    }
}
