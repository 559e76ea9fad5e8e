package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.relay.WireClient.Message;
import dev.tandem.testing.PostgresPairExtension;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that stops reading must not make the proxy buffer what the source keeps sending: the proxy stops reading
 * the source (TCP flow control then holds the source back), and everything arrives once the client reads again.
 */
class RelayBackPressureIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static long nettyMemory() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        var metric = ((ByteBufAllocatorMetricProvider) alloc).metric();
        return metric.usedDirectMemory() + metric.usedHeapMemory();
    }

    @Test
    void aStalledClientDoesNotMakeTheProxyBufferTheSourcesOutput() throws Exception {
        long rows = 300_000;
        long expectedBytes = rows * (1000 + 1);
        try (RunningProxy proxy = RunningProxy.in(PG.source()); WireClient client = new WireClient(proxy.port())) {
            client.login("postgres", "postgres");
            long before = nettyMemory();
            client.send(WireClient.query("COPY (SELECT repeat('x', 1000) FROM generate_series(1, " + rows
                    + ")) TO STDOUT"));
            Thread.sleep(3000); // the client reads nothing: about 300 MB wait on the source's side
            long held = nettyMemory() - before;
            assertThat(held).as("bytes the proxy holds for a stalled client").isLessThan(32L * 1024 * 1024);

            long received = 0;
            Message m;
            while ((m = client.read()).type() != 'C') {
                if (m.type() == 'd') {
                    received += m.body().length;
                }
            }
            assertThat(received).isEqualTo(expectedBytes);
            assertThat(m.text()).startsWith("COPY " + rows);
            List<Message> rest = client.readUntilReady();
            assertThat(rest.get(rest.size() - 1).type()).isEqualTo('Z');
        }
    }

    @Test
    void protocolThreePointTwoNegotiationIsRelayed() throws Exception {
        try (RunningProxy proxy = RunningProxy.in(PG.source()); WireClient viaProxy = new WireClient(proxy.port());
             WireClient direct = new WireClient(PG.source().port())) {
            byte[] startup = WireClient.startup(0x00030002, "user", "postgres", "database", "postgres");
            viaProxy.send(startup);
            direct.send(startup);
            List<Message> proxied = viaProxy.readUntilReady();
            List<Message> straight = direct.readUntilReady();
            assertThat(proxied.stream().map(Message::type).toList())
                    .isEqualTo(straight.stream().map(Message::type).toList())
                    .endsWith('Z');
            // PostgreSQL 17 answers 3.2 with NegotiateProtocolVersion (3.0); 18 grants it and goes on to authentication
            assertThat(proxied.get(0).type()).isEqualTo(PG.source().majorVersion() >= 18 ? 'R' : 'v');
        }
    }
}
