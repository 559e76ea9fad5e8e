package dev.tandem.proxy.mirror;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Node.js applications through the proxy, with node-postgres ({@code pg}) and {@code pg-copy-streams}: parameterized
 * queries on the unnamed statement, named prepared statements, a {@code Pool}, queued and pipelined queries,
 * savepoints, multi-statement simple queries, Dates sent as local times with the process's offset, objects as
 * json/jsonb, Buffers as binary parameters, arrays, COPY streams in text and csv, and clients that go away inside a
 * transaction ({@code src/test/node/real_clients.js}). Each scenario commits some writes and rolls others back; the
 * source's and the target's tables must then be identical, with no divergence recorded, in async and in sync mode
 * (where the proxy holds each answer a queued or pipelined client waits for until the target has the transaction).
 * The packages are pinned by {@code src/test/node/package-lock.json}; {@code .ci/run} installs them with
 * {@code npm ci}.
 */
class NodeClientsIT {

    private static final Path PACKAGE = Path.of("src/test/node");
    private static final Path SCRIPT = PACKAGE.resolve("real_clients.js");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** A proxy per mirror mode, each on a database of its own. */
    static Map<String, RunningMirrorProxy> mirrors = Map.of();

    @RegisterExtension
    static final MirrorProxiesPerMode MIRRORS = MirrorProxiesPerMode.on(PG, "node_clients",
                    started -> mirrors = started)
            .tables(ClientScript.METRICS + "; CREATE TABLE readings (id bigint PRIMARY KEY, t timestamptz NOT NULL,"
                    + " tags text[], counts int[], times timestamptz[], payload jsonb, doc json, raw bytea,"
                    + " amount numeric, u uuid, flag boolean, day date, local timestamp)");

    static Stream<Arguments> scenariosAndModes() {
        return ClientScript.underEachMode("client", "pool", "queued", "copy", "destroyed");
    }

    @ParameterizedTest(name = "{0}, {1} mode")
    @MethodSource("scenariosAndModes")
    void whatTheApplicationCommittedIsOnTheTargetAndNothingElse(String scenario, String mode) throws Exception {
        assumeTrue(ClientScript.runs("node", "--version"),
                "no node on the PATH (.ci/run installs Debian's nodejs and npm)");
        assumeTrue(Files.isDirectory(PACKAGE.resolve("node_modules")),
                "proxy/src/test/node/node_modules is missing: run 'npm ci' there (.ci/run does)");
        ClientScript.runAndCompare(PG.pair(), mirrors.get(mode), List.of("node", SCRIPT.toString()), scenario);
    }
}
