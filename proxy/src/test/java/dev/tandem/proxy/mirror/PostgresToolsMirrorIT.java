package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL's own client tools (psql, pg_dump/pg_restore, pgbench) writing through a whole proxy: each scenario ends
 * with the full tables compared and the divergence ledger holding only what the README says is ledgered.
 */
class PostgresToolsMirrorIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    static final String TABLES = "CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL,"
            + " v double precision, note text, PRIMARY KEY (t, device));"
            + " CREATE TABLE copies (id int PRIMARY KEY, a text, b text, c int DEFAULT 42)";

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "tools", started -> mirror = started)
            .tables(TABLES)
            .flags("--mirror-table", "public.metrics", "--mirror-table", "public.copies",
                    "--mirror-table", "public.pgbench_accounts", "--mirror-table", "public.pgbench_history")
            .emptiedBeforeEach("metrics, copies");

    /** Both tables identical on both sides, and nothing ledgered. */
    private static void settle() throws Exception {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("metrics");
        mirror.assertIdentical("copies");
        assertThat(ledger()).as("ledger").isEmpty();
    }

    private static List<List<String>> ledger() {
        if (PG.target().queryValue(mirror.database, "SELECT to_regclass('tandem.divergence')") == null) {
            return List.of();
        }
        return PG.target().query(mirror.database, "SELECT sqlstate, table_name, message FROM tandem.divergence");
    }

    private static String count(String table) {
        return PG.source().queryValue(mirror.database, "SELECT count(*) FROM " + table);
    }

    @Test
    void psqlOnErrorRollbackRollsBackOnlyTheFailedStatement() throws Exception {
        Result r = psql("""
                \\set ON_ERROR_ROLLBACK on
                BEGIN;
                INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'a');
                INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'duplicate');
                INSERT INTO metrics VALUES ('2026-01-02', 2, 2, 'b');
                \\copy copies (id, a) from stdin
                1\tx
                \\.
                \\copy copies (id, a) from stdin
                1\tduplicate
                \\.
                INSERT INTO copies (id, a) VALUES (2, 'y');
                INSERT INTO copies (id, a) VALUES (3, 'z') \\; INSERT INTO copies (id, a) VALUES (1, 'duplicate');
                COMMIT;
                \\set AUTOCOMMIT off
                INSERT INTO metrics VALUES ('2026-01-03', 3, 3, 'c');
                INSERT INTO metrics VALUES ('2026-01-03', 3, 3, 'duplicate');
                SELECT format('INSERT INTO metrics VALUES (%L, 4, 4, %L)', '2026-01-04', 'g') \\gexec
                COMMIT;
                """, false);
        assertThat(r.out).contains("duplicate key");
        settle();
        assertThat(count("metrics")).isEqualTo("4");
        assertThat(count("copies")).isEqualTo("2");
    }

    @Test
    void psqlWithAutocommitOff() throws Exception {
        psql("""
                \\set AUTOCOMMIT off
                INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'a');
                COMMIT;
                INSERT INTO metrics VALUES ('2026-01-02', 1, 1, 'undone');
                ROLLBACK;
                INSERT INTO metrics VALUES ('2026-01-03', 1, 1, 'b');
                \\copy copies (id, a) from stdin
                1\tx
                \\.
                COMMIT;
                INSERT INTO metrics VALUES ('2026-01-04', 1, 1, 'left open');
                """, true);
        settle();
        assertThat(count("metrics")).isEqualTo("2");
        assertThat(count("copies")).isEqualTo("1");
    }

    @Test
    void psqlSingleTransactionWithAFailingStatementMirrorsNothing() throws Exception {
        Result r = psql("""
                INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'a');
                \\copy copies (id, a) from stdin
                1\tx
                \\.
                INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'duplicate');
                INSERT INTO metrics VALUES ('2026-01-02', 1, 1, 'b');
                """, false, "-1", "-v", "ON_ERROR_STOP=1");
        assertThat(r.exit).isNotZero();
        settle();
        assertThat(count("metrics")).isEqualTo("0");
        psql("""
                INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'a');
                \\copy copies (id, a) from stdin
                1\tx
                \\.
                """, true, "-1");
        settle();
        assertThat(count("metrics")).isEqualTo("1");
        psql(null, true, "-1", "-c", "INSERT INTO metrics VALUES ('2026-01-02', 1, 1, 'c1')", "-c",
                "INSERT INTO copies (id) VALUES (2)");
        Result failed = run(List.of("psql", "-h", "127.0.0.1", "-p", port(), "-U", "postgres", "-d", mirror.database,
                "-X", "-1", "-v", "ON_ERROR_STOP=1", "-c", "INSERT INTO metrics VALUES ('2026-01-03', 1, 1, 'c1')",
                "-c", "INSERT INTO copies (id) VALUES (2)"), false);
        assertThat(failed.exit).isNotZero();
        settle();
        assertThat(count("metrics")).isEqualTo("2");
    }

    @Test
    void psqlCopyFromAFileCombinedStatementsAndGexec(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("copies.csv");
        Files.writeString(file, "id,a,b\n1,\"multi\nline\",b\n2,,\n3,\"q\"\"uote\",\\N\n");
        psql("\\copy copies (id, a, b) from '" + file + "' with (format csv, header)\n"
                + "INSERT INTO metrics VALUES ('2026-01-01', 1, 1, 'a') \\; INSERT INTO metrics VALUES"
                + " ('2026-01-02', 1, 1, 'b') \\; SELECT 1;\n"
                + "SELECT format('INSERT INTO metrics VALUES (%L, %s, %s, %L)', '2026-02-01'::timestamptz"
                + " + i * interval '1 hour', i, i / 3.0, 'g' || i) FROM generate_series(1, 5) i \\gexec\n", true);
        settle();
        assertThat(count("copies")).isEqualTo("3");
        assertThat(count("metrics")).isEqualTo("7");
        Result failed = psql("INSERT INTO metrics VALUES ('2026-03-01', 1, 1, 'a') \\; INSERT INTO metrics VALUES"
                + " ('2026-01-01', 1, 1, 'duplicate') \\; INSERT INTO metrics VALUES ('2026-03-02', 1, 1, 'b');\n",
                false);
        assertThat(failed.out).contains("duplicate key");
        settle();
        assertThat(count("metrics")).isEqualTo("7");
    }

    /** psql 16's {@code \bind}: the extended protocol's unnamed statement, from psql. */
    @Test
    void psqlBindSendsParametersWithTheExtendedProtocol() throws Exception {
        assumeTrue(psqlMajor() >= 16, "\\bind needs psql 16 or newer");
        psql("""
                BEGIN;
                INSERT INTO metrics VALUES ($1, $2, $3, $4) \\bind '2026-01-01 10:00' 1 1.5 'undone' \\g
                INSERT INTO metrics VALUES ($1, $2, $3, $4) \\bind '2026-01-01 10:00' 2 2.5 'undone too' \\g
                ROLLBACK;
                INSERT INTO metrics VALUES ($1, $2, $3, $4) \\bind '2026-01-02 10:00' 3 3.5 'c' \\g
                """, true);
        settle();
        assertThat(count("metrics")).isEqualTo("1");
    }

    private static int psqlMajor() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        String version = run(List.of("psql", "--version"), true).out; // psql (PostgreSQL) 15.18 (Debian ...)
        Matcher m = Pattern.compile("\\) (\\d+)").matcher(version);
        assertThat(m.find()).as(version).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /**
     * Archives of 40 metrics and 10 copies rows made by pg_dump 15 ({@code src/test/resources/pgdump}): a pg_dump
     * refuses a server newer than itself, so the tests cannot dump the embedded servers with an older client's.
     */
    private static Path archive(String name) throws Exception {
        return Path.of(PostgresToolsMirrorIT.class.getResource("/pgdump/" + name).toURI());
    }

    @Test
    void pgRestoreDataOnlyOfACustomFormatArchive() throws Exception {
        assumeTrue(onPath("pg_restore"), "pg_restore is not on the PATH (CI installs postgresql-client)");
        for (List<String> flags : List.of(List.of("--data-only"), List.of("--data-only", "--disable-triggers"),
                List.of("--data-only", "--single-transaction"), List.of("--data-only", "--jobs=2"),
                List.of("--data-only", "--disable-triggers", "--single-transaction"))) {
            PG.pair().executeOnBoth(mirror.database, "TRUNCATE metrics, copies");
            List<String> command = new ArrayList<>(List.of("pg_restore", "-h", "127.0.0.1", "-p", port(), "-U",
                    "postgres", "-d", mirror.database, "--exit-on-error"));
            command.addAll(flags);
            command.add(archive("tables.dump").toString());
            run(command, true);
            settle();
            assertThat(count("metrics")).as(flags.toString()).isEqualTo("40");
            assertThat(count("copies")).as(flags.toString()).isEqualTo("10");
        }
    }

    @Test
    void pgDumpInsertsReplayedWithPsql() throws Exception {
        for (String script : List.of("inserts.sql", "column-inserts.sql")) {
            PG.pair().executeOnBoth(mirror.database, "TRUNCATE metrics, copies");
            psql("", true, "-f", archive(script).toString());
            settle();
            assertThat(count("metrics")).as(script).isEqualTo("40");
            assertThat(count("copies")).as(script).isEqualTo("10");
        }
    }

    /**
     * pgbench's own tables, created on both servers directly: its client-side generation truncates and loads
     * pgbench_accounts with COPY FREEZE in one transaction, which the target (not having seen the TRUNCATE) rejects,
     * so it is ledgered; its server-side one is a TRUNCATE (counted, not mirrored) and an INSERT ... SELECT from
     * generate_series, which makes its rows from its own values and is mirrored: the target, empty after the ledgered
     * COPY, then has the source's rows.
     */
    @Test
    void pgbenchInitialisationAndRun() throws Exception {
        assumeTrue(onPath("pgbench"), "pgbench is not on the PATH (CI installs postgresql)");
        String db = mirror.database;
        for (var server : List.of(PG.source(), PG.target())) {
            run(List.of("pgbench", "-h", server.host(), "-p", String.valueOf(server.port()), "-U", server.user(),
                    "-i", "-I", "dt", "-s", "1", db), true);
        }
        run(List.of("pgbench", "-h", "127.0.0.1", "-p", port(), "-U", "postgres", "-i", "-I", "g", db), true);
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        String accounts = "SELECT count(*), sum(aid), sum(bid), sum(abalance) FROM pgbench_accounts";
        if (PG.source().majorVersion() >= 14) {
            // pgbench copies WITH (FREEZE) into the tables it truncated in the same transaction: the TRUNCATE is not
            // mirrored, so the target refuses the COPY
            assertThat(ledger()).containsExactly(List.of("55000", "pgbench_accounts",
                    "cannot perform COPY FREEZE because the table was not created or truncated in the current"
                            + " subtransaction"));
            PG.target().execute(db, "DELETE FROM tandem.divergence");
        } else {
            // into a server before 14 it copies without FREEZE: mirrored; the next step's TRUNCATE is not
            assertThat(ledger()).isEmpty();
            assertThat(PG.target().query(db, accounts)).isEqualTo(PG.source().query(db, accounts));
            PG.target().execute(db, "TRUNCATE pgbench_accounts");
        }

        double before = unmirrored("public.pgbench_accounts", "insert_select");
        double truncates = unmirrored("public.pgbench_accounts", "truncate");
        run(List.of("pgbench", "-h", "127.0.0.1", "-p", port(), "-U", "postgres", "-i", "-I", "G", db), true);
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(unmirrored("public.pgbench_accounts", "insert_select")).isEqualTo(before);
        assertThat(unmirrored("public.pgbench_accounts", "truncate")).isEqualTo(truncates + 1);
        assertThat(PG.target().query(db, accounts)).isEqualTo(PG.source().query(db, accounts))
                .containsExactly(List.of("100000", "5000050000", "100000", "0"));
        assertThat(ledger()).isEmpty();

        run(List.of("pgbench", "-h", "127.0.0.1", "-p", port(), "-U", "postgres", "-n", "-t", "20", "-c", "2", db),
                true);
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        // mtime is CURRENT_TIMESTAMP, computed again on the target (a documented, counted limit)
        String history = "SELECT tid, bid, aid, delta FROM pgbench_history ORDER BY 1, 2, 3, 4";
        assertThat(PG.target().query(db, history)).hasSize(40).isEqualTo(PG.source().query(db, history));
        assertThat(ledger()).isEmpty();
    }

    private static double unmirrored(String table, String kind) {
        var counter = mirror.app.registry().find("tandem.unmirrored.writes").tag("table", table).tag("kind", kind)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private record Result(int exit, String out) {
    }

    private static String port() {
        return String.valueOf(mirror.app.relayAddress().getPort());
    }

    /** psql through the proxy reading {@code script} from stdin; {@code succeed} says whether it must exit 0. */
    private static Result psql(String script, boolean succeed, String... arguments) throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        List<String> command = new ArrayList<>(List.of("psql", "-h", "127.0.0.1", "-p", port(), "-U", "postgres",
                "-d", mirror.database, "-X"));
        command.addAll(List.of(arguments));
        if (succeed) {
            command.addAll(List.of("-v", "ON_ERROR_STOP=1"));
        }
        return run(command, script, succeed);
    }

    private static Result run(List<String> command, boolean succeed) throws Exception {
        return run(command, null, succeed);
    }

    private static Result run(List<String> command, String stdin, boolean succeed) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        if (succeed) {
            assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        }
        return new Result(p.exitValue(), out);
    }

    private static boolean onPath(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
