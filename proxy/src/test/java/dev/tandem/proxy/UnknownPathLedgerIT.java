package dev.tandem.proxy;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.demo.BackfillRunner;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A session puts {@code s2} first in its search_path with set_config, which the proxy cannot follow, and writes the
 * unqualified name {@code d}: the proxy cannot tell which mirrored {@code d} the rows went to, so it ledgers the write
 * rather than replay it. The rows went to {@code s2.d}, while the last path the proxy knew means {@code public.d}.
 * Before, the one entry named {@code public.d} only, and {@code s2.d}'s rows stayed missing on the target whatever
 * {@code tandem-backfill repair} re-copied. PostgreSQL 18 reports the path, and the proxy mirrors the write.
 */
class UnknownPathLedgerIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @TempDir
    Path spool;
    private String db;

    @BeforeEach
    void tables() {
        db = PG.pair().freshDatabase("unknown_path");
        PG.pair().executeOnBoth(db, "CREATE TABLE d (id int PRIMARY KEY, at timestamptz NOT NULL);"
                + " CREATE SCHEMA s2; CREATE TABLE s2.d (LIKE public.d INCLUDING ALL);"
                + " INSERT INTO d SELECT i, '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 hour'"
                + " FROM generate_series(1, 50) i;"
                + " INSERT INTO s2.d SELECT i, '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 hour'"
                + " FROM generate_series(1, 50) i");
    }

    @Test
    void aWriteUnderAnUnknownPathHasAnEntryForEachTableOfItsNameAndRepairMakesTheTablesEqual() throws Exception {
        try (ProxyApplication app = start()) {
            app.lookUpTimeColumns(db);
            Properties p = new Properties();
            p.setProperty("user", PG.source().user());
            p.setProperty("password", PG.source().password());
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + app.relayAddress().getPort() + "/" + db, p); Statement s = c.createStatement()) {
                s.execute("SELECT set_config('search_path', 's2, public', false)");
                s.execute("INSERT INTO d VALUES (1001, '2025-01-02 00:30:00+00'), (1002, '2025-01-03 04:00:00+00')");
            }
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM s2.d")).isEqualTo("52");
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM public.d")).isEqualTo("50");
            if (PG.source().majorVersion() >= 18) {
                // PostgreSQL 18 reports the path before the ReadyForQuery after the set_config: the proxy knows it
                // again for the INSERT, a later request, and mirrors it
                eventually("the write is mirrored", () -> "52".equals(
                        PG.target().queryValue(db, "SELECT count(*) FROM s2.d")));
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
                return;
            }
            eventually("the write is ledgered", () -> app.mirrorCaughtUp() && !"0".equals(
                    PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")));
            List<List<String>> ledger = PG.target().query(db, "SELECT table_schema || '.' || table_name, time_column,"
                    + " range_start, range_end, message FROM tandem.divergence ORDER BY 1");
            assertThat(ledger).extracting(entry -> entry.get(0)).containsExactly("public.d", "s2.d");
            for (List<String> entry : ledger) {
                assertThat(entry.subList(1, 4)).as("the range of the rows in %s", entry.get(0))
                        .containsExactly("at", "2025-01-02 00:30:00+00", "2025-01-03 04:00:00.000001+00");
                assertThat(entry.get(4)).contains("search_path", "set_config", "each has an entry like this one");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int exit = BackfillRunner.locate(new PrintStream(output, true, StandardCharsets.UTF_8)).run("repair",
                    "--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user(),
                    "--target", PG.target().jdbcUrl(db) + "?user=" + PG.target().user());
            assertThat(exit).as(output.toString(StandardCharsets.UTF_8)).isZero();
            for (String table : List.of("public.d", "s2.d")) {
                String rows = "SELECT string_agg(id || ' ' || at, ', ' ORDER BY id) FROM " + table;
                assertThat(PG.target().queryValue(db, rows)).as("%s after repair", table)
                        .isEqualTo(PG.source().queryValue(db, rows));
            }
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE repaired_at IS NULL"))
                .isEqualTo("0");
    }

    private ProxyApplication start() throws Exception {
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--listen", "127.0.0.1:0",
                "--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", "postgres", "--target-tls", "disable",
                "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0",
                "--mirror-table", "public.d", "--mirror-table", "s2.d",
                "--set", "verifier.enabled=false",
                "--set", "verifier.time-columns.public.d=at", "--set", "verifier.time-columns.s2.d=at",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms");
        ProxyConfig config = options.load(Map.of());
        return new ProxyApplication(config).start(Transport.choose("auto"));
    }

}
