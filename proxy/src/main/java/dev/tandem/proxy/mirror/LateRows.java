package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Counts mirrored rows whose time is before the database's dual-write mark: rows written late, into the ranges the
 * backfill copies, which break its assumption that those ranges no longer change. The count comes from the target
 * itself, for no more than one row of reply per statement: the replayed one-row or coalesced INSERT runs as
 * {@code WITH "tandem inserted" AS (INSERT ... RETURNING t) SELECT count(*), count(*) FILTER (WHERE t < mark)
 * FROM "tandem inserted"}, which inserts exactly what the INSERT alone does. INSERTs into tables with a timestamptz
 * time column are counted: one-row and coalesced ones, and any other INSERT without RETURNING or a WITH clause
 * (multi-row VALUES, ON CONFLICT, DEFAULT VALUES). COPY is not: its rows cannot be returned.
 */
final class LateRows {

    /** The pipeline slot of a counted statement: {@code unit} is the {@link Replayed} or {@link CoalescedInsert}. */
    record Counted(Object unit) {
    }

    private static final String TIMESCALE_RETURNING =
            "insert with ON CONFLICT or RETURNING clause is not supported on compressed chunks";
    /** PostgreSQL's rewriter: "DO ALSO rules are not supported for data-modifying statements in WITH" and the like. */
    private static final String RULES_IN_WITH = "rules are not supported for data-modifying statements in WITH";
    /** PostgreSQL's rewriter, for a DO INSTEAD rule without RETURNING. */
    private static final String RETURNING_RULE = "cannot perform INSERT RETURNING on relation";

    private LateRows() {
    }

    /**
     * The INSERT's text up to its last token (no trailing semicolon or comment) when RETURNING can be appended to it,
     * else null: one INSERT, not malformed, without RETURNING or a WITH clause of its own.
     */
    static String countable(String sql) {
        List<ClassifiedStatement> statements = StatementClassifier.classify(sql);
        if (statements.size() != 1) {
            return null;
        }
        ClassifiedStatement s = statements.get(0);
        if (s.kind() != ClassifiedStatement.Kind.INSERT || s.malformed() || s.returning() || s.withClause()) {
            return null;
        }
        return s.text(sql);
    }

    /** {@code insert} (one INSERT, no RETURNING, no trailing semicolon) answering its counts as a row. */
    static String wrap(String insert, String quotedColumn, String markLiteral) {
        // a quoted name with a space: no application statement refers to it, so the CTE shadows nothing; qualified,
        // as it runs under the source session's search_path, which may list a schema before pg_catalog
        return "WITH \"tandem inserted\" AS (" + insert + " RETURNING " + quotedColumn + ") SELECT pg_catalog.count(*),"
                + " pg_catalog.count(*) FILTER (WHERE " + quotedColumn + " OPERATOR(pg_catalog.<) " + markLiteral
                + ") FROM \"tandem inserted\"";
    }

    /**
     * Why the target refused an INSERT wrapped to count its late rows ({@code sqlState}, {@code message}) while it may
     * take the INSERT alone: for the warning that its table's late rows are no longer counted.
     */
    static String refusal(String sqlState, String message) {
        String m = message == null ? "" : message;
        if ("0A000".equals(sqlState) && m.startsWith(TIMESCALE_RETURNING)) {
            // src/nodes/chunk_insert_state.c: any RETURNING into a compressed chunk, until 2.11 took DML on them
            return "the target runs TimescaleDB before 2.11, which refuses RETURNING in an INSERT into a compressed"
                    + " chunk (2.11 and later take it), and counting wraps each INSERT in WITH ... RETURNING";
        }
        if ("0A000".equals(sqlState) && (m.contains(RULES_IN_WITH) || m.startsWith(RETURNING_RULE))) {
            return "PostgreSQL refuses an INSERT into a table with INSERT rules (DO ALSO, conditional DO INSTEAD, DO"
                    + " INSTEAD without RETURNING) wrapped in WITH ... RETURNING, as counting wraps each INSERT";
        }
        return "the target refuses its INSERTs wrapped in WITH ... RETURNING, as counting wraps each INSERT";
    }

    /** Column {@code index} of a counted statement's row; -1 when it is missing. */
    static long count(DataRow row, int index) {
        if (row == null || row.columns().size() <= index || row.columns().get(index) == null) {
            return -1;
        }
        return Long.parseLong(new String(row.columns().get(index), StandardCharsets.UTF_8));
    }
}
