package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * A proxy whose JVM has less memory than a large value needs (a few megabytes of direct buffers here, standing for a
 * 256 MiB heap and a value of a few hundred megabytes) says so: the session or the mirror ends with an error naming
 * the memory, in the log and in {@code /status}, instead of a connection dropped without a word or a mirror thread
 * that died while {@code /status} still reads as running. What the source committed stays in the spool, and a proxy
 * with enough memory applies it. A COPY larger than the direct memory goes through: neither the spool nor the mirror
 * holds its data in direct buffers as a whole.
 */
class OutOfMemoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final List<String> SMALL_MEMORY = List.of("-Xmx256m", "-XX:MaxDirectMemorySize=48m");
    private static final int VALUE_BYTES = 8 * 1024 * 1024;

    @TempDir
    Path dir;

    private List<String> arguments() {
        return List.of("--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", "postgres", "--target-tls", "disable",
                "--mirror-table", "public.big", "--spool-dir", dir.resolve("spool").toString(),
                "--instance-id", "oom");
    }

    @Test
    void aMirrorOutOfMemoryStopsItVisiblyAndTheSpoolKeepsTheTransaction() throws Exception {
        String db = PG.pair().freshDatabase("oom");
        PG.pair().executeOnBoth(db, "CREATE TABLE big (id int, b bytea)");
        byte[] value = new byte[VALUE_BYTES];
        new Random(7).nextBytes(value);

        try (ProxyProcess proxy = new ProxyProcess(SMALL_MEMORY, arguments(), "oom-token", dir.resolve("small.log"))) {
            proxy.start();
            // each INSERT's message fits in the session's direct memory; the mirror sends the transaction's values
            // to the target in one exchange, which does not
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db,
                    "postgres", "");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO big VALUES (?, ?)")) {
                c.setAutoCommit(false);
                for (int id = 1; id <= 6; id++) {
                    insert.setInt(1, id);
                    insert.setBytes(2, value);
                    assertThat(insert.executeUpdate()).isEqualTo(1);
                }
                c.commit();
            }
            String failure = awaitFailure(proxy);
            assertThat(failure).contains("out of memory").contains("-XX:MaxDirectMemorySize")
                    .contains("the next start applies them");
            assertThat(Files.readString(proxy.log())).contains("ERROR").contains("mirror applier stopped: out of memory");
        }

        try (ProxyProcess proxy = new ProxyProcess(arguments(), "oom-token", dir.resolve("large.log"))) {
            proxy.start();
            awaitApplied(proxy);
        }
        assertThat(BigRows.digest(PG.target().connect(db))).isEqualTo(BigRows.digest(PG.source().connect(db))).isNotNull();
    }

    @Test
    void aCopyLargerThanTheDirectMemoryIsMirrored() throws Exception {
        String db = PG.pair().freshDatabase("oom");
        PG.pair().executeOnBoth(db, "CREATE TABLE big (id int, b bytea)");
        byte[] value = new byte[VALUE_BYTES];
        new Random(5).nextBytes(value);
        int rows = 8;

        try (ProxyProcess proxy = new ProxyProcess(SMALL_MEMORY, arguments(), "oom-token", dir.resolve("copy.log"))) {
            proxy.start();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db,
                    "postgres", "")) {
                long copied = c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                        "COPY big (id, b) FROM STDIN (FORMAT binary)",
                        new ByteArrayInputStream(BigRows.binaryCopy(rows, value.length, id -> value)));
                assertThat(copied).isEqualTo(rows);
            }
            awaitApplied(proxy);
            assertThat(proxy.status().path("mirror").path("failure").isTextual()).isFalse();
        }
        assertThat(BigRows.digest(PG.target().connect(db))).isEqualTo(BigRows.digest(PG.source().connect(db))).isNotNull();
    }

    @Test
    void aSessionWhoseMessageDoesNotFitInMemoryEndsWithTheReasonInTheLog() throws Exception {
        String db = PG.pair().freshDatabase("oom");
        PG.pair().executeOnBoth(db, "CREATE TABLE big (id int, b bytea)");
        byte[] value = new byte[64 * 1024 * 1024];

        try (ProxyProcess proxy = new ProxyProcess(SMALL_MEMORY, arguments(), "oom-token", dir.resolve("bind.log"))) {
            proxy.start();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db,
                    "postgres", "");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO big VALUES (?, ?)")) {
                insert.setInt(1, 1);
                insert.setBytes(2, value);
                assertThatThrownBy(insert::executeUpdate).isInstanceOf(SQLException.class);
            }
            awaitLogLine(proxy, "out of memory in the session from");
            assertThat(Files.readString(proxy.log())).contains("(53200)");
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db,
                    "postgres", "")) {
                assertThat(c.createStatement().executeUpdate("INSERT INTO big VALUES (2, 'small')"))
                        .as("the proxy goes on serving other sessions").isEqualTo(1);
            }
        }
        try (Connection source = PG.source().connect(db);
             ResultSet r = source.createStatement().executeQuery("SELECT array_agg(id ORDER BY id) FROM big")) {
            r.next();
            assertThat(r.getString(1)).as("the message that did not fit never reached the source").isEqualTo("{2}");
        }
    }
    private static String awaitFailure(ProxyProcess proxy) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            JsonNode status = proxy.status();
            JsonNode failure = status == null ? null : status.path("mirror").path("failure");
            if (failure != null && failure.isTextual()) {
                return failure.asText();
            }
            assertThat(System.nanoTime()).as("/status names the mirror's failure: %s", status).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void awaitApplied(ProxyProcess proxy) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
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

    private static void awaitLogLine(ProxyProcess proxy, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.readString(proxy.log()).contains(text)) {
            assertThat(System.nanoTime()).as("the log says '%s'", text).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
