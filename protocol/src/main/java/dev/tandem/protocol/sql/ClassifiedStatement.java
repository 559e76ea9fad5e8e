package dev.tandem.protocol.sql;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One statement of a SQL string and what it does, as far as the proxy needs to know.
 *
 * @param kind                what the statement is
 * @param start               offset of its first token in the original string
 * @param end                 offset after its last token (the separating {@code ;} excluded)
 * @param malformed           PostgreSQL would reject it (unterminated quote/comment/dollar quote, unbalanced
 *                            parentheses, a missing table name...): the proxy should treat it as not mirrorable
 * @param tables              target tables: INSERT/COPY/UPDATE/DELETE/MERGE one, TRUNCATE and DROP TABLE all listed,
 *                            DDL when obvious (CREATE/ALTER/DROP TABLE, CREATE INDEX ... ON, SELECT INTO); else empty
 * @param columns             INSERT's or COPY's explicit column list, normalised; empty when absent
 * @param hasSelect           INSERT's rows depend on a query: {@code INSERT ... SELECT/TABLE/(query)}, or a
 *                            sub-SELECT in VALUES or ON CONFLICT (replaying it on the target reads target data); not
 *                            a SELECT that makes its rows from the statement's own values ({@code FROM unnest($1)})
 * @param onConflict          INSERT's ON CONFLICT action: {@link ConflictAction#NONE} without that clause, and for other
 *                            kinds
 * @param returning           INSERT/UPDATE/DELETE/MERGE ... RETURNING
 * @param withClause          the statement starts with a WITH clause
 * @param dataModifyingWith   a WITH clause holds INSERT/UPDATE/DELETE/MERGE: a write the statement's kind hides
 * @param explainAnalyzeWrite EXPLAIN ANALYZE of a writing statement: it executes, so it writes
 * @param nonDeterministic    for INSERT: lower-case names of the non-deterministic functions and keywords in its
 *                            source and ON CONFLICT action ({@code now}, {@code current_timestamp}, {@code nextval},
 *                            {@code current_user}, ...) and {@code 'now'}-style special date/time constants
 *                            (reported with their quotes); empty otherwise
 * @param defaults            for INSERT: where the server fills in a column's default although the statement names
 *                            it or its place: {@link #ALL_DEFAULTS} alone for {@code DEFAULT VALUES}, else the
 *                            0-based positions in a VALUES row (any row) written as {@code DEFAULT}; empty otherwise
 * @param copyFormat          COPY's data format; null for other kinds
 * @param copyOptions         COPY's option text after the source/destination ({@code WITH (FORMAT csv)},
 *                            {@code CSV HEADER}), null when there is none
 * @param txCommand           for TRANSACTION, which command; null otherwise
 * @param name                SAVEPOINT/RELEASE/ROLLBACK TO: the savepoint (normalised); PREPARE TRANSACTION,
 *                            COMMIT/ROLLBACK PREPARED: the transaction id; PREPARE/EXECUTE/DEALLOCATE: the prepared
 *                            statement (null for DEALLOCATE ALL); SET/RESET: the setting, folded ({@code timezone}
 *                            for {@code TIME ZONE}; {@code all} for RESET ALL; {@code session_authorization} for
 *                            {@code SET/RESET SESSION AUTHORIZATION}; null when not a plain name); null otherwise
 * @param searchPath          the statement's effect on {@code search_path}, null when it has none
 * @param setting             SET/RESET of another setting ({@code name}): the value it gives, null when it is
 *                            none or not written as a plain value ({@code SET ROLE x} gives {@code role} the value
 *                            {@code x}, {@code SET ROLE NONE} the value {@code none})
 * @param inner               PREPARE ... AS and EXPLAIN: the wrapped statement; null otherwise
 * @param withWrites          the tables the data-modifying queries of a WITH clause write (not in {@code tables}),
 *                            in order; empty when there are none or their names cannot be told
 * @param tableChange         what the statement does to which tables exist (as {@code tables} names them), as far as
 *                            the session's temporary tables go; null when nothing
 * @param callsSetConfig      the statement calls a function named {@code set_config} (written as a name, not inside a
 *                            string or a function body): it may change a setting without a SET; for INSERT in its
 *                            source or ON CONFLICT action (read for other reasons too); always false for COPY, which
 *                            is not looked through (its text may be large)
 */
public record ClassifiedStatement(
        Kind kind,
        int start,
        int end,
        boolean malformed,
        List<TableName> tables,
        List<String> columns,
        boolean hasSelect,
        ConflictAction onConflict,
        boolean returning,
        boolean withClause,
        boolean dataModifyingWith,
        boolean explainAnalyzeWrite,
        Set<String> nonDeterministic,
        Set<Integer> defaults,
        CopyFormat copyFormat,
        String copyOptions,
        TxCommand txCommand,
        String name,
        SearchPath searchPath,
        SettingChange setting,
        ClassifiedStatement inner,
        List<TableName> withWrites,
        TableChange tableChange,
        boolean callsSetConfig) {

    public ClassifiedStatement {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(onConflict, "onConflict");
        tables = List.copyOf(tables);
        columns = List.copyOf(columns);
        nonDeterministic = Set.copyOf(nonDeterministic);
        defaults = Set.copyOf(defaults);
        withWrites = List.copyOf(withWrites);
    }

    /** In {@link #defaults()}: {@code INSERT ... DEFAULT VALUES}, every column gets its default. */
    public static final int ALL_DEFAULTS = -1;

    /** The first target table, or null. */
    public TableName table() {
        return tables.isEmpty() ? null : tables.get(0);
    }

    /** This statement's text in {@code sql}, the string it was classified from. */
    public String text(String sql) {
        return sql.substring(start, end);
    }

    public enum Kind {
        INSERT,
        /** {@code COPY ... FROM STDIN}: the data follows as CopyData messages. */
        COPY_FROM_STDIN,
        /**
         * {@code COPY ... FROM 'file'} or {@code FROM PROGRAM 'command'}: the server reads the data itself, it never
         * crosses the wire.
         */
        COPY_FROM_SERVER,
        /** {@code COPY ... TO} anything (a read), or a COPY whose direction is missing (malformed). */
        COPY_OTHER,
        UPDATE,
        DELETE,
        TRUNCATE,
        MERGE,
        /** SELECT, VALUES, TABLE: including {@code SELECT f()}, whose writes (if any) are invisible here. */
        SELECT,
        /** CREATE, ALTER, DROP, COMMENT, GRANT, REVOKE, SECURITY LABEL, IMPORT FOREIGN SCHEMA, SELECT INTO. */
        DDL,
        TRANSACTION,
        /** SET and RESET of any setting. */
        SET,
        /** {@code PREPARE name AS ...} (not PREPARE TRANSACTION). */
        PREPARE,
        EXECUTE,
        /** {@code DEALLOCATE [PREPARE] name | ALL}, and {@code DISCARD ALL}, which deallocates all as well. */
        DEALLOCATE,
        CALL,
        OTHER
    }

    public enum TxCommand {
        /** BEGIN, START TRANSACTION. */
        BEGIN,
        /** COMMIT, END. */
        COMMIT,
        COMMIT_AND_CHAIN,
        /** ROLLBACK, ABORT. */
        ROLLBACK,
        ROLLBACK_AND_CHAIN,
        SAVEPOINT,
        RELEASE,
        ROLLBACK_TO_SAVEPOINT,
        PREPARE_TRANSACTION,
        COMMIT_PREPARED,
        ROLLBACK_PREPARED
    }

    /** What {@code INSERT ... ON CONFLICT} does with a row that conflicts. */
    public enum ConflictAction {
        /** No ON CONFLICT clause. */
        NONE,
        /** {@code DO NOTHING}: the row is skipped, which shows in the row count. */
        NOTHING,
        /**
         * {@code DO UPDATE}: the existing row is changed; which value stays depends on the order in which concurrent
         * transactions commit, and the row count does not tell.
         */
        UPDATE
    }

    /**
     * What a statement does to which tables exist under which names: a temporary table hides a table of the same name
     * that an unqualified name would otherwise mean, and so does a table a transaction creates in a schema the
     * session's search_path lists earlier, until the proxy's catalog shows it.
     */
    public sealed interface TableChange {

        /**
         * CREATE TABLE or SELECT INTO the first of {@code tables}; {@code ifNotExists}: written
         * {@code IF NOT EXISTS}, so it may have done nothing.
         */
        record Create(Temporary temporary, boolean ifNotExists) implements TableChange {
        }

        /** DROP TABLE of all {@code tables}. */
        record Drop() implements TableChange {
        }

        /** {@code ALTER TABLE ... RENAME TO}: the first of {@code tables} is now called {@code to} (normalised). */
        record Rename(String to) implements TableChange {
        }

        /** {@code ALTER TABLE ... SET SCHEMA}: the first of {@code tables} is now in {@code schema} (normalised). */
        record SetSchema(String schema) implements TableChange {
        }

        /** {@code CREATE SCHEMA}, empty: {@code name} exists from now on (normalised). */
        record CreateSchema(String name) implements TableChange {
        }

        /** {@code DROP SCHEMA}: the {@code names} (normalised) and every table in them are gone. */
        record DropSchema(List<String> names) implements TableChange {

            public DropSchema {
                names = List.copyOf(names);
            }
        }

        /**
         * It may create, drop, rename or move tables whose names it does not show: {@code ALTER SCHEMA ... RENAME},
         * {@code DROP OWNED}, {@code IMPORT FOREIGN SCHEMA}, a {@code CREATE SCHEMA} that creates tables in it or
         * whose name is a role written as {@code CURRENT_USER} or the like.
         */
        record Unknown() implements TableChange {
        }

        /** {@code DISCARD TEMP} and {@code DISCARD ALL}: the session's temporary tables are dropped. */
        record DiscardTemporary() implements TableChange {
        }
    }

    /** Whether a table a statement creates is temporary, and until when. */
    public enum Temporary {
        NO,
        /** Until the session ends or drops it. */
        SESSION,
        /** {@code ON COMMIT DROP}: until its transaction ends. */
        TRANSACTION
    }

    public enum CopyFormat {
        TEXT,
        CSV,
        BINARY
    }
}
