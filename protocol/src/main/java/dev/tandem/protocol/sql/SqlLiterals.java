package dev.tandem.protocol.sql;

/** Decoding of the constant and identifier forms {@link SqlLexer} recognises, for tokens it found well-formed. */
final class SqlLiterals {

    /** PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated (with a NOTICE) to this many bytes. */
    static final int MAX_IDENTIFIER_BYTES = 63;

    private SqlLiterals() {
    }

    /** The value of the string token {@code sql[s, e)}; null when an escape is invalid. */
    static String stringValue(String sql, int s, int e, boolean standardConformingStrings) {
        char first = sql.charAt(s);
        if (first == '$') {
            int tagEnd = sql.indexOf('$', s + 1);
            int delimiter = tagEnd + 1 - s;
            return sql.substring(tagEnd + 1, e - delimiter);
        }
        boolean backslashes = first == 'e' || first == 'E'
                || (!standardConformingStrings && (first == '\'' || first == 'n' || first == 'N'));
        boolean unicode = (first == 'u' || first == 'U') && sql.charAt(s + 1) == '&';
        int p = sql.indexOf('\'', s);
        StringBuilder out = new StringBuilder(e - s);
        while (true) {
            p++;
            while (true) {
                char c = sql.charAt(p);
                if (c == '\'') {
                    if (p + 1 < e && sql.charAt(p + 1) == '\'') {
                        out.append('\'');
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (c == '\\' && backslashes) {
                    p = backslashEscape(sql, p + 1, out);
                    continue;
                }
                out.append(c);
                p++;
            }
            p = skipSpaceAndLineComments(sql, p, e);
            if (p >= e || sql.charAt(p) != '\'') {
                break;
            }
        }
        if (unicode) {
            char escape = p < e ? sql.charAt(e - 2) : '\\';
            return unicodeEscapes(out, escape);
        }
        return out.toString();
    }

    /** The name in a {@code U&"..."} token (with optional UESCAPE clause); null when an escape is invalid. */
    static String unicodeIdentifier(String sql, int s, int e) {
        StringBuilder body = new StringBuilder(e - s);
        int p = s + 3;
        while (true) {
            char c = sql.charAt(p);
            if (c == '"') {
                if (p + 1 < e && sql.charAt(p + 1) == '"') {
                    body.append('"');
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            body.append(c);
            p++;
        }
        p = skipSpaceAndLineComments(sql, p, e);
        char escape = p < e ? sql.charAt(e - 2) : '\\';
        return unicodeEscapes(body, escape);
    }

    private static int skipSpaceAndLineComments(String sql, int p, int e) {
        while (p < e) {
            char c = sql.charAt(p);
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\u000B') {
                p++;
            } else if (c == '-' && p + 1 < e && sql.charAt(p + 1) == '-') {
                while (p < e && sql.charAt(p) != '\n' && sql.charAt(p) != '\r') {
                    p++;
                }
            } else if (c == '/' && p + 1 < e && sql.charAt(p + 1) == '*') {
                int depth = 1;
                p += 2;
                while (p + 1 < e && depth > 0) {
                    if (sql.charAt(p) == '/' && sql.charAt(p + 1) == '*') {
                        depth++;
                        p += 2;
                    } else if (sql.charAt(p) == '*' && sql.charAt(p + 1) == '/') {
                        depth--;
                        p += 2;
                    } else {
                        p++;
                    }
                }
            } else {
                return p;
            }
        }
        return p;
    }

    /** Decodes the escape after a backslash at {@code p} in an E'' string; returns the offset after it. */
    private static int backslashEscape(String sql, int p, StringBuilder out) {
        char c = sql.charAt(p);
        switch (c) {
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'x' -> {
                int q = p + 1;
                int v = 0;
                while (q < p + 3 && Character.digit(sql.charAt(q), 16) >= 0) {
                    v = v * 16 + Character.digit(sql.charAt(q), 16);
                    q++;
                }
                if (q == p + 1) {
                    out.append('x');
                    return q;
                }
                out.append((char) v);
                return q;
            }
            case 'u', 'U' -> {
                int n = c == 'u' ? 4 : 8;
                if (p + 1 + n <= sql.length() && allHex(sql, p + 1, p + 1 + n)) {
                    out.appendCodePoint(Integer.parseInt(sql, p + 1, p + 1 + n, 16));
                    return p + 1 + n;
                }
                out.append(c);
            }
            default -> {
                if (c >= '0' && c <= '7') {
                    int q = p;
                    int v = 0;
                    while (q < p + 3 && sql.charAt(q) >= '0' && sql.charAt(q) <= '7') {
                        v = v * 8 + sql.charAt(q) - '0';
                        q++;
                    }
                    out.append((char) (v & 0xFF));
                    return q;
                }
                out.append(c);
            }
        }
        return p + 1;
    }

    private static boolean allHex(CharSequence s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code \XXXX}, {@code \+XXXXXX} and a doubled escape character, with any escape character. */
    private static String unicodeEscapes(CharSequence body, char escape) {
        StringBuilder out = new StringBuilder(body.length());
        int n = body.length();
        for (int i = 0; i < n; i++) {
            char c = body.charAt(i);
            if (c != escape) {
                out.append(c);
                continue;
            }
            if (i + 1 < n && body.charAt(i + 1) == escape) {
                out.append(escape);
                i++;
            } else if (i + 5 <= n && allHex(body, i + 1, i + 5)) {
                out.appendCodePoint(Integer.parseInt(body, i + 1, i + 5, 16));
                i += 4;
            } else if (i + 8 <= n && body.charAt(i + 1) == '+' && allHex(body, i + 2, i + 8)) {
                int codePoint = Integer.parseInt(body, i + 2, i + 8, 16);
                if (!Character.isValidCodePoint(codePoint)) {
                    return null;
                }
                out.appendCodePoint(codePoint);
                i += 7;
            } else {
                return null;
            }
        }
        return out.toString();
    }

    /** Cuts {@code name} to {@link #MAX_IDENTIFIER_BYTES} UTF-8 bytes on a character boundary, as PostgreSQL does. */
    static String truncateIdentifier(String name) {
        if (name.length() * 3 <= MAX_IDENTIFIER_BYTES) {
            return name;
        }
        int bytes = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > MAX_IDENTIFIER_BYTES) {
                return name.substring(0, i);
            }
            bytes += size;
            i += Character.charCount(cp);
        }
        return name;
    }
}
