package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.relay.WireClient.Message;
import dev.tandem.testing.PostgresPairExtension;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a newer client asks for in its startup packet reaches the source, and the source's answer reaches the client
 * unchanged: protocol 3.2 (PostgreSQL 18's libpq with max_protocol_version), {@code _pq_.} options, the errors the
 * source raises for a startup packet, and cancel requests, whose keys the proxy never looks into.
 */
class RelayProtocolNegotiationIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningProxy proxy;
    static String db;

    @RegisterExtension
    static final RelayProxyExtension RELAY = RelayProxyExtension.on(PG, "relay_negotiation", (started, database) -> {
        proxy = started;
        db = database;
    });

    private static List<Message> startup(int port, byte[] packet) throws Exception {
        try (WireClient client = new WireClient(port)) {
            client.send(packet);
            return client.readUntilReady();
        }
    }

    @Test
    void theSourcesNegotiateProtocolVersionReachesTheClientIntact() throws Exception {
        byte[] packet = WireClient.startup((3 << 16) | 2, "user", PG.source().user(), "database", db,
                "_pq_.some_future_option", "on");
        List<Message> direct = startup(PG.source().port(), packet);
        List<Message> proxied = startup(proxy.port(), packet);
        Message negotiate = proxied.get(0);
        assertThat(negotiate.type()).isEqualTo('v');
        // PostgreSQL 17 offers 3.0 (the whole version number), 18 the 3.2 asked for, and both name the option they
        // do not know
        int offered = PG.source().majorVersion() >= 18 ? (3 << 16) | 2 : 3 << 16;
        assertThat(negotiate.body()).isEqualTo(ByteBuffer.allocate(4 + 4 + 24).putInt(offered).putInt(1)
                .put("_pq_.some_future_option\0".getBytes()).array());
        assertThat(negotiate.body()).isEqualTo(direct.get(0).body());
        assertThat(proxied).extracting(Message::type).isEqualTo(direct.stream().map(Message::type).toList())
                .endsWith('Z');
    }

    /**
     * A session on protocol 3.2 (PostgreSQL 18 grants it; 17 answers 3.0) is given a 32-byte cancel key, and a
     * CancelRequest carrying it through the proxy cancels the session's statement on the source.
     */
    @Test
    void aSessionIsCancelledWithTheKeyOfTheProtocolItNegotiated() throws Exception {
        try (WireClient session = new WireClient(proxy.port())) {
            session.send(WireClient.startup((3 << 16) | 2, "user", PG.source().user(), "database", db));
            Message keyData = session.readUntilReady().stream().filter(m -> m.type() == 'K').findFirst().orElseThrow();
            ByteBuffer body = ByteBuffer.wrap(keyData.body());
            int pid = body.getInt();
            byte[] key = new byte[body.remaining()];
            body.get(key);
            assertThat(key).hasSize(PG.source().majorVersion() >= 18 ? 32 : 4);

            session.send(WireClient.query("SELECT pg_sleep(60)"));
            awaitSleeping(pid);
            try (WireClient canceller = new WireClient(proxy.port())) {
                canceller.send(ByteBuffer.allocate(12 + key.length).putInt(12 + key.length).putInt(80877102)
                        .putInt(pid).put(key).array());
                assertThat(canceller.readToEnd()).isEmpty();
            }
            assertThat(session.readUntilReady()).filteredOn(m -> m.type() == 'E').singleElement()
                    .satisfies(error -> assertThat(error.field('C')).isEqualTo("57014"));
        }
    }

    /** Waits until the source runs the statement in backend {@code pid}: a cancel before it would cancel nothing. */
    private static void awaitSleeping(int pid) throws InterruptedException {
        String sql = "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND wait_event = 'PgSleep'";
        for (int i = 0; i < 3000 && PG.source().queryValue("postgres", sql).equals("0"); i++) {
            Thread.sleep(10);
        }
    }

    @Test
    void aStartupPacketWithoutUserGetsTheSourcesError() throws Exception {
        List<Message> proxied = startup(proxy.port(), WireClient.startup(196608, "database", db));
        assertThat(proxied).singleElement().satisfies(m -> {
            assertThat(m.field('C')).isEqualTo("28000");
            assertThat(m.field('M')).isEqualTo("no PostgreSQL user name specified in startup packet");
        });
    }

    @Test
    void aCancelRequestWithAnUnknownKeyIsDroppedSilently() throws Exception {
        // a 4-byte key (protocol 3.0) and a 32-byte one (3.2); neither names a backend of the source
        for (int keyLength : new int[] {4, 32}) {
            try (WireClient client = new WireClient(proxy.port())) {
                client.send(ByteBuffer.allocate(12 + keyLength).putInt(12 + keyLength).putInt(80877102)
                        .putInt(424242).put(new byte[keyLength]).array());
                assertThat(client.readToEnd()).as("%d-byte key", keyLength).isEmpty();
            }
        }
        assertThat(proxy.counter("tandem.connection.errors", "reason", "protocol_violation")).isZero();
        try (WireClient client = new WireClient(proxy.port())) {
            assertThat(client.login(PG.source().user(), db)).last().extracting(Message::type).isEqualTo('Z');
        }
    }
}
