package dev.tandem.proxy.mirror;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Node.js applications through the proxy, with node-postgres ({@code pg}) and {@code pg-copy-streams}: parameterized
 * queries on the unnamed statement, named prepared statements, a {@code Pool}, queued and pipelined queries,
 * savepoints, multi-statement simple queries, Dates sent as local times with the process's offset, objects as
 * json/jsonb, Buffers as binary parameters, arrays, COPY streams in text and csv, and clients that go away inside a
 * transaction ({@code src/test/node/real_clients.js}). Each scenario commits some writes and rolls others back; the
 * source's and the target's tables must then be identical, with no divergence recorded. The packages are pinned by
 * {@code src/test/node/package-lock.json}; {@code .ci/run} installs them with {@code npm ci}.
 */
class NodeClientsIT {

    private static final Path PACKAGE = Path.of("src/test/node");
    private static final Path SCRIPT = PACKAGE.resolve("real_clients.js");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @TempDir
    static Path spool;

    static RunningMirrorProxy mirror;

    @BeforeAll
    static void start() throws Exception {
        String db = PG.pair().freshDatabase("node_clients");
        PG.pair().executeOnBoth(db, "CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL,"
                + " v double precision, note text, PRIMARY KEY (t, device));"
                + " CREATE TABLE readings (id bigint PRIMARY KEY, t timestamptz NOT NULL, tags text[], counts int[],"
                + " times timestamptz[], payload jsonb, doc json, raw bytea, amount numeric, u uuid, flag boolean,"
                + " day date, local timestamp)");
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
    @ValueSource(strings = {"client", "pool", "queued", "copy", "destroyed"})
    void whatTheApplicationCommittedIsOnTheTargetAndNothingElse(String scenario) throws Exception {
        assumeTrue(ClientScript.runs("node", "--version"), "no node on the PATH (.ci/run installs Debian's nodejs and npm)");
        assumeTrue(Files.isDirectory(PACKAGE.resolve("node_modules")),
                "proxy/src/test/node/node_modules is missing: run 'npm ci' there (.ci/run does)");
        ClientScript.runAndCompare(PG.pair(), mirror, List.of("node", SCRIPT.toString()), scenario);
    }
}
