package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a COPY's data is laid out, from its statement's format and option text ({@code WITH (FORMAT csv, HEADER true)},
 * or the old {@code CSV HEADER DELIMITER AS ';'}): how its rows and fields are split ({@link CopyFields}), for the
 * mirror's count of late rows and to tell where a source before PostgreSQL 18 ended the data ({@link CopyEndMarker}).
 */
public record CopyLayout(CopyFormat format, byte delimiter, String nullString, boolean header, byte quote, byte escape) {

    /** Null when the options say something this class cannot follow (a delimiter of several bytes, say). */
    public static CopyLayout of(CopyFormat format, String options) {
        List<String> tokens = tokens(options == null ? "" : options);
        if (tokens == null) {
            return null;
        }
        CopyFormat f = format;
        String delimiter = null;
        String nullString = null;
        boolean header = false;
        String quote = "\"";
        String escape = null;
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i).toLowerCase(Locale.ROOT);
            String next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
            if ("as".equalsIgnoreCase(next) && i + 2 < tokens.size()) {
                i++;
                next = tokens.get(i + 1);
            }
            switch (t) {
                case "csv" -> f = CopyFormat.CSV;
                case "binary" -> f = CopyFormat.BINARY;
                case "format" -> {
                    f = next == null ? f : switch (next.toLowerCase(Locale.ROOT)) {
                        case "csv" -> CopyFormat.CSV;
                        case "binary" -> CopyFormat.BINARY;
                        default -> CopyFormat.TEXT;
                    };
                    i++;
                }
                case "delimiter" -> {
                    delimiter = literal(next);
                    i++;
                }
                case "null" -> {
                    nullString = literal(next);
                    i++;
                }
                case "quote" -> {
                    quote = literal(next);
                    i++;
                }
                case "escape" -> {
                    escape = literal(next);
                    i++;
                }
                case "header" -> {
                    String value = next == null ? "" : next.toLowerCase(Locale.ROOT);
                    boolean explicit = List.of("true", "false", "on", "off", "1", "0", "match").contains(value);
                    header = !explicit || !List.of("false", "off", "0").contains(value);
                    if (explicit) {
                        i++;
                    }
                }
                default -> {
                    // FORCE_QUOTE, FORCE_NOT_NULL, ENCODING, FREEZE, DEFAULT...: no effect on where a field is
                }
            }
        }
        boolean csv = f == CopyFormat.CSV;
        delimiter = delimiter != null ? delimiter : csv ? "," : "\t";
        nullString = nullString != null ? nullString : csv ? "" : "\\N";
        escape = escape != null ? escape : quote;
        if (delimiter == null || delimiter.length() != 1 || quote == null || quote.length() != 1
                || escape.length() != 1) {
            return null;
        }
        return new CopyLayout(f, (byte) delimiter.charAt(0), nullString, header, (byte) quote.charAt(0),
                (byte) escape.charAt(0));
    }

    /** A quoted option value's text, or null when the token is not a string literal. */
    private static String literal(String token) {
        return token != null && token.startsWith("'") ? token.substring(1) : null;
    }

    /**
     * Words, and string literals as {@code '} followed by their value; punctuation dropped. Null for text this
     * tokenizer cannot read (an unterminated string).
     */
    private static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean escaped = (c == 'E' || c == 'e') && i + 1 < text.length() && text.charAt(i + 1) == '\'';
            if (c == '\'' || escaped) {
                StringBuilder value = new StringBuilder("'");
                int j = i + (escaped ? 2 : 1);
                while (true) {
                    if (j >= text.length()) {
                        return null;
                    }
                    char d = text.charAt(j);
                    if (d == '\'' && j + 1 < text.length() && text.charAt(j + 1) == '\'') {
                        value.append('\'');
                        j += 2;
                    } else if (d == '\'') {
                        j++;
                        break;
                    } else if (escaped && d == '\\' && j + 1 < text.length()) {
                        char e = text.charAt(j + 1);
                        value.append(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
                        j += 2;
                    } else {
                        value.append(d);
                        j++;
                    }
                }
                tokens.add(value.toString());
                i = j;
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                int j = i;
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
                    j++;
                }
                tokens.add(text.substring(i, j));
                i = j;
            } else {
                i++;
            }
        }
        return tokens;
    }
}
