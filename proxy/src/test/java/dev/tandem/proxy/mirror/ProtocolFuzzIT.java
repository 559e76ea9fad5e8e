package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.frame.StartupCodes;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.Close;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.Describe;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.Flush;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.StartupMessage;
import dev.tandem.protocol.frontend.StatementOrPortal;
import dev.tandem.protocol.frontend.Sync;
import dev.tandem.protocol.frontend.Terminate;
import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.NettyLeaks;
import dev.tandem.testing.PostgresPairExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Raw connections to a mirroring proxy send mutated startup packets, or log in and send mutated message streams, while
 * a pgjdbc session writes mirrored rows beside them. Each mutated connection must end within the read timeout with
 * what the protocol allows: whole messages, every ErrorResponse carrying a SQLSTATE and a FATAL one only last, an
 * ErrorResponse whenever the bytes break the framing the proxy checks (and a clean close otherwise allowed only where
 * nothing can be said: a cut packet, a cancel request, a TLS handshake). The pgjdbc session must not notice, its rows
 * (and the mutated connections' own committed rows) must be on the target as on the source, and no buffer may leak.
 *
 * <p>Run with {@code -Dfuzz.seed=N} to replay (the seed is in every failure message), {@code -Dfuzz.cases=N} for more
 * connections.
 */
class ProtocolFuzzIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final int CONNECTIONS = Integer.getInteger("fuzz.cases", 120);
    private static final int MAX_FRAME = 1 << 20;
    private static final int READ_TIMEOUT_MILLIS = 20_000;

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "protocol_fuzz", started -> mirror = started)
            // before the proxy allocates its first buffer
            .prepared(db -> NettyLeaks.install())
            .tables("CREATE TABLE good_rows (id int PRIMARY KEY, note text); CREATE TABLE fuzz_rows (v int, note text)")
            .flags("--mirror-table", "public.good_rows", "--mirror-table", "public.fuzz_rows",
                    "--max-frame-bytes", "1MiB");

    @Test
    void mutatedConnectionsEndAsTheProtocolAllowsWhileAWellBehavedSessionMirrors() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        AtomicBoolean stop = new AtomicBoolean();
        Future<Integer> good = writer.submit(() -> writeGoodRows(stop));
        TreeMap<String, Integer> outcomes = new TreeMap<>();
        try {
            for (int n = 0; n < CONNECTIONS; n++) {
                boolean startup = random.nextInt(3) == 0;
                byte[] bytes = startup ? mutatedStartup(random) : mutatedStream(random);
                boolean waitForAnswers = random.nextInt(3) == 0;
                String context = String.format("connection %d, seed %d (replay with -Dfuzz.seed=%d), %s %s", n, seed,
                        seed, startup ? "startup bytes" : "bytes after login", ByteBufUtil.hexDump(bytes));
                String outcome;
                try {
                    outcome = startup ? startupCase(bytes, waitForAnswers) : streamCase(bytes, waitForAnswers);
                } catch (IOException | RuntimeException | AssertionError e) {
                    throw new AssertionError(context, e);
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        } finally {
            stop.set(true);
            writer.shutdown();
        }
        int committed = good.get(60, TimeUnit.SECONDS);
        System.out.println("ProtocolFuzzIT seed " + seed + ": " + outcomes + "; the well-behaved session committed "
                + committed + " rows");
        assertThat(outcomes.keySet()).as("the proxy refused some mutated input itself")
                .anyMatch(o -> o.contains("08P01"));

        mirror.awaitCaughtUp(Duration.ofSeconds(60));
        mirror.assertIdentical("good_rows");
        mirror.assertIdentical("fuzz_rows");
        assertThat(RunningMirrorProxy.contents(PG.target(), mirror.database, "good_rows")).hasSize(committed);
        NettyLeaks.assertNone();
    }

    /**
     * Found by the start-up fuzzing: a StartupMessage naming a database the source does not have. Before, the proxy
     * took the client's word before the source's: it listed the database in {@code /status} (and so in "mark every
     * database", which then failed) and looked up its catalog on the target every 5 s for good, for every name any
     * unauthenticated peer sent.
     */
    @Test
    void aDatabaseTheSourceRefusesIsNotTakenForOneInUse() throws Exception {
        try (WireClient client = new WireClient(mirror.app.relayAddress().getPort())) {
            client.send(WireClient.startup(StartupCodes.PROTOCOL_3_0, "user", "postgres", "database", "no_such_db"));
            assertThat(client.readUntilReady()).last().satisfies(m -> assertThat(m.field('C')).isEqualTo("3D000"));
        }
        try (Connection c = mirror.connect()) {
            assertThat(c.isValid(5)).isTrue(); // a session the source accepts: its database is in use
        }
        java.net.http.HttpResponse<String> status = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + mirror.app.adminPort()
                        + "/status")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(status.body()).contains(mirror.database).doesNotContain("no_such_db");
    }

    /** Three rows per transaction, every fifth rolled back, until told to stop: the session that must not notice. */
    private static int writeGoodRows(AtomicBoolean stop) throws SQLException, InterruptedException {
        int committed = 0;
        int id = 0;
        try (Connection c = mirror.connect();
             PreparedStatement insert = c.prepareStatement("INSERT INTO good_rows VALUES (?, ?)")) {
            c.setAutoCommit(false);
            for (int tx = 1; !stop.get() || tx < 5; tx++) {
                for (int i = 0; i < 3; i++) {
                    insert.setInt(1, ++id);
                    insert.setString(2, "row " + id);
                    insert.addBatch();
                }
                insert.executeBatch();
                if (tx % 5 == 0) {
                    c.rollback();
                } else {
                    c.commit();
                    committed += 3;
                }
                Thread.sleep(2); // leave the CPU to the fuzzing
            }
        }
        return committed;
    }

    // ---- start-up ---------------------------------------------------------------------------------------------------

    private static byte[] mutatedStartup(Random r) {
        byte[] startup = WireClient.startup(StartupCodes.PROTOCOL_3_0, "user", "postgres", "database", mirror.database,
                "application_name", "fuzz");
        byte[] base = switch (r.nextInt(4)) {
            case 0 -> startup;
            case 1 -> WireClient.concat(request(StartupCodes.SSL_REQUEST), startup);
            case 2 -> WireClient.concat(request(StartupCodes.GSSENC_REQUEST), startup);
            default -> ByteBuffer.allocate(16).putInt(16).putInt(StartupCodes.CANCEL_REQUEST).putInt(r.nextInt())
                    .putInt(r.nextInt()).array();
        };
        byte[] b = base.clone();
        for (int m = 1 + r.nextInt(2); m > 0; m--) {
            b = switch (r.nextInt(5)) {
                case 0 -> flip(r, b);
                case 1 -> Arrays.copyOf(b, r.nextInt(b.length + 1));
                case 2 -> putInt(b, 0, LENGTHS[r.nextInt(LENGTHS.length)]);
                case 3 -> putInt(b, Math.min(4, Math.max(0, b.length - 4)), CODES[r.nextInt(CODES.length)]);
                default -> insertOrDelete(r, b);
            };
        }
        return b;
    }

    private static final int[] LENGTHS = {-1, 0, 4, 7, 8, 9, 16, 10_004, 10_005, 65_536, Integer.MAX_VALUE};
    private static final int[] CODES = {0x00020000, 0x00010000, 0x00040000, 0x00030001, 0x00030002, 0,
        StartupCodes.SSL_REQUEST, StartupCodes.GSSENC_REQUEST, StartupCodes.CANCEL_REQUEST, 0x16030100};

    private static byte[] request(int code) {
        return ByteBuffer.allocate(8).putInt(8).putInt(code).array();
    }

    /** What the start-up handler must answer the bytes with, as far as they tell. */
    private enum StartupExpectation {
        /** Nothing is owed: a cut packet, a cancel request, a start-up the source answers. */
        ANY,
        /** A FATAL ErrorResponse: a bad length, a StartupMessage that does not parse, a second SSL/GSS request. */
        ERROR,
        /** A 1.x or 2.x client: PostgreSQL's refusal in the 2.0 format. */
        V2_ERROR,
        /** A TLS handshake record first, no client TLS: a fatal TLS alert. */
        TLS_ALERT
    }

    /** @return the expectation and how many one-byte 'N' answers to SSL/GSS requests come first */
    private static Object[] expectStartup(byte[] b) {
        if (b.length > 0 && b[0] == 0x16) {
            return new Object[] {StartupExpectation.TLS_ALERT, 0};
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        int answers = 0;
        boolean gss = false;
        int at = 0;
        while (true) {
            if (b.length - at < 4) {
                return new Object[] {StartupExpectation.ANY, answers};
            }
            int length = buf.getInt(at);
            if (length < 8 || length - 4 > StartupCodes.MAX_STARTUP_PACKET) {
                return new Object[] {StartupExpectation.ERROR, answers};
            }
            if (b.length - at < length) {
                return new Object[] {StartupExpectation.ANY, answers};
            }
            int code = buf.getInt(at + 4);
            if (code == StartupCodes.SSL_REQUEST) {
                // answered 'N'; but data right behind it (not encrypted) is refused if it came in the same read
                return new Object[] {StartupExpectation.ANY, answers + 1};
            } else if (code == StartupCodes.GSSENC_REQUEST) {
                if (gss) {
                    return new Object[] {StartupExpectation.ERROR, answers};
                }
                gss = true;
                answers++;
            } else if (code == StartupCodes.CANCEL_REQUEST) {
                return new Object[] {StartupExpectation.ANY, answers};
            } else if (StartupCodes.majorVersion(code) != 3) {
                return new Object[] {StartupCodes.majorVersion(code) < 3 ? StartupExpectation.V2_ERROR
                        : StartupExpectation.ERROR, answers};
            } else {
                try {
                    StartupMessage.decode(Unpooled.wrappedBuffer(b, at, length));
                    return new Object[] {StartupExpectation.ANY, answers}; // the source answers
                } catch (IllegalArgumentException e) {
                    return new Object[] {StartupExpectation.ERROR, answers};
                }
            }
            at += length;
        }
    }

    private static String startupCase(byte[] bytes, boolean waitForAnswers) throws IOException {
        byte[] transcript = exchange(new byte[0], bytes, waitForAnswers);
        Object[] expected = expectStartup(bytes);
        StartupExpectation expectation = (StartupExpectation) expected[0];
        if (expectation == StartupExpectation.TLS_ALERT) {
            assertThat(transcript).as("a fatal TLS alert").startsWith(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28);
            return "startup: TLS alert";
        }
        int at = 0;
        while (at < transcript.length && at < (int) expected[1] && transcript[at] == 'N') {
            at++;
        }
        byte[] rest = Arrays.copyOfRange(transcript, at, transcript.length);
        if (expectation == StartupExpectation.V2_ERROR) {
            assertThat(new String(rest, StandardCharsets.UTF_8)).as("a 2.0-format refusal")
                    .startsWith("EFATAL:  unsupported frontend protocol").endsWith("\n\0");
            return "startup: 2.0 refusal";
        }
        String outcome = checkMessages(rest, true);
        if (expectation == StartupExpectation.ERROR) {
            assertThat(outcome).as("a FATAL ErrorResponse").startsWith("FATAL");
        }
        return "startup: " + outcome;
    }

    // ---- after login ------------------------------------------------------------------------------------------------

    /** Valid requests of every kind the capture reads, some writing the mirrored table fuzz_rows. */
    private static List<List<FrontendMessage>> bases() {
        return List.of(
                List.of(new Query("INSERT INTO fuzz_rows VALUES (1, 'a'); SELECT 1")),
                List.of(new Parse("", "INSERT INTO fuzz_rows VALUES ($1, $2)", List.of(23, 25)),
                        new Bind("", "", List.of(), List.of("7".getBytes(), "b".getBytes()), List.of()),
                        new Describe(StatementOrPortal.PORTAL, ""), new Execute("", 0), Sync.INSTANCE),
                List.of(new Query("COPY fuzz_rows FROM STDIN"),
                        new dev.tandem.protocol.frontend.CopyData(Unpooled.wrappedBuffer("3\tc\n4\td\n".getBytes())),
                        CopyDone.INSTANCE),
                List.of(new Query("BEGIN"), new Query("INSERT INTO fuzz_rows VALUES (5, 'e')"), new Query("COMMIT")),
                List.of(new Parse("s1", "SELECT $1::int", List.of(23)),
                        new Bind("p", "s1", List.of((short) 0), List.of("9".getBytes()), List.of()),
                        new Execute("p", 1), new Close(StatementOrPortal.STATEMENT, "s1"), Flush.INSTANCE,
                        Sync.INSTANCE),
                List.of(new Query("INSERT INTO fuzz_rows VALUES (6, 'f')"), Terminate.INSTANCE));
    }

    private static byte[] mutatedStream(Random r) {
        List<List<FrontendMessage>> bases = bases();
        List<byte[]> frames = new ArrayList<>();
        for (int i = 1 + r.nextInt(3); i > 0; i--) {
            for (FrontendMessage m : bases.get(r.nextInt(bases.size()))) {
                ByteBuf buf = Unpooled.buffer();
                m.encode(buf);
                frames.add(ByteBufUtil.getBytes(buf));
                buf.release();
            }
        }
        for (int m = 1 + r.nextInt(2); m > 0; m--) {
            int at = r.nextInt(frames.size());
            byte[] f = frames.get(at);
            frames.set(at, switch (r.nextInt(5)) {
                case 0 -> flip(r, f);
                case 1 -> {
                    if (f.length <= 5) {
                        yield flip(r, f);
                    }
                    byte[] cut = Arrays.copyOf(f, 5 + r.nextInt(f.length - 5)); // a body cut short, length to match
                    yield putInt(cut, 1, cut.length - 1);
                }
                case 2 -> putInt(f, 1, new int[] {-1, 0, 3, f.length - 2, f.length, MAX_FRAME + 1, 65_536,
                    Integer.MAX_VALUE}[r.nextInt(8)]);
                case 3 -> insertOrDelete(r, f);
                default -> {
                    byte[] t = f.clone();
                    t[0] = (byte) "QPBEDSHCdcfXpFWz\0".charAt(r.nextInt(17));
                    yield t;
                }
            });
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        frames.forEach(all::writeBytes);
        return all.toByteArray();
    }

    /** Whether the proxy must refuse the stream: a length it rejects, before any Terminate. */
    private static boolean breaksFraming(byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        int at = 0;
        while (b.length - at >= 5) {
            int length = buf.getInt(at + 1);
            if (length < 4 || length > MAX_FRAME) {
                return true;
            }
            if (b[at] == 'X') {
                return false;
            }
            at += 1 + length;
        }
        return false;
    }

    private static String streamCase(byte[] bytes, boolean waitForAnswers) throws IOException {
        byte[] login = WireClient.startup(StartupCodes.PROTOCOL_3_0, "user", "postgres", "database", mirror.database,
                "application_name", "fuzz");
        byte[] transcript = exchange(login, bytes, waitForAnswers);
        String outcome = checkMessages(transcript, true);
        if (breaksFraming(bytes)) {
            assertThat(outcome).as("the proxy refuses a bad length with a FATAL error").startsWith("FATAL");
        }
        return "stream: " + outcome;
    }

    // ---- the wire -------------------------------------------------------------------------------------------------

    /**
     * Logs in with {@code login} (if any), sends {@code bytes}, and returns what the proxy sent after the login until
     * it closed: first for as long as answers keep coming (when {@code waitForAnswers}), then after closing the sending
     * side, which a proxy must take as the client leaving. A proxy that neither answers nor closes fails the read.
     */
    private static byte[] exchange(byte[] login, byte[] bytes, boolean waitForAnswers) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", mirror.app.relayAddress().getPort())) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            InputStream in = socket.getInputStream();
            if (login.length > 0) {
                socket.getOutputStream().write(login);
                readLogin(in);
            }
            try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // the proxy may close before taking everything: what it said before is read below
            }
            ByteArrayOutputStream transcript = new ByteArrayOutputStream();
            if (waitForAnswers) {
                socket.setSoTimeout(100);
                try {
                    readInto(in, transcript);
                    return transcript.toByteArray(); // the proxy closed
                } catch (SocketTimeoutException quiet) {
                    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
                }
            }
            try {
                socket.shutdownOutput();
            } catch (IOException e) {
                // already closed by the proxy
            }
            try {
                readInto(in, transcript);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the proxy neither answered nor closed within " + READ_TIMEOUT_MILLIS
                        + " ms; received " + ByteBufUtil.hexDump(transcript.toByteArray()), e);
            }
            return transcript.toByteArray();
        }
    }

    /** Reads until EOF, keeping what came before a timeout or a reset. */
    private static void readInto(InputStream in, ByteArrayOutputStream out) throws IOException {
        byte[] buf = new byte[8192];
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException reset) {
                return;
            }
            if (n < 0) {
                return;
            }
            out.write(buf, 0, n);
        }
    }

    /** Reads the start-up conversation up to its ReadyForQuery. */
    private static void readLogin(InputStream in) throws IOException {
        java.io.DataInputStream data = new java.io.DataInputStream(in);
        while (true) {
            int type = data.readUnsignedByte();
            byte[] body = new byte[data.readInt() - 4];
            data.readFully(body);
            if (type == 'E') {
                throw new AssertionError("login failed: " + new String(body, StandardCharsets.UTF_8));
            }
            if (type == 'Z') {
                return;
            }
        }
    }

    /**
     * Checks that the bytes are whole messages (a cut last one only after the client closed its side), that every
     * ErrorResponse carries a severity and a SQLSTATE, and that a FATAL one comes last.
     *
     * @return "FATAL sqlstate" when the last message is a FATAL error, else what the last message was
     */
    private static String checkMessages(byte[] transcript, boolean cutAllowed) {
        ByteBuffer buf = ByteBuffer.wrap(transcript);
        String last = "closed without a word";
        while (buf.remaining() > 0) {
            if (buf.remaining() < 5) {
                assertThat(cutAllowed).as("a cut message header").isTrue();
                return last + ", then a cut message";
            }
            char type = (char) buf.get();
            int length = buf.getInt();
            assertThat(length).as("length of a '%s' message", type).isBetween(4, MAX_FRAME);
            if (buf.remaining() < length - 4) {
                assertThat(cutAllowed).as("a cut message").isTrue();
                return last + ", then a cut message";
            }
            byte[] body = new byte[length - 4];
            buf.get(body);
            assertThat(last).as("nothing follows a FATAL error").doesNotStartWith("FATAL");
            if (type == 'E') {
                WireClient.Message error = new WireClient.Message(type, body);
                String severity = error.field('V') != null ? error.field('V') : error.field('S');
                assertThat(severity).as("severity of %s", error.text()).isNotNull();
                assertThat(error.field('C')).as("SQLSTATE of %s", error.text()).matches("[0-9A-Z]{5}");
                last = (severity.equals("FATAL") || severity.equals("PANIC") ? "FATAL " : "ERROR ")
                        + error.field('C');
            } else {
                last = "message '" + type + "'";
            }
        }
        return last;
    }

    // ---- mutations --------------------------------------------------------------------------------------------------

    private static byte[] flip(Random r, byte[] b) {
        byte[] out = b.clone();
        if (out.length > 0) {
            for (int i = 1 + r.nextInt(3); i > 0; i--) {
                out[r.nextInt(out.length)] ^= (byte) (1 << r.nextInt(8));
            }
        }
        return out;
    }

    private static byte[] putInt(byte[] b, int at, int value) {
        byte[] out = b.clone();
        if (out.length >= at + 4) {
            ByteBuffer.wrap(out).putInt(at, value);
        }
        return out;
    }

    private static byte[] insertOrDelete(Random r, byte[] b) {
        int at = r.nextInt(b.length + 1);
        if (r.nextBoolean() || b.length == 0) {
            byte[] extra = new byte[1 + r.nextInt(4)];
            r.nextBytes(extra);
            return WireClient.concat(Arrays.copyOf(b, at), extra, Arrays.copyOfRange(b, at, b.length));
        }
        int n = Math.min(b.length - at, 1 + r.nextInt(4));
        return WireClient.concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + n, b.length));
    }
}
