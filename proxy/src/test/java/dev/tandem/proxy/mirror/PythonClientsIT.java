package dev.tandem.proxy.mirror;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drivers Python applications write time series with, through the proxy: psycopg2 (client-side interpolation,
 * {@code execute_values}, {@code copy_expert}), psycopg 3 (server-side binding, prepared statements, binary parameters,
 * pipeline mode, binary COPY) and asyncpg (binary extended protocol, batched {@code executemany}, savepoints, binary
 * {@code copy_records_to_table}). Each commits some writes and rolls others back in its own idioms
 * ({@code src/test/python/real_clients.py}); the source's and the target's tables must then be identical, with no
 * divergence recorded. The drivers are Debian's packages, which {@code .ci/run} installs.
 */
class PythonClientsIT {

    /** Debian's interpreter: the one its python3-psycopg2, python3-psycopg and python3-asyncpg packages install into. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Path.of("src/test/python/real_clients.py");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @TempDir
    static Path spool;

    static RunningMirrorProxy mirror;

    @BeforeAll
    static void start() throws Exception {
        String db = PG.pair().freshDatabase("python_clients");
        PG.pair().executeOnBoth(db, "CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL,"
                + " v double precision, note text, PRIMARY KEY (t, device));"
                + " CREATE TABLE readings (id bigint PRIMARY KEY, t timestamptz NOT NULL, tags text[], payload jsonb,"
                + " raw bytea, amount numeric, u uuid, flag boolean)");
        mirror = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.metrics",
                "--mirror-table", "public.readings");
    }

    @AfterAll
    static void stop() {
        if (mirror != null) {
            mirror.close();
        }
    }

    @BeforeEach
    void empty() throws Exception {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        PG.pair().executeOnBoth(mirror.database, "TRUNCATE metrics, readings");
    }

    @ParameterizedTest
    @ValueSource(strings = {"psycopg2", "psycopg3", "asyncpg"})
    void whatTheDriverCommittedIsOnTheTargetAndNothingElse(String driver) throws Exception {
        assumeTrue(ClientScript.runs(PYTHON, "-c", "import " + (driver.equals("psycopg3") ? "psycopg" : driver)),
                PYTHON + " cannot import " + driver
                        + " (.ci/run installs python3-psycopg2, python3-psycopg and python3-asyncpg)");
        ClientScript.runAndCompare(PG.pair(), mirror, List.of(PYTHON, SCRIPT.toString()), driver);
    }
}
