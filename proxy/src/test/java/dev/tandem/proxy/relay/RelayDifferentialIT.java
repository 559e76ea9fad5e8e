package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.relay.WireClient.Message;
import dev.tandem.testing.PostgresPairExtension;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The same scripted session, byte for byte, directly against the source and through the proxy: the backend messages
 * must be identical except for the BackendKeyData values (a different backend process answers each run).
 */
class RelayDifferentialIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningProxy proxy;
    static String db;

    @RegisterExtension
    static final RelayProxyExtension RELAY = RelayProxyExtension.on(PG, "relay_diff", (started, database) -> {
        proxy = started;
        db = database;
    });

    /** Each step is sent in one write and answered up to its ReadyForQuery. */
    private static List<byte[]> script() {
        List<byte[]> steps = new ArrayList<>();
        steps.add(WireClient.query("CREATE TABLE t (id int PRIMARY KEY, v text, b bytea)"));
        steps.add(WireClient.query("INSERT INTO t VALUES (1, 'one', '\\x00ff'); INSERT INTO t VALUES (2, 'two', NULL); "
                + "SELECT * FROM t ORDER BY id"));
        steps.add(WireClient.query("SELECT 1/0"));
        steps.add(WireClient.query("DO $$BEGIN RAISE NOTICE 'notice %', 42; END$$"));
        steps.add(WireClient.query(""));
        steps.add(WireClient.concat(
                WireClient.frame('P', WireClient.concat(WireClient.cstrings("s1", "SELECT v FROM t WHERE id = $1"), shorts(1), ints(23))),
                WireClient.frame('B', WireClient.concat(WireClient.cstrings("", "s1"), shorts(0), shorts(1), ints(1), "2".getBytes(), shorts(0))),
                WireClient.frame('D', WireClient.concat(new byte[] {'P'}, WireClient.cstrings(""))),
                WireClient.frame('E', WireClient.concat(WireClient.cstrings(""), ints(0))),
                WireClient.frame('S', new byte[0])));
        steps.add(WireClient.concat(
                WireClient.frame('B', WireClient.concat(WireClient.cstrings("p1", "s1"), shorts(0), shorts(1), ints(1), "1".getBytes(), shorts(0))),
                WireClient.frame('E', WireClient.concat(WireClient.cstrings("p1"), ints(1))),
                WireClient.frame('S', new byte[0])));
        steps.add(WireClient.concat(WireClient.frame('P', WireClient.concat(WireClient.cstrings("", "SELECT nope"), shorts(0))),
                WireClient.frame('B', WireClient.concat(WireClient.cstrings("", ""), shorts(0), shorts(0), shorts(0))),
                WireClient.frame('E', WireClient.concat(WireClient.cstrings(""), ints(0))),
                WireClient.frame('S', new byte[0])));
        steps.add(WireClient.query("BEGIN; INSERT INTO t VALUES (3, 'three', NULL); SAVEPOINT a; INSERT INTO t VALUES (1, 'dup', NULL)"));
        steps.add(WireClient.query("ROLLBACK TO SAVEPOINT a; COMMIT"));
        steps.add(WireClient.query("COPY (SELECT id, v FROM t ORDER BY id) TO STDOUT (FORMAT csv)"));
        steps.add(WireClient.concat(WireClient.query("COPY t (id, v) FROM STDIN"),
                WireClient.frame('d', "10\tten\n11\televen\n".getBytes()), WireClient.frame('c', new byte[0])));
        steps.add(WireClient.query("SELECT count(*), string_agg(v, ',' ORDER BY id) FROM t"));
        steps.add(WireClient.query("DROP TABLE t"));
        return steps;
    }

    private static List<String> run(int port) throws Exception {
        List<String> transcript = new ArrayList<>();
        try (WireClient client = new WireClient(port)) {
            for (Message m : client.login(PG.source().user(), db)) {
                transcript.add(render(m));
            }
            for (byte[] step : script()) {
                client.send(step);
                for (Message m : client.readUntilReady()) {
                    transcript.add(render(m));
                }
            }
            client.send(WireClient.frame('X', new byte[0]));
            assertThat(client.closedByPeer()).isTrue();
        }
        return transcript;
    }

    private static String render(Message m) {
        if (m.type() == 'K') {
            return "K <backend key>";
        }
        if (m.type() == 'T') {
            return "T " + HexFormat.of().formatHex(withoutTableOids(m.body()));
        }
        return m.type() + " " + HexFormat.of().formatHex(m.body());
    }

    /** Each run creates its own table, so RowDescription's table OIDs differ: zero them. */
    private static byte[] withoutTableOids(byte[] body) {
        byte[] copy = body.clone();
        ByteBuffer b = ByteBuffer.wrap(copy);
        int fields = b.getShort();
        for (int i = 0; i < fields; i++) {
            while (b.get() != 0) {
                // skip the field name
            }
            b.putInt(0);
            b.position(b.position() + 2 + 4 + 2 + 4 + 2);
        }
        return copy;
    }

    @Test
    void theProxyIsByteForByteTransparent() throws Exception {
        List<String> direct = run(PG.source().port());
        List<String> proxied = run(proxy.port());

        assertThat(proxied).isEqualTo(direct);
        assertThat(direct).anyMatch(line -> line.startsWith("E "))   // the script does exercise errors,
                .anyMatch(line -> line.startsWith("N "))             // notices,
                .anyMatch(line -> line.startsWith("G "))             // COPY in
                .anyMatch(line -> line.startsWith("H "))             // and COPY out
                .anyMatch(line -> line.startsWith("s "));            // and portal suspension
    }

    private static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    private static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }
}
