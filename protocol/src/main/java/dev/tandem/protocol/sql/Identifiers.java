package dev.tandem.protocol.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL's rules for identifiers and literals, for every piece of SQL Tandem generates itself. User input never
 * reaches SQL text except through {@link #quoteIdentifier} or {@link #quoteLiteral}.
 */
public final class Identifiers {

    private Identifiers() {
    }

    /** {@code my"table} becomes {@code "my""table"}: always quoted, so case and keywords survive. */
    public static String quoteIdentifier(String name) {
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character");
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** {@code schema.table} as two quoted identifiers. */
    public static String quoteQualified(String schema, String name) {
        return quoteIdentifier(schema) + "." + quoteIdentifier(name);
    }

    /**
     * A string literal that is correct whatever {@code standard_conforming_strings} is: backslashes switch the
     * literal to the {@code E'...'} form with backslashes doubled.
     */
    public static String quoteLiteral(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal contains a NUL character");
        }
        String quoted = value.replace("'", "''");
        if (quoted.indexOf('\\') >= 0) {
            return "E'" + quoted.replace("\\", "\\\\") + "'";
        }
        return "'" + quoted + "'";
    }

    /**
     * Normalises one identifier as PostgreSQL does: unquoted folds to lower case, {@code "Quoted"} keeps its case
     * with {@code ""} unescaped. Only ASCII letters fold, as in PostgreSQL's {@code downcase_identifier} for UTF-8
     * databases: {@code Ä} stays {@code Ä}, and no locale can turn {@code I} into a dotless {@code ı}.
     */
    public static String normalize(String identifier) {
        if (identifier.length() >= 2 && identifier.charAt(0) == '"' && identifier.charAt(identifier.length() - 1) == '"') {
            return identifier.substring(1, identifier.length() - 1).replace("\"\"", "\"");
        }
        return asciiLowerCase(identifier);
    }

    private static String asciiLowerCase(String identifier) {
        int n = identifier.length();
        int i = 0;
        while (i < n && !isAsciiUpper(identifier.charAt(i))) {
            i++;
        }
        if (i == n) {
            return identifier;
        }
        char[] chars = identifier.toCharArray();
        for (; i < n; i++) {
            if (isAsciiUpper(chars[i])) {
                chars[i] += 'a' - 'A';
            }
        }
        return new String(chars);
    }

    private static boolean isAsciiUpper(char c) {
        return c >= 'A' && c <= 'Z';
    }

    /**
     * Splits a possibly qualified, possibly quoted name such as {@code public."My.Table"} into normalised parts.
     *
     * @throws IllegalArgumentException with a readable message on an unterminated quote or an empty part
     */
    public static List<String> parseQualifiedName(String text) {
        List<String> parts = new ArrayList<>(2);
        StringBuilder current = new StringBuilder();
        int i = 0;
        int n = text.length();
        while (i <= n) {
            if (i == n || text.charAt(i) == '.') {
                String part = current.toString().trim();
                if (part.isEmpty()) {
                    throw new IllegalArgumentException("empty name part in '" + text + "'");
                }
                parts.add(normalize(part));
                current.setLength(0);
                i++;
                continue;
            }
            char c = text.charAt(i);
            if (c == '"') {
                int end = i + 1;
                while (true) {
                    end = text.indexOf('"', end);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated quoted identifier in '" + text + "'");
                    }
                    if (end + 1 < n && text.charAt(end + 1) == '"') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                current.append(text, i, end + 1);
                i = end + 1;
            } else {
                current.append(c);
                i++;
            }
        }
        return parts;
    }
}
