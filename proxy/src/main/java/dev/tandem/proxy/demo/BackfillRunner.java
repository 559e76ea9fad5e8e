package dev.tandem.proxy.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs {@code tandem-backfill.jar} as the operator would, in a process of its own: the proxy does not link the
 * backfill's code (both tools depend only on the protocol module). The demo's, and the tests' that drive the proxy and
 * the backfill together.
 */
public final class BackfillRunner {

    static final String JAR_PROPERTY = "tandem.backfill.jar";

    private final Path jar;
    private final PrintStream out;

    private BackfillRunner(Path jar, PrintStream out) {
        this.jar = jar;
        this.out = out;
    }

    /** Finds the backfill jar: {@code -Dtandem.backfill.jar}, beside the proxy jar, or in the source tree. */
    public static BackfillRunner locate(PrintStream out) {
        return find().map(j -> new BackfillRunner(j, out)).orElseThrow(() -> new IllegalStateException(
                "cannot find tandem-backfill.jar: build it with './mvnw -B -q -DskipTests package' or pass -D"
                        + JAR_PROPERTY + "=PATH"));
    }

    private static Optional<Path> find() {
        String configured = System.getProperty(JAR_PROPERTY);
        if (configured != null) {
            return Optional.of(Path.of(configured)).filter(Files::isRegularFile);
        }
        try {
            Path here = Path.of(BackfillRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = here.getParent(); dir != null; dir = dir.getParent()) {
                for (Path candidate : List.of(dir.resolve("tandem-backfill.jar"),
                        dir.resolve("backfill-cli/target/tandem-backfill.jar"))) {
                    if (Files.isRegularFile(candidate)) {
                        return Optional.of(candidate);
                    }
                }
            }
        } catch (URISyntaxException | SecurityException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Runs one backfill command, echoing its output indented; returns its exit code. */
    public int run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        out.println("  $ tandem-backfill " + String.join(" ", args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                out.println("    " + line);
            }
        }
        return process.waitFor();
    }
}
