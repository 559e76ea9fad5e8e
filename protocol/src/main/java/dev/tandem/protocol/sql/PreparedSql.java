package dev.tandem.protocol.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An SQL-level {@code PREPARE name [(types)] AS statement}, kept so that an {@code EXECUTE name (args)} of it can be
 * written out as the statement it runs: the mirror replays that, since the target has no such prepared statement.
 *
 * @param statement the prepared statement as classified inside the PREPARE (its offsets are in the PREPARE's text)
 * @param body      the prepared statement's text
 * @param types     the declared parameter types as written, in order; fewer than the parameters when the server
 *                  infers the rest
 */
public record PreparedSql(ClassifiedStatement statement, String body, List<String> types) {

    public PreparedSql {
        Objects.requireNonNull(statement, "statement");
        Objects.requireNonNull(body, "body");
        types = List.copyOf(types);
    }

    /** The PREPARE {@code prepare}, classified from {@code sql}; null when it is not a well-formed one. */
    public static PreparedSql of(String sql, ClassifiedStatement prepare) {
        if (prepare.kind() != ClassifiedStatement.Kind.PREPARE || prepare.malformed() || prepare.inner() == null) {
            return null;
        }
        TokenBuffer t = TokenBuffer.tokenize(prepare.text(sql));
        // PREPARE name ( type, ... ) AS
        List<String> types = t.is(2, TokenKind.LEFT_PAREN) ? list(t, 2) : List.of();
        return types == null ? null : new PreparedSql(prepare.inner(), prepare.inner().text(sql), types);
    }

    /**
     * The prepared statement with each parameter reference {@code $n} replaced by the EXECUTE's n-th argument, in
     * parentheses and cast to the declared type when there is one: what {@code execute} (classified from {@code sql})
     * runs. Null when the server would refuse the EXECUTE (the number of arguments does not match) or its arguments
     * cannot be written out: one refers to a parameter of the EXECUTE itself, whose value is in a Bind message.
     */
    public String expand(String sql, ClassifiedStatement execute) {
        if (execute.kind() != ClassifiedStatement.Kind.EXECUTE || execute.malformed()) {
            return null;
        }
        TokenBuffer e = TokenBuffer.tokenize(execute.text(sql));
        // EXECUTE name [ ( arg, ... ) ]
        List<String> args = e.is(2, TokenKind.LEFT_PAREN) ? list(e, 2) : e.size() == 2 ? List.of() : null;
        if (args == null) {
            return null;
        }
        for (int i = 0; i < e.size(); i++) {
            if (e.is(i, TokenKind.PARAMETER)) {
                return null;
            }
        }
        TokenBuffer b = TokenBuffer.tokenize(body);
        int referenced = highestParameter(b);
        if (referenced < 0 || args.size() != Math.max(referenced, types.size())) {
            return null;
        }
        return substituted(b, args);
    }

    /**
     * The prepared statement as one that takes its values as parameters, as a Bind of it through the protocol gives
     * them (SQL-level and protocol-level prepared statements share one namespace on the server): each {@code $n} the
     * PREPARE declared a type for is cast to it, so a server that parses the text infers the type the PREPARE
     * declared. Null when a parameter reference is out of range (the server refused such a PREPARE).
     */
    public String typedBody() {
        TokenBuffer b = TokenBuffer.tokenize(body);
        int highest = highestParameter(b);
        if (highest < 0) {
            return null;
        }
        int referenced = Math.max(highest, types.size());
        List<String> parameters = new ArrayList<>(referenced);
        for (int n = 1; n <= referenced; n++) {
            parameters.add("$" + n);
        }
        return substituted(b, parameters);
    }

    /** The highest {@code $n} the body (tokenized as {@code b}) refers to, 0 when none; -1 when one is out of range. */
    private static int highestParameter(TokenBuffer b) {
        int highest = 0;
        for (int i = 0; i < b.size(); i++) {
            if (b.is(i, TokenKind.PARAMETER)) {
                int n = parameterNumber(b, i);
                if (n < 1) {
                    return -1;
                }
                highest = Math.max(highest, n);
            }
        }
        return highest;
    }

    /** The body, tokenized as {@code b}, with each {@code $n} replaced by {@code args}' n-th, cast as declared. */
    private String substituted(TokenBuffer b, List<String> args) {
        StringBuilder out = new StringBuilder(body.length() + 16 * args.size());
        int copied = 0;
        for (int i = 0; i < b.size(); i++) {
            if (!b.is(i, TokenKind.PARAMETER)) {
                continue;
            }
            int n = parameterNumber(b, i);
            out.append(body, copied, b.start(i));
            // the outer parentheses keep a following subscript or field selection on the value, not on the type
            out.append("((").append(args.get(n - 1)).append(')');
            if (n <= types.size()) {
                out.append("::").append(withoutModifier(types.get(n - 1)));
            }
            out.append(')');
            copied = b.end(i);
        }
        return out.append(body, copied, body.length()).toString();
    }

    /**
     * A declared parameter type as a PREPARE's parameter has it: without its modifier. The server keeps the type of a
     * PREPARE's parameter but not its length, precision or interval fields, so an argument is never cut or rounded to
     * them, while a cast to the type as written would do it ({@code 'abcdef'::varchar(3)} is {@code 'abc'},
     * {@code 1.234::numeric(10,2)} is {@code 1.23}). Where the bare name means a modifier ({@code char} and {@code bit}
     * mean length 1) the catalog's name is written instead; {@code float(p)} is not a modifier (it chooses
     * {@code real} or {@code double precision}) and stays; an array suffix stays as written.
     */
    static String withoutModifier(String type) {
        TokenBuffer t = TokenBuffer.tokenize(type);
        List<String> words = new ArrayList<>();
        StringBuilder base = new StringBuilder(type.length());
        String suffix = "";
        boolean modifier = false;
        int depth = 0;
        for (int i = 0; i < t.size(); i++) {
            if (t.is(i, TokenKind.LEFT_PAREN) || t.is(i, TokenKind.RIGHT_PAREN)) {
                depth += t.is(i, TokenKind.LEFT_PAREN) ? 1 : -1;
                modifier = true;
                continue;
            }
            if (depth > 0) {
                continue;
            }
            if (t.is(i, TokenKind.LEFT_BRACKET) || t.isKeyword(i, "array")) {
                suffix = (t.is(i, TokenKind.LEFT_BRACKET) ? "" : " ") + type.substring(t.start(i)).strip();
                break;
            }
            boolean joined = t.is(i, TokenKind.DOT) || i > 0 && t.is(i - 1, TokenKind.DOT) || base.isEmpty();
            base.append(joined ? "" : " ").append(t.text(i));
            words.add(t.is(i, TokenKind.IDENTIFIER) ? t.text(i).toLowerCase(Locale.ROOT) : t.text(i));
        }
        String name = String.join(" ", words);
        if (name.equals("float") && modifier || words.isEmpty()) {
            return type;
        }
        if (words.get(0).equals("interval")) {
            return "interval" + suffix; // INTERVAL [fields] [(precision)]: the fields are a modifier too
        }
        return switch (name) {
            case "char", "character", "nchar", "national char", "national character" -> "pg_catalog.bpchar" + suffix;
            case "bit" -> "pg_catalog.\"bit\"" + suffix;
            default -> base + suffix;
        };
    }

    /** {@code $n}'s n, or -1 when it is out of range (the server rejects it). */
    private static int parameterNumber(TokenBuffer t, int i) {
        try {
            return Integer.parseInt(t.sql(), t.start(i) + 1, t.end(i), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The texts of the comma-separated items of the parenthesised list at token {@code open}, each from its first
     * token to its last (commas inside nested parentheses, brackets and string constants do not separate); null when
     * the list is empty or unbalanced, has an empty item, or anything follows it other than {@code AS ...}.
     */
    private static List<String> list(TokenBuffer t, int open) {
        List<String> items = new ArrayList<>();
        int depth = 0;
        int first = open + 1;
        for (int i = open; i < t.size(); i++) {
            TokenKind k = t.kind(i);
            if (k == TokenKind.LEFT_PAREN || k == TokenKind.LEFT_BRACKET) {
                depth++;
            } else if (k == TokenKind.RIGHT_PAREN || k == TokenKind.RIGHT_BRACKET) {
                depth--;
            }
            boolean end = depth == 0 && k == TokenKind.RIGHT_PAREN;
            if (end || depth == 1 && k == TokenKind.COMMA) {
                if (first == i) {
                    return null; // PostgreSQL's grammar has no empty list or item here
                }
                items.add(t.sql().substring(t.start(first), t.end(i - 1)));
                first = i + 1;
            }
            if (end) {
                return i + 1 == t.size() || t.isKeyword(i + 1, "as") ? items : null;
            }
        }
        return null;
    }
}
