package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.testing.PostgresPair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * An application in another language writing through the proxy: a script run as a process with the proxy's address,
 * the database, the user and a scenario name, which prints, last, the rows it committed per table as a JSON object.
 * What its writes must come to: those rows on the source, the same tables on the target, no divergence recorded.
 */
final class ClientScript {

    /** The mirror modes every script runs under: sync mode holds each answer a client waits for. */
    static final List<String> MODES = List.of("async", "sync");

    /** Both tables every script writes. */
    static final String TABLES = "metrics, readings";

    /** The first of them, the same for every script; {@code readings} has columns of the types of its language. */
    static final String METRICS = "CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL,"
            + " v double precision, note text, PRIMARY KEY (t, device))";

    private ClientScript() {
    }

    /** Each scenario under each mode, as a parameterized test takes them. */
    static Stream<Arguments> underEachMode(String... scenarios) {
        return Stream.of(scenarios).flatMap(scenario -> MODES.stream().map(mode -> Arguments.of(scenario, mode)));
    }

    /** Whether {@code command} runs and exits 0 (an interpreter that is there and has what the script imports). */
    static boolean runs(String... command) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs {@code scenario} of the script {@code command} starts through the proxy; then checks its tables. */
    static void runAndCompare(PostgresPair pair, RunningMirrorProxy mirror, List<String> command, String scenario)
            throws Exception {
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of("127.0.0.1", String.valueOf(mirror.app.relayAddress().getPort()), mirror.database,
                pair.source().user(), scenario));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", scenario).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> lines = out.lines().toList();
        Map<String, Long> committed = new ObjectMapper().readValue(lines.get(lines.size() - 1), new TypeReference<>() {
        });

        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        for (Map.Entry<String, Long> table : committed.entrySet()) {
            assertThat(pair.source().queryValue(mirror.database, "SELECT count(*) FROM " + table.getKey()))
                    .as("rows %s committed into %s", scenario, table.getKey()).isEqualTo(table.getValue().toString());
            mirror.assertIdentical(table.getKey());
        }
        assertThat(pair.target().query(mirror.database, "SELECT table_name, sqlstate, message FROM tandem.divergence"))
                .as("divergence ledger").isEmpty();
    }
}
