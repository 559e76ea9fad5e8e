package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.testing.PostgresPair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
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
    private static final String TABLES = "metrics, readings";

    private ClientScript() {
    }

    /**
     * A proxy per mirror mode in front of {@code pair}, each on a fresh database of its own made by {@code ddl}
     * (creating tables {@code metrics} and {@code readings}, which it mirrors).
     */
    static Map<String, RunningMirrorProxy> startPerMode(PostgresPair pair, Path spool, String name, String ddl)
            throws Exception {
        Map<String, RunningMirrorProxy> mirrors = new LinkedHashMap<>();
        for (String mode : MODES) {
            String db = pair.freshDatabase(name + "_" + mode);
            pair.executeOnBoth(db, ddl);
            mirrors.put(mode, RunningMirrorProxy.start(pair, db, spool.resolve(mode), "--mirror-mode", mode,
                    "--instance-id", name.replace('_', '-') + "-" + mode, "--mirror-table", "public.metrics",
                    "--mirror-table", "public.readings"));
        }
        return mirrors;
    }

    /** Waits until each proxy's mirror has applied everything, then empties the tables on both servers. */
    static void empty(PostgresPair pair, Collection<RunningMirrorProxy> mirrors) throws InterruptedException {
        for (RunningMirrorProxy mirror : mirrors) {
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            pair.executeOnBoth(mirror.database, "TRUNCATE " + TABLES);
        }
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
