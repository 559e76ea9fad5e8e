package dev.tandem.protocol.sql;

import dev.tandem.protocol.sql.ClassifiedStatement.ConflictAction;
import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.ClassifiedStatement.TxCommand;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Classifies every statement of a SQL string (a simple Query or a Parse) by reading its leading keywords and the few
 * clauses that matter to the proxy, over the tokens of {@link TokenBuffer}: words inside strings, comments, dollar
 * quotes and quoted identifiers never match. It is not a parser: it trusts the server to reject invalid SQL, and
 * flags {@link ClassifiedStatement#malformed()} where it can see PostgreSQL will. It never throws on any input.
 */
public final class StatementClassifier {

    /** The setting {@code SET SESSION AUTHORIZATION} sets, as {@code set_config} names it. */
    static final String SESSION_AUTHORIZATION = "session_authorization";

    private StatementClassifier() {
    }

    /** One entry per non-empty statement of {@code sql}, in order, with {@code standard_conforming_strings} on. */
    public static List<ClassifiedStatement> classify(String sql) {
        return classify(sql, true);
    }

    /**
     * One entry per non-empty statement of {@code sql}, in order, lexed with the session's
     * {@code standard_conforming_strings}: with it off, {@code 'a\'; DELETE ...'} is one string constant.
     */
    public static List<ClassifiedStatement> classify(String sql, boolean standardConformingStrings) {
        TokenBuffer tokens = TokenBuffer.tokenize(sql, standardConformingStrings);
        int[] statements = StatementSplitter.split(tokens);
        int n = statements.length / StatementSplitter.STRIDE;
        if (n == 1) {
            return List.of(classify(tokens, statements[0], statements[1], statements[2]));
        }
        List<ClassifiedStatement> out = new ArrayList<>(n);
        for (int i = 0; i < statements.length; i += StatementSplitter.STRIDE) {
            out.add(classify(tokens, statements[i], statements[i + 1], statements[i + 2]));
        }
        return Collections.unmodifiableList(out);
    }

    private static ClassifiedStatement classify(TokenBuffer tokens, int from, int to, int splitFlags) {
        Draft draft = new Draft(tokens, from, to);
        draft.malformed = (splitFlags & StatementSplitter.UNBALANCED) != 0;
        for (int i = from; i < to; i++) {
            if (tokens.malformed(i)) {
                draft.malformed = true;
                break;
            }
        }
        draft.statement(from);
        return draft.build();
    }

    /** The mutable result of classifying tokens {@code [from, to)}; {@code to} bounds every look-ahead. */
    /**
     * Set-returning functions whose rows come from their arguments alone: an INSERT ... SELECT from them reads no
     * table ({@code unnest} of array parameters is the usual bulk-insert form).
     */
    private static final Set<String> ARGUMENT_FUNCTIONS = Set.of("unnest", "generate_series", "generate_subscripts",
            "json_to_recordset", "jsonb_to_recordset", "json_populate_recordset", "jsonb_populate_recordset",
            "json_array_elements", "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text");
    /** Words at a SELECT's top level that bring in other rows: set operations and joins. */
    private static final Set<String> QUERY_WORDS = Set.of("union", "intersect", "except", "join", "lateral");
    /** Words that end a FROM item rather than name its alias. */
    private static final Set<String> FROM_LIST_ENDS = Set.of("where", "group", "having", "window", "order", "limit",
            "offset", "fetch", "for", "on", "returning", "union", "intersect", "except", "cross", "join", "natural",
            "inner", "left", "right", "full", "lateral");

    private static final class Draft {
        private final TokenBuffer t;
        private final int from;
        private final int to;
        private Kind kind = Kind.OTHER;
        private boolean malformed;
        private TableName table;
        private List<TableName> tables;
        private List<String> columns = List.of();
        private boolean hasSelect;
        private ConflictAction onConflict = ConflictAction.NONE;
        private boolean returning;
        private boolean withClause;
        private boolean dataModifyingWith;
        private boolean explainAnalyzeWrite;
        private List<String> nonDeterministic;
        /** An INSERT's source or action calls set_config: found by {@link #scanInsertBody}, which reads it anyway. */
        private boolean insertCallsSetConfig;
        private Set<Integer> defaults;
        private CopyFormat copyFormat;
        private String copyOptions;
        private TxCommand txCommand;
        private String name;
        private SearchPath searchPath;
        private SettingChange setting;
        /** The token after the name {@link #settingName} read last. */
        private int settingNameEnd;
        private ClassifiedStatement inner;
        private List<TableName> withWrites;
        private ClassifiedStatement.TableChange tableChange;

        Draft(TokenBuffer t, int from, int to) {
            this.t = t;
            this.from = from;
            this.to = to;
        }

        ClassifiedStatement build() {
            List<TableName> all = tables != null ? tables : table != null ? List.of(table) : List.of();
            return new ClassifiedStatement(kind, t.start(from), t.end(to - 1), malformed, all, columns, hasSelect,
                    onConflict, returning, withClause, dataModifyingWith, explainAnalyzeWrite,
                    nonDeterministic == null ? Set.of() : Set.of(nonDeterministic.toArray(new String[0])),
                    defaults == null ? Set.of() : defaults, copyFormat, copyOptions, txCommand, name, searchPath, setting,
                    inner, withWrites == null ? List.of() : withWrites, tableChange,
                    kind == Kind.INSERT ? insertCallsSetConfig : kind != Kind.COPY_FROM_STDIN && callsSetConfig());
        }

        /**
         * Whether a token names {@code set_config} right before an opening parenthesis: found here, once per statement
         * text, rather than by every reader of the statement each time it runs (a prepared SELECT runs many times).
         */
        private boolean callsSetConfig() {
            for (int i = from; i + 1 < to; i++) {
                if (t.is(i + 1, TokenKind.LEFT_PAREN) && (t.isKeyword(i, "set_config")
                        || t.is(i, TokenKind.QUOTED_IDENTIFIER) && "set_config".equals(t.identifier(i)))) {
                    return true;
                }
            }
            return false;
        }

        // ---- token helpers (all bounded by `to`) ----

        private boolean kw(int i, String keyword) {
            return i < to && t.isKeyword(i, keyword);
        }

        private boolean is(int i, TokenKind k) {
            return i < to && t.is(i, k);
        }

        private boolean isOperator(int i, char op) {
            return is(i, TokenKind.OPERATOR) && t.end(i) - t.start(i) == 1 && t.sql().charAt(t.start(i)) == op;
        }

        /** Index after the {@code )} matching the {@code (} at {@code open}; {@code to} when unbalanced. */
        private int skipParens(int open) {
            int depth = 0;
            for (int i = open; i < to; i++) {
                TokenKind k = t.kind(i);
                if (k == TokenKind.LEFT_PAREN) {
                    depth++;
                } else if (k == TokenKind.RIGHT_PAREN && --depth == 0) {
                    return i + 1;
                }
            }
            malformed = true;
            return to;
        }

        /** {@code name}, {@code schema.name} or {@code catalog.schema.name}; returns the index after it, or -1. */
        private int qualifiedName(int i) {
            ParsedName parsed = parseName(i);
            if (parsed == null) {
                malformed = true;
                return -1;
            }
            addTable(parsed.table());
            return parsed.next();
        }

        private record ParsedName(TableName table, int next) {
        }

        /** The qualified name at {@code i} and the index after it, or null when there is none; no side effects. */
        private ParsedName parseName(int i) {
            if (i >= to || !t.isName(i)) {
                return null;
            }
            String first = t.identifier(i);
            if (first == null) {
                return null;
            }
            if (is(i + 1, TokenKind.DOT) && i + 2 < to && t.isName(i + 2)) {
                if (is(i + 3, TokenKind.DOT) && i + 4 < to && t.isName(i + 4)) {
                    TableName parsed = name(t.identifier(i + 2), t.identifier(i + 4));
                    return parsed == null ? null : new ParsedName(parsed, i + 5);
                }
                TableName parsed = name(first, t.identifier(i + 2));
                return parsed == null ? null : new ParsedName(parsed, i + 3);
            }
            return new ParsedName(new TableName(null, first), i + 1);
        }

        /** The table a data-modifying WITH query at {@code verb} writes, or null when it cannot be told. */
        private TableName withTarget(int verb) {
            int i = verb + 1;
            if (kw(verb, "insert") || kw(verb, "merge") || kw(verb, "delete")) {
                if (!kw(i, kw(verb, "delete") ? "from" : "into")) {
                    return null;
                }
                i++;
            }
            if (kw(i, "only")) {
                i++;
            }
            ParsedName parsed = parseName(i);
            return parsed == null ? null : parsed.table();
        }

        private TableName name(String schema, String relation) {
            return schema == null || relation == null ? null : new TableName(schema, relation);
        }

        private void addTable(TableName parsed) {
            if (table == null) {
                table = parsed;
            } else {
                if (tables == null) {
                    tables = new ArrayList<>(4);
                    tables.add(table);
                }
                tables.add(parsed);
            }
        }

        /** {@code [ONLY] name [*]} or {@code ONLY (name)}; returns the index after it, or -1. */
        private int relation(int i) {
            if (kw(i, "only")) {
                i++;
                if (is(i, TokenKind.LEFT_PAREN)) {
                    int next = qualifiedName(i + 1);
                    if (next < 0 || !is(next, TokenKind.RIGHT_PAREN)) {
                        malformed = true;
                        return -1;
                    }
                    return next + 1;
                }
            }
            int next = qualifiedName(i);
            if (next >= 0 && isOperator(next, '*')) {
                next++;
            }
            return next;
        }

        /** A parenthesised list of column names at {@code open}; returns the index after it. */
        private int columnList(int open) {
            int after = skipParens(open);
            int close = is(after - 1, TokenKind.RIGHT_PAREN) && after - 1 > open ? after - 1 : after;
            List<String> names = new ArrayList<>();
            boolean expectName = true;
            int depth = 0;
            for (int i = open + 1; i < close; i++) {
                TokenKind k = t.kind(i);
                if (k == TokenKind.LEFT_PAREN || k == TokenKind.LEFT_BRACKET) {
                    depth++;
                } else if (k == TokenKind.RIGHT_PAREN || k == TokenKind.RIGHT_BRACKET) {
                    depth--;
                } else if (depth == 0 && k == TokenKind.COMMA) {
                    expectName = true;
                } else if (depth == 0 && expectName) {
                    String column = t.identifier(i);
                    if (column == null) {
                        malformed = true;
                    } else {
                        names.add(column);
                    }
                    expectName = false;
                }
            }
            if (expectName) {
                malformed = true; // () or a trailing comma
            }
            columns = names;
            return after;
        }

        /** Index of the first {@code keyword} at parenthesis depth 0 in {@code [i, to)}, or -1. */
        private int findTopLevel(int i, String keyword) {
            int depth = 0;
            for (; i < to; i++) {
                TokenKind k = t.kind(i);
                if (k == TokenKind.LEFT_PAREN) {
                    depth++;
                } else if (k == TokenKind.RIGHT_PAREN) {
                    depth--;
                } else if (depth == 0 && k == TokenKind.IDENTIFIER && t.isKeyword(i, keyword)) {
                    return i;
                }
            }
            return -1;
        }

        // ---- statements ----

        void statement(int i) {
            if (is(i, TokenKind.LEFT_PAREN)) {
                kind = Kind.SELECT;
                return;
            }
            if (!is(i, TokenKind.IDENTIFIER)) {
                malformed |= !t.isName(i);
                return;
            }
            String sql = t.sql();
            char c = (char) (sql.charAt(t.start(i)) | 0x20);
            switch (c) {
                case 'a' -> {
                    if (kw(i, "abort")) {
                        commitOrRollback(i, false);
                    } else if (kw(i, "alter")) {
                        alter(i);
                    }
                }
                case 'b' -> {
                    if (kw(i, "begin")) {
                        transaction(TxCommand.BEGIN);
                    }
                }
                case 'c' -> {
                    if (kw(i, "commit")) {
                        commitOrRollback(i, true);
                    } else if (kw(i, "copy")) {
                        copy(i);
                    } else if (kw(i, "call")) {
                        kind = Kind.CALL;
                    } else if (kw(i, "create")) {
                        create(i);
                    } else if (kw(i, "comment")) {
                        kind = Kind.DDL;
                    }
                }
                case 'd' -> {
                    if (kw(i, "delete")) {
                        delete(i);
                    } else if (kw(i, "drop")) {
                        drop(i);
                    } else if (kw(i, "deallocate")) {
                        deallocate(i);
                    } else if (kw(i, "discard")) {
                        discard(i);
                    }
                }
                case 'e' -> {
                    if (kw(i, "end")) {
                        commitOrRollback(i, true);
                    } else if (kw(i, "execute")) {
                        kind = Kind.EXECUTE;
                        name = t.identifier(i + 1);
                        malformed |= name == null || i + 1 >= to;
                    } else if (kw(i, "explain")) {
                        explain(i);
                    }
                }
                case 'g' -> {
                    if (kw(i, "grant")) {
                        kind = Kind.DDL;
                    }
                }
                case 'i' -> {
                    if (kw(i, "insert")) {
                        insert(i);
                    } else if (kw(i, "import")) {
                        kind = Kind.DDL;
                        tableChange = new ClassifiedStatement.TableChange.Unknown();
                    }
                }
                case 'm' -> {
                    if (kw(i, "merge")) {
                        merge(i);
                    }
                }
                case 'p' -> {
                    if (kw(i, "prepare")) {
                        prepare(i);
                    }
                }
                case 'r' -> {
                    if (kw(i, "rollback")) {
                        commitOrRollback(i, false);
                    } else if (kw(i, "release")) {
                        transaction(TxCommand.RELEASE);
                        savepointName(kw(i + 1, "savepoint") ? i + 2 : i + 1);
                    } else if (kw(i, "reset")) {
                        reset(i);
                    } else if (kw(i, "revoke")) {
                        kind = Kind.DDL;
                    }
                }
                case 's' -> {
                    if (kw(i, "select")) {
                        select(i);
                    } else if (kw(i, "set")) {
                        set(i);
                    } else if (kw(i, "savepoint")) {
                        transaction(TxCommand.SAVEPOINT);
                        savepointName(i + 1);
                    } else if (kw(i, "start") && kw(i + 1, "transaction")) {
                        transaction(TxCommand.BEGIN);
                    } else if (kw(i, "security")) {
                        kind = Kind.DDL;
                    }
                }
                case 't' -> {
                    if (kw(i, "truncate")) {
                        truncate(i);
                    } else if (kw(i, "table")) {
                        kind = Kind.SELECT;
                    }
                }
                case 'u' -> {
                    if (kw(i, "update")) {
                        update(i);
                    }
                }
                case 'v' -> {
                    if (kw(i, "values")) {
                        kind = Kind.SELECT;
                    }
                }
                case 'w' -> {
                    if (kw(i, "with")) {
                        with(i);
                    }
                }
                default -> {
                }
            }
        }

        private void with(int i) {
            withClause = true;
            int main = skipWith(i + 1, to);
            if (main >= to) {
                malformed = true;
                return;
            }
            if (is(main, TokenKind.LEFT_PAREN) || kw(main, "values") || kw(main, "table")) {
                kind = Kind.SELECT;
            } else if (kw(main, "select") || kw(main, "insert") || kw(main, "update") || kw(main, "delete")
                    || kw(main, "merge")) {
                statement(main);
            } else {
                malformed = true;
            }
        }

        /**
         * Skips the common table expressions after {@code WITH} (at {@code i}) up to {@code limit}, noting
         * data-modifying ones; returns the index of the statement they belong to.
         */
        private int skipWith(int i, int limit) {
            if (kw(i, "recursive")) {
                i++;
            }
            while (i < limit) {
                if (!t.isName(i)) {
                    malformed = true;
                    return limit;
                }
                i++;
                if (is(i, TokenKind.LEFT_PAREN)) {
                    i = skipParens(i);
                }
                if (!kw(i, "as")) {
                    malformed = true;
                    return limit;
                }
                i++;
                if (kw(i, "not")) {
                    i++;
                }
                if (kw(i, "materialized")) {
                    i++;
                }
                if (!is(i, TokenKind.LEFT_PAREN)) {
                    malformed = true;
                    return limit;
                }
                int close = skipParens(i) - 1;
                int verb = is(i + 1, TokenKind.IDENTIFIER) && kw(i + 1, "with") ? skipWith(i + 2, close) : i + 1;
                if (verb < close && (kw(verb, "insert") || kw(verb, "update") || kw(verb, "delete")
                        || kw(verb, "merge"))) {
                    dataModifyingWith = true;
                    TableName target = withTarget(verb);
                    if (target != null) {
                        if (withWrites == null) {
                            withWrites = new ArrayList<>(2);
                        }
                        withWrites.add(target);
                    }
                }
                i = close + 1;
                while (kw(i, "search") || kw(i, "cycle")) {
                    boolean cycle = kw(i, "cycle");
                    int set = i;
                    while (set < limit && !kw(set, "set")) {
                        set++;
                    }
                    i = set + 2;
                    if (cycle) {
                        while (i < limit && !kw(i, "using")) {
                            i++;
                        }
                        i += 2;
                    }
                }
                if (!is(i, TokenKind.COMMA)) {
                    return i;
                }
                i++;
            }
            return limit;
        }

        private void select(int i) {
            kind = Kind.SELECT;
            int into = findTopLevel(i + 1, "into");
            if (into < 0) {
                return;
            }
            kind = Kind.DDL;
            int j = into + 1;
            ClassifiedStatement.Temporary temporary = ClassifiedStatement.Temporary.NO;
            while (kw(j, "temporary") || kw(j, "temp") || kw(j, "unlogged") || kw(j, "local") || kw(j, "global")
                    || kw(j, "table")) {
                if (kw(j, "temporary") || kw(j, "temp")) {
                    temporary = ClassifiedStatement.Temporary.SESSION;
                }
                j++;
            }
            tableChange = new ClassifiedStatement.TableChange.Create(temporary, false);
            qualifiedName(j);
        }

        private void discard(int i) {
            if (kw(i + 1, "all")) {
                kind = Kind.DEALLOCATE;
                searchPath = SearchPath.reset(false);
                tableChange = new ClassifiedStatement.TableChange.DiscardTemporary();
            } else if (kw(i + 1, "temp") || kw(i + 1, "temporary")) {
                tableChange = new ClassifiedStatement.TableChange.DiscardTemporary();
            }
        }

        private void insert(int i) {
            kind = Kind.INSERT;
            if (!kw(i + 1, "into")) {
                malformed = true;
                return;
            }
            int j = qualifiedName(i + 2);
            if (j < 0) {
                return;
            }
            if (kw(j, "as")) {
                j += 2;
            }
            if (is(j, TokenKind.LEFT_PAREN) && !startsQuery(j + 1)) {
                j = columnList(j);
            }
            if (kw(j, "overriding")) {
                if (kw(j + 1, "user")) {
                    addNonDeterministic("overriding user value"); // the server numbers the identity columns
                }
                j += 3;
            }
            if (j >= to) {
                malformed = true;
                return;
            }
            int ownSelect = -1;
            if (kw(j, "select") && selectsFromArgumentsOnly(j)) {
                ownSelect = j;
            } else if (kw(j, "with") || kw(j, "select") || kw(j, "table")) {
                hasSelect = true;
            }
            if (kw(j, "default") && kw(j + 1, "values")) {
                defaults = Set.of(ClassifiedStatement.ALL_DEFAULTS);
            } else if (kw(j, "values")) {
                findDefaults(j + 1);
            }
            scanInsertBody(j, ownSelect);
        }

        /**
         * Whether the SELECT at {@code select} makes its rows from the statement's own values alone, so the target,
         * given the same values, makes the same rows: no sub-query, no set operation, and a FROM list (if any) of
         * only {@link #ARGUMENT_FUNCTIONS} calls, {@code ROWS FROM (...)} and {@code (VALUES ...)}, joined by commas
         * or CROSS JOIN. The bulk-insert form {@code INSERT INTO t SELECT * FROM unnest($1::timestamptz[],
         * $2::float8[])} is one. A table, a view or a sub-query would be read on the target, whose data differs.
         */
        private boolean selectsFromArgumentsOnly(int select) {
            for (int i = select + 1; i < to; i++) {
                if (t.isKeyword(i, "select") || t.is(i, TokenKind.LEFT_PAREN) && kw(i + 1, "table")) {
                    return false; // a sub-query, in a FROM item's arguments too: (SELECT ...), ARRAY(TABLE t)
                }
            }
            int depth = 0;
            for (int i = select + 1; i < to; i++) {
                TokenKind k = t.kind(i);
                if (k == TokenKind.LEFT_PAREN || k == TokenKind.LEFT_BRACKET) {
                    depth++;
                } else if (k == TokenKind.RIGHT_PAREN || k == TokenKind.RIGHT_BRACKET) {
                    depth--;
                } else if (k == TokenKind.IDENTIFIER) {
                    if (depth > 0) {
                        continue; // FROM inside extract(... FROM ...), substring(... FROM ...)
                    }
                    if (t.isKeyword(i, "returning") || t.isKeyword(i, "on") && kw(i + 1, "conflict")) {
                        return true;
                    }
                    if (t.isKeyword(i, "from")) {
                        i = argumentsOnlyFromList(i + 1);
                        if (i < 0) {
                            return false;
                        }
                        i--; // the loop looks at the token after the list
                    } else if (QUERY_WORDS.contains(t.text(i).toLowerCase(Locale.ROOT))
                            && !is(i + 1, TokenKind.LEFT_PAREN)) {
                        return false;
                    }
                }
            }
            return depth == 0;
        }

        /** Index after a FROM list of {@link #selectsFromArgumentsOnly}'s kind starting at {@code i}, or -1. */
        private int argumentsOnlyFromList(int i) {
            while (true) {
                if (kw(i, "rows") && kw(i + 1, "from") && is(i + 2, TokenKind.LEFT_PAREN)) {
                    i = skipParens(i + 2);
                } else if (is(i, TokenKind.LEFT_PAREN) && kw(i + 1, "values")) {
                    i = skipParens(i);
                } else {
                    if (kw(i, "pg_catalog") && is(i + 1, TokenKind.DOT)) {
                        i += 2;
                    }
                    if (!is(i, TokenKind.IDENTIFIER) || !is(i + 1, TokenKind.LEFT_PAREN)
                            || !ARGUMENT_FUNCTIONS.contains(t.text(i).toLowerCase(Locale.ROOT))) {
                        return -1;
                    }
                    i = skipParens(i + 1);
                }
                if (kw(i, "with") && kw(i + 1, "ordinality")) {
                    i += 2;
                }
                if (kw(i, "as")) {
                    i++;
                }
                if (t.isName(i) && i < to && !FROM_LIST_ENDS.contains(t.text(i).toLowerCase(Locale.ROOT))) {
                    i++;
                    if (is(i, TokenKind.LEFT_PAREN)) {
                        i = skipParens(i);
                    }
                }
                if (is(i, TokenKind.COMMA)) {
                    i++;
                } else if (kw(i, "cross") && kw(i + 1, "join")) {
                    i += 2;
                } else {
                    return i;
                }
            }
        }

        /** The positions of {@code DEFAULT} items in the VALUES rows starting at {@code i}. */
        private void findDefaults(int i) {
            int depth = 0;
            int position = 0;
            for (; i < to; i++) {
                TokenKind k = t.kind(i);
                if (k == TokenKind.LEFT_PAREN || k == TokenKind.LEFT_BRACKET) {
                    if (depth++ == 0) {
                        position = 0;
                    }
                } else if (k == TokenKind.RIGHT_PAREN || k == TokenKind.RIGHT_BRACKET) {
                    depth--;
                } else if (depth == 1 && k == TokenKind.COMMA) {
                    position++;
                } else if (depth == 0 && k != TokenKind.COMMA) {
                    return; // past the rows: ON CONFLICT, RETURNING
                } else if (depth == 1 && t.isKeyword(i, "default")
                        && (is(i - 1, TokenKind.LEFT_PAREN) || is(i - 1, TokenKind.COMMA))
                        && (is(i + 1, TokenKind.COMMA) || is(i + 1, TokenKind.RIGHT_PAREN))) {
                    if (defaults == null) {
                        defaults = new TreeSet<>();
                    }
                    defaults.add(position);
                }
            }
        }

        private boolean startsQuery(int i) {
            return kw(i, "select") || kw(i, "values") || kw(i, "with") || kw(i, "table") || is(i, TokenKind.LEFT_PAREN);
        }

        /**
         * Finds ON CONFLICT, RETURNING, sub-SELECTs and non-deterministic calls in an INSERT's source and actions.
         *
         * @param ownSelect the SELECT that makes the rows from the statement's own values, or -1
         */
        private void scanInsertBody(int i, int ownSelect) {
            String sql = t.sql();
            int depth = 0;
            for (; i < to; i++) {
                TokenKind k = t.kind(i);
                switch (k) {
                    case LEFT_PAREN -> depth++;
                    case RIGHT_PAREN -> depth--;
                    case IDENTIFIER -> {
                        int s = t.start(i);
                        int e = t.end(i);
                        if (depth == 0 && t.isKeyword(i, "returning")) {
                            returning = true;
                            return; // RETURNING computes output, not stored values
                        }
                        if (depth == 0 && t.isKeyword(i, "on") && kw(i + 1, "conflict")
                                && (is(i + 2, TokenKind.LEFT_PAREN) || kw(i + 2, "on") || kw(i + 2, "do"))) {
                            onConflict = ConflictAction.NOTHING; // until its DO says otherwise
                        } else if (depth == 0 && onConflict != ConflictAction.NONE && t.isKeyword(i, "do")
                                && kw(i + 1, "update")) {
                            onConflict = ConflictAction.UPDATE;
                        } else if (t.isKeyword(i, "select") && i != ownSelect) {
                            hasSelect = true;
                        } else if (is(i + 1, TokenKind.LEFT_PAREN)) {
                            addNonDeterministic(NonDeterminism.function(sql, s, e, true));
                            insertCallsSetConfig |= t.isKeyword(i, "set_config");
                        } else if (!is(i - 1, TokenKind.DOT)) {
                            addNonDeterministic(NonDeterminism.keyword(sql, s, e));
                        }
                    }
                    case QUOTED_IDENTIFIER -> {
                        if (is(i + 1, TokenKind.LEFT_PAREN) && sql.charAt(t.start(i)) == '"') {
                            addNonDeterministic(NonDeterminism.function(sql, t.start(i) + 1, t.end(i) - 1, false));
                            insertCallsSetConfig |= "set_config".equals(t.identifier(i));
                        }
                    }
                    case STRING -> {
                        if (NonDeterminism.maybeSpecialDate(sql, t.start(i), t.end(i))) {
                            String value = t.stringValue(i);
                            if (value != null) {
                                addNonDeterministic(NonDeterminism.specialDate(value));
                            }
                        }
                    }
                    default -> {
                    }
                }
            }
        }

        private void addNonDeterministic(String found) {
            if (found == null) {
                return;
            }
            if (nonDeterministic == null) {
                nonDeterministic = new ArrayList<>(2);
            }
            if (!nonDeterministic.contains(found)) {
                nonDeterministic.add(found);
            }
        }

        private void update(int i) {
            kind = Kind.UPDATE;
            if (relation(i + 1) >= 0) {
                returning = findTopLevel(i + 1, "returning") >= 0;
            }
        }

        private void delete(int i) {
            kind = Kind.DELETE;
            if (!kw(i + 1, "from")) {
                malformed = true;
                return;
            }
            if (relation(i + 2) >= 0) {
                returning = findTopLevel(i + 2, "returning") >= 0;
            }
        }

        private void merge(int i) {
            kind = Kind.MERGE;
            if (!kw(i + 1, "into")) {
                malformed = true;
                return;
            }
            if (relation(i + 2) >= 0) {
                returning = findTopLevel(i + 2, "returning") >= 0;
            }
        }

        private void truncate(int i) {
            kind = Kind.TRUNCATE;
            int j = kw(i + 1, "table") ? i + 2 : i + 1;
            while (true) {
                j = relation(j);
                if (j < 0 || !is(j, TokenKind.COMMA)) {
                    return;
                }
                j++;
            }
        }

        private void copy(int i) {
            kind = Kind.COPY_OTHER;
            copyFormat = CopyFormat.TEXT;
            int j = i + 1;
            if (kw(j, "binary")) {
                copyFormat = CopyFormat.BINARY; // pre-9.0 syntax: COPY BINARY t FROM ...
                j++;
            }
            if (is(j, TokenKind.LEFT_PAREN)) {
                j = skipParens(j);
            } else {
                j = qualifiedName(j);
                if (j < 0) {
                    return;
                }
                if (is(j, TokenKind.LEFT_PAREN)) {
                    j = columnList(j);
                }
            }
            if (kw(j, "from")) {
                // PostgreSQL's grammar takes STDOUT for STDIN here: both mean the client sends the data
                kind = kw(j + 1, "stdin") || kw(j + 1, "stdout") ? Kind.COPY_FROM_STDIN : Kind.COPY_FROM_SERVER;
            } else if (!kw(j, "to")) {
                malformed = true;
                return;
            }
            boolean program = kw(j + 1, "program");
            j += program ? 3 : 2;
            if (j > to) {
                malformed = true;
                return;
            }
            // the file or command: a string constant, or STDIN/STDOUT unquoted
            malformed |= !is(j - 1, TokenKind.STRING) && (program || !kw(j - 1, "stdin") && !kw(j - 1, "stdout"));
            int where = findTopLevel(j, "where");
            int optionsEnd = where < 0 ? to : where;
            if (j < optionsEnd) {
                copyOptions = t.sql().substring(t.start(j), t.end(optionsEnd - 1));
                copyOptions(j, optionsEnd);
            }
        }

        private void copyOptions(int j, int end) {
            if (kw(j, "with")) {
                j++;
            }
            if (is(j, TokenKind.LEFT_PAREN)) {
                // generic options: ( name [value] [, ...] )
                boolean atName = true;
                int depth = 0;
                for (int k = j; k < end; k++) {
                    TokenKind tk = t.kind(k);
                    if (tk == TokenKind.LEFT_PAREN) {
                        depth++;
                        atName = depth == 1;
                    } else if (tk == TokenKind.RIGHT_PAREN) {
                        depth--;
                    } else if (tk == TokenKind.COMMA && depth == 1) {
                        atName = true;
                    } else if (atName) {
                        atName = false;
                        if ("format".equals(t.identifier(k))) {
                            String value = k + 1 < end ? t.identifier(k + 1) : null;
                            if (value == null && k + 1 < end) {
                                value = t.stringValue(k + 1);
                            }
                            copyFormat = copyFormat(value);
                        }
                    }
                }
                return;
            }
            for (int k = j; k < end; k++) {
                if (t.isKeyword(k, "binary")) {
                    copyFormat = CopyFormat.BINARY;
                } else if (t.isKeyword(k, "csv")) {
                    copyFormat = CopyFormat.CSV;
                }
            }
        }

        private CopyFormat copyFormat(String value) {
            if (value != null) {
                switch (value) {
                    case "text":
                        return CopyFormat.TEXT;
                    case "csv":
                        return CopyFormat.CSV;
                    case "binary":
                        return CopyFormat.BINARY;
                    default:
                        break;
                }
            }
            malformed = true; // PostgreSQL: COPY format "..." not recognized
            return copyFormat;
        }

        private void transaction(TxCommand command) {
            kind = Kind.TRANSACTION;
            txCommand = command;
        }

        private void savepointName(int i) {
            name = i < to ? t.identifier(i) : null;
            malformed |= name == null;
        }

        private void commitOrRollback(int i, boolean commit) {
            int j = i + 1;
            if (kw(j, "prepared") && (kw(i, "commit") || kw(i, "rollback"))) {
                transaction(commit ? TxCommand.COMMIT_PREPARED : TxCommand.ROLLBACK_PREPARED);
                name = t.stringValue(j + 1);
                malformed |= name == null || j + 1 >= to;
                return;
            }
            if (kw(j, "work") || kw(j, "transaction")) {
                j++;
            }
            if (!commit && kw(j, "to")) {
                transaction(TxCommand.ROLLBACK_TO_SAVEPOINT);
                savepointName(kw(j + 1, "savepoint") ? j + 2 : j + 1);
                return;
            }
            boolean chain = kw(j, "and") && kw(j + 1, "chain");
            if (commit) {
                transaction(chain ? TxCommand.COMMIT_AND_CHAIN : TxCommand.COMMIT);
            } else {
                transaction(chain ? TxCommand.ROLLBACK_AND_CHAIN : TxCommand.ROLLBACK);
            }
        }

        private void prepare(int i) {
            if (kw(i + 1, "transaction") && is(i + 2, TokenKind.STRING)) {
                transaction(TxCommand.PREPARE_TRANSACTION);
                name = t.stringValue(i + 2);
                malformed |= name == null;
                return;
            }
            kind = Kind.PREPARE;
            name = i + 1 < to ? t.identifier(i + 1) : null;
            int j = i + 2;
            if (is(j, TokenKind.LEFT_PAREN)) {
                j = skipParens(j);
            }
            if (name == null || !kw(j, "as") || j + 1 >= to) {
                malformed = true;
                return;
            }
            inner = classify(t, j + 1, to, 0);
            malformed |= inner.malformed();
        }

        private void deallocate(int i) {
            kind = Kind.DEALLOCATE;
            int j = kw(i + 1, "prepare") && i + 2 < to ? i + 2 : i + 1; // "prepare" alone is a statement's name
            if (!kw(j, "all")) {
                name = j < to ? t.identifier(j) : null;
                malformed |= name == null;
            }
            malformed |= j + 1 != to;
        }

        private void explain(int i) {
            boolean analyze = false;
            int j = i + 1;
            if (is(j, TokenKind.LEFT_PAREN)) {
                int close = skipParens(j) - 1;
                boolean atName = true;
                for (int k = j + 1; k < close; k++) {
                    if (t.is(k, TokenKind.COMMA)) {
                        atName = true;
                    } else if (atName) {
                        atName = false;
                        if (t.isKeyword(k, "analyze") || t.isKeyword(k, "analyse")) {
                            analyze = k + 1 >= close || t.is(k + 1, TokenKind.COMMA) || isTrue(k + 1);
                        }
                    }
                }
                j = close + 1;
            } else {
                while (kw(j, "analyze") || kw(j, "analyse") || kw(j, "verbose")) {
                    analyze |= !kw(j, "verbose");
                    j++;
                }
            }
            if (j >= to) {
                malformed = true;
                return;
            }
            inner = classify(t, j, to, 0);
            malformed |= inner.malformed();
            explainAnalyzeWrite = analyze && writes(inner);
        }

        /** PostgreSQL's boolean option spellings that mean true (parse_bool, unabbreviated). */
        private boolean isTrue(int k) {
            String value = t.is(k, TokenKind.STRING) ? t.stringValue(k) : t.text(k);
            if (value == null) {
                return false;
            }
            switch (value.toLowerCase(Locale.ROOT)) {
                case "true", "on", "1", "yes", "t", "y":
                    return true;
                default:
                    return false;
            }
        }

        private static boolean writes(ClassifiedStatement s) {
            return switch (s.kind()) {
                case INSERT, UPDATE, DELETE, MERGE, DDL -> true;
                default -> s.dataModifyingWith();
            };
        }

        private void set(int i) {
            kind = Kind.SET;
            int j = i + 1;
            boolean local = false;
            if (kw(j, "local")) {
                local = true;
                j++;
            } else if (kw(j, "session") && !kw(j + 1, "authorization") && !kw(j + 1, "characteristics")) {
                j++;
            }
            name = settingName(j);
            if (kw(j, "session") && kw(j + 1, "authorization")) {
                // SET SESSION AUTHORIZATION user | DEFAULT: the setting session_authorization
                name = SESSION_AUTHORIZATION;
                setting = settingValue(j + 2, local);
            } else if ("role".equals(name) && settingNameEnd == j + 1 && !kw(j + 1, "to")
                    && !isOperator(j + 1, '=')) {
                setting = settingValue(j + 1, local); // SET ROLE name | NONE, as set_config('role', ...) takes it
            } else if (kw(j, "schema")) {
                searchPathValues(j + 1, local);
            } else if (isSearchPath(j)) {
                if (kw(j + 1, "to") || isOperator(j + 1, '=')) {
                    searchPathValues(j + 2, local);
                } else if (!kw(j + 1, "from")) {
                    malformed = true;
                }
            } else if (kw(j, "time") && kw(j + 1, "zone")) {
                setting = kw(j + 2, "local") && j + 3 == to ? new SettingChange(null, local) : settingValue(j + 2, local);
            } else if (name != null && (kw(settingNameEnd, "to") || isOperator(settingNameEnd, '='))) {
                setting = settingValue(settingNameEnd + 1, local);
            }
        }

        /**
         * The value list from {@code j} to the end of the statement, as {@code set_config} takes it; null when it is
         * not a plain list of constants and names.
         */
        private SettingChange settingValue(int j, boolean local) {
            if (kw(j, "default") && j + 1 == to) {
                return new SettingChange(null, local);
            }
            StringBuilder value = new StringBuilder();
            while (j < to) {
                String item;
                if (is(j, TokenKind.STRING)) {
                    item = t.stringValue(j);
                } else if (is(j, TokenKind.NUMBER)) {
                    item = t.text(j);
                } else if ((isOperator(j, '-') || isOperator(j, '+')) && is(j + 1, TokenKind.NUMBER)) {
                    item = t.text(j) + t.text(j + 1);
                    j++;
                } else if (t.isName(j)) {
                    item = t.identifier(j);
                } else {
                    return null;
                }
                if (item == null) {
                    return null;
                }
                value.append(value.length() == 0 ? "" : ", ").append(item);
                j++;
                if (j < to && !is(j, TokenKind.COMMA)) {
                    return null;
                }
                j++;
            }
            return value.length() == 0 ? null : new SettingChange(value.toString(), local);
        }

        private boolean isSearchPath(int i) {
            return i < to && t.isName(i) && !is(i + 1, TokenKind.DOT) && "search_path".equals(t.identifier(i));
        }

        private void searchPathValues(int j, boolean local) {
            if (kw(j, "default")) {
                searchPath = SearchPath.reset(local);
                return;
            }
            List<String> schemas = new ArrayList<>(4);
            while (j < to) {
                String value = switch (t.kind(j)) {
                    case STRING -> t.stringValue(j);
                    case IDENTIFIER, QUOTED_IDENTIFIER -> t.identifier(j);
                    case NUMBER -> t.text(j);
                    default -> null;
                };
                if (value == null) {
                    malformed = true;
                    return;
                }
                schemas.add(value);
                if (!is(j + 1, TokenKind.COMMA)) {
                    break;
                }
                j += 2;
            }
            if (schemas.isEmpty()) {
                malformed = true;
                return;
            }
            searchPath = new SearchPath(false, schemas, local);
        }

        /**
         * The name of the setting a SET or RESET at {@code i} names, as PostgreSQL spells it in {@code pg_settings}
         * (folded; {@code TIME ZONE} is {@code timezone}, {@code NAMES} {@code client_encoding}, {@code SCHEMA}
         * {@code search_path}, a custom {@code ext.name} joined with its dot); {@code all} for RESET ALL; null when
         * there is no plain name there ({@code SET SESSION AUTHORIZATION}, {@code SET TRANSACTION ...}).
         */
        private String settingName(int i) {
            settingNameEnd = to;
            if (kw(i, "time") && kw(i + 1, "zone")) {
                return "timezone";
            }
            if (kw(i, "names")) {
                return "client_encoding";
            }
            if (kw(i, "schema")) {
                return "search_path";
            }
            if (i >= to || !t.isName(i) || kw(i, "session") || kw(i, "transaction")) {
                return null;
            }
            StringBuilder name = new StringBuilder();
            for (int j = i; ; j += 2) {
                String part = t.identifier(j);
                if (part == null) {
                    return null; // a quoted name that does not end
                }
                name.append(part);
                if (!is(j + 1, TokenKind.DOT) || j + 2 >= to || !t.isName(j + 2)) {
                    settingNameEnd = j + 1;
                    return name.toString();
                }
                name.append('.');
            }
        }

        private void reset(int i) {
            kind = Kind.SET;
            name = kw(i + 1, "session") && kw(i + 2, "authorization") ? SESSION_AUTHORIZATION : settingName(i + 1);
            if (name != null && !name.equals("all") && !name.equals("search_path")) {
                setting = new SettingChange(null, false);
            }
            if (kw(i + 1, "all") || isSearchPath(i + 1)) {
                searchPath = SearchPath.reset(false);
            }
        }

        private void create(int i) {
            kind = Kind.DDL;
            int j = i + 1;
            if (kw(j, "schema")) {
                createSchema(j + 1);
                return;
            }
            if (kw(j, "global") || kw(j, "local")) {
                j++;
            }
            boolean temp = kw(j, "temporary") || kw(j, "temp");
            if (temp || kw(j, "unlogged")) {
                j++;
            }
            if (kw(j, "table")) {
                j++;
                boolean ifNotExists = kw(j, "if") && kw(j + 1, "not") && kw(j + 2, "exists");
                if (ifNotExists) {
                    j += 3;
                }
                tableChange = new ClassifiedStatement.TableChange.Create(!temp ? ClassifiedStatement.Temporary.NO
                        : droppedOnCommit(j) ? ClassifiedStatement.Temporary.TRANSACTION
                        : ClassifiedStatement.Temporary.SESSION, ifNotExists);
                int next = qualifiedName(j);
                if (next >= 0 && kw(next, "partition") && kw(next + 1, "of")) {
                    qualifiedName(next + 2); // a new partition changes the partitioned table too
                }
                return;
            }
            if (kw(j, "unique")) {
                j++;
            }
            if (kw(j, "index")) {
                j++;
                if (kw(j, "concurrently")) {
                    j++;
                }
                if (kw(j, "if") && kw(j + 1, "not") && kw(j + 2, "exists")) {
                    j += 3;
                }
                if (!kw(j, "on")) {
                    j++;
                }
                if (kw(j, "on")) {
                    relation(j + 1);
                }
            }
        }

        /**
         * {@code CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role] [elements]}, or without a name the role's:
         * an empty schema of a name it shows is followed, anything else may have made tables of names it does not.
         */
        private void createSchema(int j) {
            if (kw(j, "if") && kw(j + 1, "not") && kw(j + 2, "exists")) {
                j += 3;
            }
            boolean byRole = kw(j, "authorization");
            if (byRole) {
                j++;
            }
            String schema = j < to && t.isName(j) && !roleKeyword(j) ? t.identifier(j) : null;
            int next = j + 1;
            if (!byRole && kw(next, "authorization")) {
                next += 2;
            }
            tableChange = schema == null || next < to ? new ClassifiedStatement.TableChange.Unknown()
                    : new ClassifiedStatement.TableChange.CreateSchema(schema);
        }

        /** {@code CURRENT_USER}, {@code SESSION_USER}, {@code CURRENT_ROLE}: a role the statement does not name. */
        private boolean roleKeyword(int i) {
            return kw(i, "current_user") || kw(i, "session_user") || kw(i, "current_role");
        }

        /** {@code ON COMMIT DROP} at the top level of a CREATE TABLE from {@code i} on, before any AS query. */
        private boolean droppedOnCommit(int i) {
            int as = findTopLevel(i, "as");
            int end = as < 0 ? to : as;
            for (int on = findTopLevel(i, "on"); on >= 0 && on < end; on = findTopLevel(on + 1, "on")) {
                if (kw(on + 1, "commit") && kw(on + 2, "drop")) {
                    return true;
                }
            }
            return false;
        }

        private void alter(int i) {
            kind = Kind.DDL;
            int j = i + 1;
            if (kw(j, "schema") && kw(j + 2, "rename")) {
                tableChange = new ClassifiedStatement.TableChange.Unknown(); // its tables move to another schema
                return;
            }
            if (!kw(j, "table") || kw(j + 1, "all")) {
                return;
            }
            j++;
            if (kw(j, "if") && kw(j + 1, "exists")) {
                j += 2;
            }
            int next = relation(j);
            if (next >= 0 && kw(next, "rename") && kw(next + 1, "to") && next + 2 < to && t.isName(next + 2)) {
                tableChange = new ClassifiedStatement.TableChange.Rename(t.identifier(next + 2));
            } else if (next >= 0 && kw(next, "set") && kw(next + 1, "schema") && next + 2 < to
                    && t.isName(next + 2)) {
                tableChange = new ClassifiedStatement.TableChange.SetSchema(t.identifier(next + 2));
            }
        }

        private void drop(int i) {
            kind = Kind.DDL;
            int j = i + 1;
            if (kw(j, "owned")) {
                tableChange = new ClassifiedStatement.TableChange.Unknown();
                return;
            }
            if (kw(j, "schema")) {
                dropSchema(j + 1);
                return;
            }
            if (!kw(j, "table")) {
                return;
            }
            j++;
            if (kw(j, "if") && kw(j + 1, "exists")) {
                j += 2;
            }
            tableChange = new ClassifiedStatement.TableChange.Drop();
            while (true) {
                j = qualifiedName(j);
                if (j < 0 || !is(j, TokenKind.COMMA)) {
                    return;
                }
                j++;
            }
        }

        /** {@code DROP SCHEMA [IF EXISTS] name [, ...] [CASCADE | RESTRICT]}. */
        private void dropSchema(int j) {
            if (kw(j, "if") && kw(j + 1, "exists")) {
                j += 2;
            }
            List<String> schemas = new ArrayList<>();
            while (j < to && t.isName(j) && t.identifier(j) != null) {
                schemas.add(t.identifier(j));
                if (!is(j + 1, TokenKind.COMMA)) {
                    break;
                }
                j += 2;
            }
            tableChange = schemas.isEmpty() ? new ClassifiedStatement.TableChange.Unknown()
                    : new ClassifiedStatement.TableChange.DropSchema(schemas);
        }
    }
}
