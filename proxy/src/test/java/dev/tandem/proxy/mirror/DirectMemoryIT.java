package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * A large mirrored transaction does not leave direct memory behind: once it is spooled, read back and applied, the
 * proxy holds about as much direct memory as before it, not buffers as large as the transaction that the JDK keeps
 * cached per thread after a file write or read of a heap buffer.
 */
class DirectMemoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final int ROWS = 24;
    private static final int VALUE_BYTES = 4 * 1024 * 1024;
    private static final long HELD_LIMIT = 16L * 1024 * 1024;
    private static final Pattern JDK_DIRECT =
            Pattern.compile("(?m)^jvm_buffer_memory_used_bytes\\{id=\"direct\"[^}]*} (\\S+)$");
    private static final Pattern NETTY_DIRECT =
            Pattern.compile("(?m)^tandem_netty_memory_used_bytes\\{[^}]*type=\"direct\"[^}]*} (\\S+)$");

    @TempDir
    Path dir;

    @Test
    void aLargeTransactionLeavesNoDirectMemoryHeldAfterItIsApplied() throws Exception {
        String db = PG.pair().freshDatabase("directmem");
        PG.pair().executeOnBoth(db, "CREATE TABLE big (id int, b bytea)");
        List<String> arguments = List.of("--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", "postgres", "--target-tls", "disable",
                "--mirror-table", "public.big", "--spool-dir", dir.resolve("spool").toString(),
                "--instance-id", "directmem");

        try (ProxyProcess proxy = new ProxyProcess(List.of("-Xmx1g"), arguments, "directmem-token",
                dir.resolve("proxy.log"))) {
            proxy.start();
            String start = proxy.metrics();
            long jdkBefore = sum(JDK_DIRECT, start);
            long nettyBefore = sum(NETTY_DIRECT, start);
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db,
                    "postgres", "")) {
                long rows = c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                        "COPY big (id, b) FROM STDIN (FORMAT binary)", new ByteArrayInputStream(binaryCopy()));
                assertThat(rows).isEqualTo(ROWS);
            }
            awaitApplied(proxy);
            String end = proxy.metrics();
            long jdk = sum(JDK_DIRECT, end) - jdkBefore;
            long netty = sum(NETTY_DIRECT, end) - nettyBefore;
            System.out.printf("direct memory held after applying %d bytes: %d more in the JDK's direct buffer pool,"
                    + " %d more in Netty's allocators%n", (long) ROWS * VALUE_BYTES, jdk, netty);
            // Netty's buffers are in the JDK's pool too unless it allocates them without a cleaner
            assertThat(jdk).as("direct buffers (JDK pool) still held after applying %d bytes",
                    (long) ROWS * VALUE_BYTES).isLessThan(HELD_LIMIT);
            assertThat(netty).as("direct memory of Netty's allocators still held after applying %d bytes",
                    (long) ROWS * VALUE_BYTES).isLessThan(HELD_LIMIT);
        }
        assertThat(BigRows.digest(PG.target().connect(db))).isEqualTo(BigRows.digest(PG.source().connect(db))).isNotNull();
    }

    private static long sum(Pattern pattern, String metrics) {
        assertThat(metrics).as("the proxy's /metrics").isNotNull();
        Matcher m = pattern.matcher(metrics);
        long total = 0;
        boolean found = false;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
            found = true;
        }
        assertThat(found).as("/metrics has %s", pattern).isTrue();
        return total;
    }

    /** Rows of random values, the same in every run. */
    private static byte[] binaryCopy() throws IOException {
        Random random = new Random(11);
        byte[] value = new byte[VALUE_BYTES];
        return BigRows.binaryCopy(ROWS, VALUE_BYTES, id -> {
            random.nextBytes(value);
            return value;
        });
    }

    private static void awaitApplied(ProxyProcess proxy) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            JsonNode mirror = proxy.status() == null ? null : proxy.status().path("mirror");
            if (mirror != null && mirror.path("spooledSequence").asLong() > 0
                    && mirror.path("appliedSequence").asLong() >= mirror.path("spooledSequence").asLong()) {
                return;
            }
            assertThat(System.nanoTime()).as("the mirror applied the spool: %s", mirror).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
