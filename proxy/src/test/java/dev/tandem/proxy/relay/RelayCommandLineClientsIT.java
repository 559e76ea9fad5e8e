package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** libpq's own tools through the proxy. CI installs them; elsewhere these tests are skipped, saying why. */
class RelayCommandLineClientsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningProxy proxy;
    static String db;

    @RegisterExtension
    static final RelayProxyExtension RELAY = RelayProxyExtension.on(PG, "relay_cli", (started, database) -> {
        proxy = started;
        db = database;
    });

    record Result(int exit, String out) {
    }

    private static boolean onPath(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static Result run(String stdin, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PGCONNECT_TIMEOUT", "10");
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static List<String> conn(String tool) {
        return new ArrayList<>(List.of(tool, "-h", "127.0.0.1", "-p", String.valueOf(proxy.port()), "-U", "postgres"));
    }

    @Test
    void psqlRunsAScriptWithCopyThroughTheProxy() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        List<String> cmd = conn("psql");
        cmd.addAll(List.of("-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-f", "-"));
        String script = String.join("\n",
                "CREATE TABLE cli (id int, name text);",
                "COPY cli FROM STDIN;",
                "1\tone",
                "2\ttwo",
                "\\.",
                "\\copy cli to stdout",
                "SELECT count(*) FROM cli;",
                "");
        Result r = run(script, cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("1\tone\n2\ttwo\n").endsWith("2\n");

        Result bad = run(null, conn("psql").toArray(String[]::new)[0], "-h", "127.0.0.1", "-p",
                String.valueOf(proxy.port()), "-U", "postgres", "-d", db, "-c", "SELECT * FROM missing_table");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.out()).contains("relation \"missing_table\" does not exist");
    }

    @Test
    void psqlRequiringTlsFromAProxyWithoutItFailsClearly() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        Result r = run(null, "psql", "host=127.0.0.1 port=" + proxy.port() + " user=postgres dbname=" + db
                + " sslmode=require", "-c", "SELECT 1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("server does not support SSL, but SSL was required");
    }

    @Test
    void psqlCancelsARunningQueryOnSigint() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        Process p = new ProcessBuilder("psql", "-h", "127.0.0.1", "-p", String.valueOf(proxy.port()), "-U", "postgres",
                "-d", db, "-c", "SELECT pg_sleep(60) /* cancel me */").redirectErrorStream(true).start();
        String running = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%/* cancel me */' AND state = 'active'"
                + " AND pid <> pg_backend_pid()";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!PG.source().queryValue(db, running).equals("1")) {
            assertThat(p.isAlive() && System.nanoTime() < deadline).as("psql's query reaches the source").isTrue();
            Thread.sleep(50);
        }
        // what Ctrl-C does: psql sends a CancelRequest on a new connection
        assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor()).isZero();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("canceling statement due to user request");
        assertThat(p.exitValue()).isNotZero();
    }

    @Test
    void aLogicalReplicationConnectionIsRelayed() throws Exception {
        assumeTrue(onPath("psql"), "psql is not on the PATH (CI installs postgresql-client)");
        // replication=database starts a walsender on the source; its replication commands travel as simple queries
        Result r = run(null, "psql", "host=127.0.0.1 port=" + proxy.port() + " user=postgres dbname=" + db
                + " replication=database", "-At", "-c", "IDENTIFY_SYSTEM");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).matches("(?s)\\d+\\|1\\|[0-9A-F]+/[0-9A-F]+\\|" + db + "\\n");
    }

    @Test
    void pgbenchInitialisesAndRunsEveryProtocolMode() throws Exception {
        assumeTrue(onPath("pgbench"), "pgbench is not on the PATH (CI installs postgresql)");
        List<String> init = conn("pgbench");
        init.addAll(List.of("-i", "-s", "1", "-q", db));
        Result r = run(null, init.toArray(String[]::new));
        assertThat(r.exit()).as(r.out()).isZero();
        for (String mode : List.of("simple", "extended", "prepared")) {
            List<String> bench = conn("pgbench");
            bench.addAll(List.of("-n", "-c", "4", "-j", "2", "-t", "50", "-M", mode, db));
            Result b = run(null, bench.toArray(String[]::new));
            assertThat(b.exit()).as(b.out()).isZero();
            assertThat(b.out()).contains("number of transactions actually processed: 200/200");
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM pgbench_history")).isEqualTo("600");
    }
}
