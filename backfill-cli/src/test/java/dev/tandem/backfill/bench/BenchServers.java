package dev.tandem.backfill.bench;

import dev.tandem.testing.EmbeddedPgServer;
import java.io.IOException;

/**
 * For {@code bench/backfill-bench.sh}: starts the test harness's embedded source and target PostgreSQL, prints
 * {@code SOURCE_PORT=...} and {@code TARGET_PORT=...}, and stops both when its standard input closes.
 */
public final class BenchServers {

    private BenchServers() {
    }

    public static void main(String[] args) throws IOException {
        try (EmbeddedPgServer source = EmbeddedPgServer.start("source");
             EmbeddedPgServer target = EmbeddedPgServer.start("target")) {
            System.out.println("SOURCE_PORT=" + source.port());
            System.out.println("TARGET_PORT=" + target.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the script to close our stdin
            }
        }
    }
}
