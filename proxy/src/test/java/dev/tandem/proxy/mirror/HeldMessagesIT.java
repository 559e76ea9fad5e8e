package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.PostgresPairExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A mirroring proxy holds each query whole before passing it on; all sessions together hold at most
 * {@code limits.max-held-bytes}, so many sessions sending large queries at once cannot exhaust its memory.
 */
class HeldMessagesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "held", started -> mirror = started)
            .tables("CREATE TABLE m (v text)")
            .flags("--mirror-table", "public.m", "--max-frame-bytes", "4MiB", "--set", "limits.max-held-bytes=5MiB");

    /** A simple Query selecting the length of a literal of {@code size} bytes. */
    private static byte[] bigQuery(int size) {
        byte[] sql = ("SELECT length('" + "x".repeat(size) + "')").getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(5 + sql.length + 1).put((byte) 'Q').putInt(4 + sql.length + 1).put(sql).put((byte) 0)
                .array();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aLargeQueryWaitsWhileOtherSessionsHoldTheBudgetAndGoesOnOnceTheyAreDone() throws Exception {
        int port = mirror.app.relayAddress().getPort();
        try (WireClient first = new WireClient(port); WireClient second = new WireClient(port)) {
            first.login("postgres", mirror.database);
            second.login("postgres", mirror.database);
            byte[] firstQuery = bigQuery(3 << 20);
            // the first session's query arrives in part: the proxy holds it and reserves all of its 3 MiB
            first.send(java.util.Arrays.copyOf(firstQuery, 2 << 20));
            Thread.sleep(300);
            // the second's 3 MiB do not fit beside them: the proxy stops reading it rather than hold 6 MiB
            CompletableFuture<List<WireClient.Message>> secondAnswer = CompletableFuture.supplyAsync(() -> {
                try {
                    second.send(bigQuery(3 << 20));
                    return second.readUntilReady();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(1000);
            assertThat(secondAnswer).as("held back while the first session's query holds the room").isNotDone();
            assertThat(gauge("tandem.relay.sessions.waiting")).isEqualTo(1);
            assertThat(gauge("tandem.relay.held.bytes")).isEqualTo(firstQuery.length);

            first.send(java.util.Arrays.copyOfRange(firstQuery, 2 << 20, firstQuery.length));
            assertThat(first.readUntilReady()).extracting(WireClient.Message::type)
                    .containsExactly('T', 'D', 'C', 'Z');
            assertThat(secondAnswer.get(30, TimeUnit.SECONDS)).extracting(WireClient.Message::type)
                    .containsExactly('T', 'D', 'C', 'Z');
        }
        assertThat(gauge("tandem.relay.sessions.waiting")).isZero();
        assertThat(gauge("tandem.relay.held.bytes")).isZero();
    }

    private static double gauge(String name) {
        return mirror.app.registry().get(name).gauge().value();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // without its room given back the other session waits for good
    void aSessionThatLeavesInTheMiddleOfALargeQueryGivesItsRoomBack() throws Exception {
        int port = mirror.app.relayAddress().getPort();
        try (WireClient other = new WireClient(port)) {
            other.login("postgres", mirror.database);
            try (WireClient leaving = new WireClient(port)) {
                leaving.login("postgres", mirror.database);
                leaving.send(java.util.Arrays.copyOf(bigQuery(3 << 20), 2 << 20));
                Thread.sleep(300);
            }
            other.send(bigQuery(3 << 20));
            assertThat(other.readUntilReady()).extracting(WireClient.Message::type)
                    .containsExactly('T', 'D', 'C', 'Z');
        }
    }
}
