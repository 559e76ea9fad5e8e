package dev.tandem.proxy.mirror;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The drivers Python applications write time series with, through the proxy: psycopg2 (client-side interpolation,
 * {@code execute_values}, {@code copy_expert}), psycopg 3 (server-side binding, prepared statements, binary parameters,
 * pipeline mode, binary COPY) and asyncpg (binary extended protocol, batched {@code executemany}, savepoints, binary
 * {@code copy_records_to_table}). Each commits some writes and rolls others back in its own idioms
 * ({@code src/test/python/real_clients.py}); the source's and the target's tables must then be identical, with no
 * divergence recorded, in async and in sync mode (where the proxy holds each answer a pipelining client waits for
 * until the target has the transaction). The drivers are Debian's packages, which {@code .ci/run} installs.
 */
class PythonClientsIT {

    /** Debian's interpreter, which its python3-psycopg2, python3-psycopg and python3-asyncpg packages install into. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Path.of("src/test/python/real_clients.py");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** A proxy per mirror mode, each on a database of its own. */
    static Map<String, RunningMirrorProxy> mirrors = Map.of();

    @RegisterExtension
    static final MirrorProxiesPerMode MIRRORS = MirrorProxiesPerMode.on(PG, "python_clients",
                    started -> mirrors = started)
            .tables(ClientScript.METRICS + "; CREATE TABLE readings (id bigint PRIMARY KEY, t timestamptz NOT NULL,"
                    + " tags text[], payload jsonb, raw bytea, amount numeric, u uuid, flag boolean)");

    static Stream<Arguments> driversAndModes() {
        return ClientScript.underEachMode("psycopg2", "psycopg3", "asyncpg");
    }

    @ParameterizedTest(name = "{0}, {1} mode")
    @MethodSource("driversAndModes")
    void whatTheDriverCommittedIsOnTheTargetAndNothingElse(String driver, String mode) throws Exception {
        assumeTrue(ClientScript.runs(PYTHON, "-c", "import " + (driver.equals("psycopg3") ? "psycopg" : driver)),
                PYTHON + " cannot import " + driver
                        + " (.ci/run installs python3-psycopg2, python3-psycopg and python3-asyncpg)");
        ClientScript.runAndCompare(PG.pair(), mirrors.get(mode), List.of(PYTHON, SCRIPT.toString()), driver);
    }
}
