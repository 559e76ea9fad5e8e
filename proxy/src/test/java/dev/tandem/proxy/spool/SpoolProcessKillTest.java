package dev.tandem.proxy.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.tandem.proxy.LoggedWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a JVM that is appending (SIGKILL, as {@code kill -9}) and checks what the reopened spool holds. */
class SpoolProcessKillTest {

    private static final int THREADS = 4;
    private static final int CONFIRMED_BEFORE_KILL = 400;

    @TempDir
    Path dir;

    @Test
    void everyConfirmedAppendSurvivesAKillAndTheSpoolReopensCleanly() throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 1L << 30, 8 * 1024, FsyncPolicy.ALWAYS, Duration.ofSeconds(1),
                OnFull.BLOCK);
        // a clean stop before the killed run: its mark must not speak for the run that was killed
        Spool.open(settings).close();
        assertThat(dir.resolve(CleanStop.FILE)).exists();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SpoolCrashChild.class.getName(), dir.toString(), Integer.toString(THREADS))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        Map<Integer, Integer> confirmed = new HashMap<>();
        int count = 0;
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while (count < CONFIRMED_BEFORE_KILL && (line = lines.readLine()) != null) {
                String[] parts = line.split(" ");
                if (parts.length != 3 || !parts[0].equals("confirmed")) {
                    continue;
                }
                confirmed.merge(Integer.parseInt(parts[1]), Integer.parseInt(parts[2]) + 1, Math::max);
                count++;
            }
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(count).as("the child confirmed appends before it was killed").isEqualTo(CONFIRMED_BEFORE_KILL);

        assertThat(dir.resolve(CleanStop.FILE)).as("removed by the killed run's open").doesNotExist();
        List<String> recovery = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> Spool.open(settings).close());
        assertThat(recovery).noneMatch(line -> line.contains("stopped cleanly"));
        try (Spool spool = Spool.open(settings)) {
            List<SpoolRecord> records = SpoolTestSupport.readAll(spool, SpoolPosition.ORIGIN);
            Map<Integer, Integer> found = new HashMap<>();
            long sequence = 1;
            for (SpoolRecord record : records) {
                assertThat(record.sequence()).isEqualTo(sequence++);
                ByteBuffer payload = ByteBuffer.wrap(record.payload());
                int thread = payload.getInt();
                int index = payload.getInt();
                assertThat(index).as("thread %d in order", thread).isEqualTo(found.getOrDefault(thread, 0));
                assertThat(record.payload()).isEqualTo(SpoolCrashChild.payload(thread, index));
                found.put(thread, index + 1);
            }
            confirmed.forEach((thread, appended) -> assertThat(found.getOrDefault(thread, 0))
                    .as("records of thread %d on disk", thread).isGreaterThanOrEqualTo(appended));

            SpoolPosition next = spool.writer().append(new byte[] {1, 2, 3}).get(30, TimeUnit.SECONDS);
            assertThat(next.segment()).isEqualTo(sequence);
        }
    }

    @Test
    void aProxyRefusedTheDirectoryIsToldWhichProcessHoldsIt() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SpoolCrashChild.class.getName(), dir.toString(), "1")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            do {
                line = lines.readLine();
                assertThat(line).as("the child has the spool open").isNotNull();
            } while (!line.startsWith("confirmed "));

            assertThatThrownBy(() -> Spool.open(new SpoolSettings(dir, 1L << 30, 8 * 1024, FsyncPolicy.ALWAYS,
                    Duration.ofSeconds(1), OnFull.BLOCK)))
                    .isInstanceOf(SpoolException.class)
                    .hasMessage("spool directory " + dir.toAbsolutePath() + " is in use by another proxy process"
                            + " (process " + child.pid() + "), which holds the lock on " + dir.toAbsolutePath()
                            .resolve("spool.lock") + " while it runs: each proxy instance needs a mirror.spool.dir of"
                            + " its own. Stop that proxy before starting this one on the directory, or give this one"
                            + " another mirror.spool.dir and instance-id");
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }
}
