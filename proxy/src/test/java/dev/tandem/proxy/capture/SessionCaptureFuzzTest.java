package dev.tandem.proxy.capture;

import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.frame.FrameScanner;
import dev.tandem.protocol.frame.ProtocolViolationException;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.Close;
import dev.tandem.protocol.frontend.CopyData;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.CopyFail;
import dev.tandem.protocol.frontend.Describe;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.Flush;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.PasswordMessage;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.StatementOrPortal;
import dev.tandem.protocol.frontend.Sync;
import dev.tandem.protocol.frontend.Terminate;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.SimulatedSource.Commit;
import dev.tandem.proxy.capture.SimulatedSource.Frame;
import dev.tandem.proxy.capture.SimulatedSource.Kind;
import dev.tandem.proxy.capture.SimulatedSource.Statement;
import dev.tandem.proxy.capture.SimulatedSource.Write;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import dev.tandem.proxy.relay.SessionContext;
import dev.tandem.proxy.relay.SessionEnd;
import dev.tandem.testing.NettyLeaks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random but valid sessions (simple and extended protocol, explicit and implicit transactions, savepoints, errors,
 * COPY FROM STDIN sent before or after the server's answer, or not at all by a client that pipelines its next request
 * behind a COPY it did not expect (which a source before PostgreSQL 14 reads whole, later ones only in part),
 * pipelining, statement names given to other statements
 * (writes, transaction control, COPY) by a pipelined batch that may fail, row limits, notices) between a client and a
 * {@link SimulatedSource}, seen by a {@link SessionCapture} through the relay's {@link FrameScanner}s in random reads
 * and interleavings: the capture must never throw, and must keep its promises:
 * <ul>
 *   <li>the sink gets exactly the mirrored writes of the transactions the source committed, in commit order, each as
 *       sent (SQL, row count, parameter values and formats, COPY data), and each transaction at the very answer that
 *       told the client it committed: nothing that rolled back, nothing early;</li>
 *   <li>the ReadyForQuery after a commit is not forwarded before the sink's stage for it completed;</li>
 *   <li>both streams are forwarded unchanged, and whatever the capture reserved in the shared budget is given back
 *       when no transaction is open;</li>
 *   <li>whenever the source may have committed mirrored writes without the capture having seen the answer that says
 *       so (it has been shown the request that commits them), the capture expects a commit and the trace of commits
 *       in flight is marked; once the source answered everything, neither;</li>
 * </ul>
 * and the same sessions with one frame mutated must end, if at all, in a {@link ProtocolViolationException} only.
 *
 * <p>Run with {@code -Dfuzz.seed=N} to replay a failure (the seed is in every failure message), with
 * {@code -Dfuzz.cases=N} for a longer search.
 */
@ExtendWith(NettyLeaks.class)
class SessionCaptureFuzzTest {

    private static final int CASES = Integer.getInteger("fuzz.cases", 1_500);
    private static final TableName METRICS = new TableName("public", "metrics");
    private static final ByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(false, true);

    /** The trace of commits in flight each run's session writes to (one run at a time). */
    private static InFlightCommits inFlight;

    @BeforeAll
    static void openTrace(@TempDir Path spool) throws IOException {
        inFlight = InFlightCommits.open(spool, 1, left -> {
            throw new AssertionError("a fresh directory has nothing left in flight");
        });
    }

    @Test
    void validSessionsCaptureExactlyWhatTheSourceCommitted() {
        fuzz(false);
    }

    @Test
    void aMutatedFrameEndsTheSessionWithAProtocolViolationOnly() {
        fuzz(true);
    }

    private static void fuzz(boolean mutate) {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        int commits = 0;
        for (int n = 0; n < CASES; n++) {
            Conversation c = generate(random);
            try {
                commits += new Run(c, random, mutate).verify();
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("case " + n + ", seed " + seed + " (replay with -Dfuzz.seed=" + seed + ")\n"
                        + c.describe(), e);
            }
        }
        if (!mutate && commits < CASES / 2) {
            throw new AssertionError("too few commits to say much: " + commits + " in " + CASES + " sessions");
        }
    }

    // ---- the client: a generator of valid sessions -----------------------------------------------------------------

    /** A client message, the source frame it waited for (-1: none) and the source's answer, frames [from, to). */
    private record Sent(FrontendMessage message, int after, int answersFrom, int answersTo) {
    }

    /** What the client sends (and why, for the failure message) and what the source answers. */
    private static final class Conversation {
        final Random random;
        final SimulatedSource source;
        final List<Frame> client = new ArrayList<>();
        /** For the failure message: each client message, and the source frames it was answered with. */
        final List<Sent> log = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        /** A source frame the client's next message must wait for (it read an error and reacts), or -1. */
        int reactTo = -1;
        /**
         * The named statements as the client believes it has them: what it last parsed under each name and has not
         * closed since, whether or not the source ran that Parse (a pipelining client learns of a failure late).
         */
        final Map<String, Statement> prepared = new HashMap<>();
        /**
         * The CopyInResponse of a COPY the client did not ask for (it bound a name it believes is another statement),
         * or -1: it answers it once it reads it, at the end of what it is sending.
         */
        int unexpectedCopyIn = -1;

        Conversation(Random random) {
            this.random = random;
            this.source = new SimulatedSource(random, random.nextInt(4) == 0 ? 13 : 17);
        }

        void send(FrontendMessage message, List<Statement> parsed, int after) {
            after = Math.max(after, reactTo);
            reactTo = -1;
            ByteBuf buf = Unpooled.buffer();
            message.encode(buf);
            client.add(new Frame(ByteBufUtil.getBytes(buf), after));
            buf.release();
            int before = source.out.size();
            source.receive(message, parsed, client.size() - 1);
            if (random.nextInt(12) == 0) {
                source.noise();
            }
            log.add(new Sent(message, after, before, source.out.size()));
        }

        /** The index of the source's last frame so far: what a client waits for before its next request. */
        int answered() {
            return source.out.size() - 1;
        }

        String describe() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < log.size(); i++) {
                Sent sent = log.get(i);
                b.append('C').append(i).append(' ').append(sent.message())
                        .append(sent.after() >= 0 ? " (after S" + sent.after() + ")" : "").append('\n');
                for (int k = sent.answersFrom(); k < sent.answersTo(); k++) {
                    b.append("   S").append(k).append(' ').append(describeServer(source.out.get(k).bytes()))
                            .append('\n');
                }
            }
            b.append("source: PostgreSQL ").append(source.majorVersion()).append('\n');
            notes.forEach(n -> b.append(n).append('\n'));
            return b.append("commits expected: ").append(source.commits).toString();
        }

        private static String describeServer(byte[] frame) {
            char type = (char) frame[0];
            String body = new String(frame, 5, frame.length - 5, StandardCharsets.UTF_8).replace('\0', '|');
            return type + " " + body;
        }
    }

    private static Conversation generate(Random r) {
        Conversation c = new Conversation(r);
        boolean password = r.nextInt(4) == 0;
        c.source.startup(password);
        if (password) {
            c.send(PasswordMessage.cleartext("secret"), List.of(), c.answered());
        }
        int units = 1 + r.nextInt(10);
        for (int u = 0; u < units; u++) {
            // a client either waits for all answers so far or pipelines its next request
            int after = r.nextInt(3) == 0 ? -1 : c.answered();
            switch (r.nextInt(12)) {
                case 0, 1, 2, 3 -> simpleQuery(c, after);
                case 4, 5, 6, 7 -> extendedBatch(c, after);
                case 8 -> extendedCopy(c, after);
                case 9 -> simpleCopy(c, after);
                default -> redefinition(c, after);
            }
            answerUnexpectedCopy(c);
            if (c.source.closed()) {
                return c; // the client learns that its connection is gone
            }
        }
        if (r.nextBoolean()) {
            c.send(Terminate.INSTANCE, List.of(), -1);
        }
        return c;
    }

    /**
     * Sends an Execute; {@code copyExpected}: the client believes its portal runs a COPY FROM STDIN. A COPY it did not
     * expect (the source holds another statement under the name) is answered later ({@link #answerUnexpectedCopy}).
     */
    private static void execute(Conversation c, Execute execute, boolean copyExpected, int after) {
        int copyIn = c.source.lastCopyIn;
        c.send(execute, List.of(), after);
        if (!copyExpected && c.source.lastCopyIn != copyIn) {
            c.unexpectedCopyIn = c.source.lastCopyIn;
        }
    }

    /**
     * A client that reads a CopyInResponse it did not expect ends that COPY, as pgjdbc does (CopyFail, then Sync: the
     * Sync it sent with its batch was ignored in COPY) or with no data (CopyDone). What it sent before reading it
     * reached the source first: a Sync or Flush is ignored, anything else fails the COPY (08P01) and ends the
     * connection (before PostgreSQL 14: that message never runs, the connection goes on).
     */
    private static void answerUnexpectedCopy(Conversation c) {
        if (c.unexpectedCopyIn < 0) {
            return;
        }
        int copyIn = c.unexpectedCopyIn;
        c.unexpectedCopyIn = -1;
        c.send(c.random.nextInt(3) == 0 ? CopyDone.INSTANCE
                : new CopyFail("COPY commands are only supported using the CopyManager API."), List.of(), copyIn);
        c.send(Sync.INSTANCE, List.of(), -1);
    }

    private static int value(Random r) {
        return r.nextInt(10) == 0 ? -1 : r.nextInt(1000);
    }

    /** A statement for a simple Query, more likely to use savepoints and end the block inside an explicit one. */
    private static Statement simpleStatement(Random r, SimulatedSource.Block block, boolean copyAllowed) {
        boolean explicit = block == SimulatedSource.Block.EXPLICIT || block == SimulatedSource.Block.ABORTED;
        int pick = r.nextInt(explicit ? 16 : 12);
        switch (pick) {
            case 0, 1, 2, 3 -> {
                int rows = 1 + r.nextInt(3);
                boolean mirrored = r.nextInt(5) != 0;
                boolean fails = false;
                StringBuilder values = new StringBuilder();
                for (int i = 0; i < rows; i++) {
                    int v = value(r);
                    fails |= v == -1;
                    values.append(i == 0 ? "(" : ", (").append(v).append(')');
                }
                String table = mirrored ? (r.nextBoolean() ? "metrics" : "public.metrics") : "other";
                boolean returning = r.nextInt(5) == 0;
                String sql = (r.nextBoolean() ? "INSERT INTO " : "insert into ") + table + " VALUES " + values
                        + (returning ? " RETURNING v" : "");
                return new Statement(Kind.INSERT, sql, mirrored, rows, returning, null, fails, 0);
            }
            case 4 -> {
                return new Statement(Kind.SELECT, "SELECT 1", false, 0, false, null, false, 0);
            }
            case 5 -> {
                return new Statement(Kind.FAIL, "SELECT 1/0", false, 0, false, null, false, 0);
            }
            case 6, 7 -> {
                return new Statement(Kind.BEGIN, r.nextBoolean() ? "BEGIN" : "START TRANSACTION", false, 0, false,
                        null, false, 0);
            }
            case 8 -> {
                return new Statement(Kind.COMMIT, r.nextBoolean() ? "COMMIT" : "END", false, 0, false, null, false,
                        0);
            }
            case 9 -> {
                return new Statement(Kind.ROLLBACK, r.nextBoolean() ? "ROLLBACK" : "ABORT", false, 0, false, null,
                        false, 0);
            }
            case 10, 11 -> {
                if (copyAllowed) {
                    boolean mirrored = r.nextInt(4) != 0;
                    return new Statement(Kind.COPY, "COPY " + (mirrored ? "metrics" : "other") + " (v) FROM STDIN",
                            mirrored, 0, false, null, false, 0);
                }
                return simpleStatement(r, block, false);
            }
            default -> {
                String name = r.nextBoolean() ? "a" : "b";
                return switch (r.nextInt(3)) {
                    case 0 -> new Statement(Kind.SAVEPOINT, "SAVEPOINT " + name, false, 0, false, name, false, 0);
                    case 1 -> new Statement(Kind.RELEASE, (r.nextBoolean() ? "RELEASE SAVEPOINT " : "RELEASE ")
                            + name, false, 0, false, name, false, 0);
                    default -> new Statement(Kind.ROLLBACK_TO, (r.nextBoolean() ? "ROLLBACK TO SAVEPOINT "
                            : "ROLLBACK TO ") + name, false, 0, false, name, false, 0);
                };
            }
        }
    }

    private static void simpleQuery(Conversation c, int after) {
        Random r = c.random;
        if (r.nextInt(15) == 0) {
            c.send(new Query(r.nextBoolean() ? "" : " ; "), List.of(), after);
            return;
        }
        List<Statement> statements = new ArrayList<>();
        int n = 1 + r.nextInt(r.nextBoolean() ? 2 : 5);
        for (int i = 0; i < n; i++) {
            statements.add(simpleStatement(r, c.source.block(), false));
        }
        c.send(new Query(join(statements, r)), statements, after);
    }

    private static String join(List<Statement> statements, Random r) {
        StringBuilder sql = new StringBuilder();
        for (Statement s : statements) {
            sql.append(sql.length() == 0 ? "" : r.nextBoolean() ? "; " : ";\n").append(s.sql());
        }
        if (r.nextInt(4) == 0) {
            sql.append(';');
        }
        return sql.toString();
    }

    /**
     * A Query with a COPY FROM STDIN in it. The data is sent either right behind the query (as pgx does) or only once
     * the server answered CopyInResponse (as pgjdbc and libpq do), and then perhaps only until an error comes; or the
     * client did not expect a COPY (or is buggy) and pipelines its next request behind the query, perhaps after some
     * data but no CopyDone: the source fails the COPY at that request and ends the connection, unless the COPY failed
     * before (a bad line, or a statement before it).
     */
    private static void simpleCopy(Conversation c, int after) {
        Random r = c.random;
        boolean unaware = r.nextInt(4) == 0;
        boolean early = unaware || r.nextBoolean();
        List<Statement> statements = new ArrayList<>();
        int copies = 0;
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            Statement s = simpleStatement(r, c.source.block(), early ? copies == 0 : true);
            if (i == n - 1 && copies == 0) {
                boolean mirrored = r.nextInt(4) != 0;
                s = new Statement(Kind.COPY, "COPY " + (mirrored ? "metrics" : "other") + " (v) FROM STDIN", mirrored,
                        0, false, null, false, 0);
            }
            copies += s.kind() == Kind.COPY ? 1 : 0;
            statements.add(s);
        }
        c.send(new Query(join(statements, r)), statements, after);
        if (unaware) {
            if (r.nextBoolean()) {
                List<FrontendMessage> data = copyMessages(r);
                for (FrontendMessage m : data.subList(0, data.size() - 1)) {
                    c.send(m, List.of(), -1);
                }
            }
            if (r.nextBoolean()) {
                simpleQuery(c, -1);
            } else {
                extendedBatch(c, -1);
            }
            return;
        }
        if (early) {
            for (FrontendMessage m : copyMessages(r)) {
                c.send(m, List.of(), -1);
            }
            return;
        }
        while (c.source.inCopy()) {
            sendCopyWaiting(c);
        }
    }

    /** Sends one COPY's data after the server's CopyInResponse; may stop once the server reported an error. */
    private static void sendCopyWaiting(Conversation c) {
        int copyIn = c.source.lastCopyIn;
        for (FrontendMessage m : copyMessages(c.random)) {
            boolean failed = !c.source.inCopy();
            if (failed && c.random.nextBoolean()) {
                c.reactTo = c.answered(); // the client read the error and stopped
                return;
            }
            c.send(m, List.of(), copyIn);
        }
    }

    /** Some lines of COPY data (now and then a bad one), cut anywhere, then CopyDone or now and then CopyFail. */
    private static List<FrontendMessage> copyMessages(Random r) {
        StringBuilder data = new StringBuilder();
        int lines = r.nextInt(6);
        for (int i = 0; i < lines; i++) {
            data.append(r.nextInt(12) == 0 ? "x" : String.valueOf(r.nextInt(1000))).append('\n');
        }
        byte[] bytes = data.toString().getBytes(StandardCharsets.US_ASCII);
        List<FrontendMessage> messages = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int size = Math.min(bytes.length - at, 1 + r.nextInt(8));
            messages.add(new CopyData(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, at, at + size))));
            at += size;
        }
        messages.add(r.nextInt(10) == 0 ? new CopyFail("client gave up") : CopyDone.INSTANCE);
        return messages;
    }

    /** A statement for the extended protocol: INSERTs with parameters, and the other kinds. */
    private static Statement extendedStatement(Random r) {
        switch (r.nextInt(14)) {
            case 0, 1, 2, 3, 4 -> {
                int rows = 1 + r.nextInt(2);
                boolean mirrored = r.nextInt(5) != 0;
                boolean returning = r.nextInt(4) == 0;
                String sql = "INSERT INTO " + (mirrored ? "metrics" : "other") + " (v) VALUES ($1)"
                        + (rows == 2 ? ", ($2)" : "") + (returning ? " RETURNING v" : "");
                return new Statement(Kind.INSERT, sql, mirrored, rows, returning, null, false, rows);
            }
            case 5 -> {
                return new Statement(Kind.SELECT, "SELECT 1", false, 1, false, null, false, 0);
            }
            case 6 -> {
                return new Statement(Kind.FAIL, "SELECT 1/0", false, 0, false, null, false, 0);
            }
            case 7 -> {
                return new Statement(Kind.BEGIN, "BEGIN", false, 0, false, null, false, 0);
            }
            case 8 -> {
                return new Statement(Kind.COMMIT, "COMMIT", false, 0, false, null, false, 0);
            }
            case 9 -> {
                return new Statement(Kind.ROLLBACK, "ROLLBACK", false, 0, false, null, false, 0);
            }
            case 10 -> {
                return new Statement(Kind.SAVEPOINT, "SAVEPOINT a", false, 0, false, "a", false, 0);
            }
            case 11 -> {
                boolean rollback = r.nextBoolean();
                return new Statement(rollback ? Kind.ROLLBACK_TO : Kind.RELEASE,
                        rollback ? "ROLLBACK TO SAVEPOINT a" : "RELEASE SAVEPOINT a", false, 0, false, "a", false, 0);
            }
            case 12 -> {
                return new Statement(Kind.EMPTY, "", false, 0, false, null, false, 0);
            }
            default -> {
                return new Statement(Kind.MULTI, "SELECT 1; SELECT 2", false, 0, false, null, false, 0);
            }
        }
    }

    private static Bind bind(Random r, String portal, String statement, int params) {
        int n = r.nextInt(15) == 0 ? params + 1 : params;
        List<Short> formats = new ArrayList<>();
        int kind = r.nextInt(3); // none listed (all text), one for all, one each
        if (kind == 1) {
            formats.add((short) r.nextInt(2));
        } else if (kind == 2) {
            for (int i = 0; i < n; i++) {
                formats.add((short) r.nextInt(2));
            }
        }
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            short format = formats.isEmpty() ? 0 : formats.size() == 1 ? formats.get(0) : formats.get(i);
            int v = value(r);
            values.add(r.nextInt(10) == 0 ? null : format == 1 ? ByteBuffer.allocate(4).putInt(v).array()
                    : String.valueOf(v).getBytes(StandardCharsets.US_ASCII));
        }
        return new Bind(portal, statement, formats, values, r.nextBoolean() ? List.of() : List.of((short) 1));
    }

    /** Parse/Bind/Describe/Execute/Close for one to three statements, now and then a Flush or a Query, then Sync. */
    private static void extendedBatch(Conversation c, int after) {
        Random r = c.random;
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            // A name is given to any statement, also while a pipelined batch still uses it for another: when the batch
            // that redefines it fails before its Close or Parse runs, the source still has the old statement
            String name = r.nextInt(3) == 0 ? "s" + r.nextInt(2) : "";
            Statement had = c.prepared.get(name);
            // now and then the client reuses what it believes it has without parsing (a COPY only in a redefinition)
            boolean parse = had == null || had.kind() == Kind.COPY || r.nextInt(3) != 0;
            Statement s = parse ? extendedStatement(r) : had;
            List<Statement> parsed = s.kind() == Kind.MULTI
                    ? List.of(new Statement(Kind.SELECT, "SELECT 1", false, 1, false, null, false, 0),
                            new Statement(Kind.SELECT, "SELECT 2", false, 1, false, null, false, 0))
                    : s.kind() == Kind.EMPTY ? List.of() : List.of(s);
            // a client closes a name before it parses it again, but now and then forgets (the source refuses the Parse
            // with 42P05 if it still has the name)
            if (parse && had != null && r.nextInt(4) != 0) {
                c.send(new Close(StatementOrPortal.STATEMENT, name), List.of(), after);
                c.prepared.remove(name);
                after = -1;
            }
            if (parse) {
                c.send(new Parse(name, s.sql(), s.params() > 0 && r.nextBoolean() ? List.of(23) : List.of()),
                        parsed, after);
                if (!name.isEmpty()) {
                    c.prepared.put(name, s);
                }
                after = -1;
            }
            String portal = r.nextInt(4) == 0 ? "p" + r.nextInt(2) : "";
            if (r.nextInt(8) != 0) {
                c.send(bind(r, portal, name, s.params()), List.of(), after);
                after = -1;
            }
            if (r.nextInt(5) == 0) {
                c.send(r.nextBoolean() ? new Describe(StatementOrPortal.PORTAL, portal)
                        : new Describe(StatementOrPortal.STATEMENT, name), List.of(), after);
                after = -1;
            }
            execute(c, new Execute(portal, r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 0), false, after);
            after = -1;
            if (r.nextInt(8) == 0) {
                c.send(new Close(StatementOrPortal.PORTAL, portal), List.of(), -1);
            }
            if (r.nextInt(10) == 0) {
                c.send(Flush.INSTANCE, List.of(), -1);
            }
            if (r.nextInt(25) == 0) {
                Statement select = new Statement(Kind.SELECT, "SELECT 1", false, 0, false, null, false, 0);
                c.send(new Query("SELECT 1"), List.of(select), -1);
            }
        }
        c.send(Sync.INSTANCE, List.of(), after);
    }

    /**
     * A batch that gives a statement name another statement, perhaps failing before it gets there, or parsing a name
     * the client did not close (which the source refuses with 42P05), and right behind it, pipelined, a batch that
     * runs the name, perhaps between writes: the source runs the statement it has, the old one when the redefinition
     * failed. The name switches between writes, transaction control and COPY FROM STDIN: the client sends COPY data
     * only when it believes the name is a COPY (ignored by a source that runs another statement), and answers a COPY it
     * did not expect ({@link #answerUnexpectedCopy}).
     */
    private static void redefinition(Conversation c, int after) {
        Random r = c.random;
        String name = "s" + r.nextInt(2);
        if (r.nextBoolean()) {
            Statement fail = new Statement(Kind.FAIL, "SELECT 1/0", false, 0, false, null, false, 0);
            c.send(new Parse("", fail.sql(), List.of()), List.of(fail), after);
            c.send(new Bind("", "", List.of(), List.of(), List.of()), List.of(), -1);
            c.send(new Execute("", 0), List.of(), -1);
            after = -1;
        }
        if (c.prepared.containsKey(name) && r.nextInt(3) != 0) {
            c.send(new Close(StatementOrPortal.STATEMENT, name), List.of(), after);
            c.prepared.remove(name);
            after = -1;
        }
        if (r.nextInt(6) != 0) {
            Statement s = redefinedAs(r);
            c.send(new Parse(name, s.sql(), s.params() > 0 && r.nextBoolean() ? List.of(23) : List.of()),
                    List.of(s), after);
            c.prepared.put(name, s);
            after = -1;
        }
        c.send(Sync.INSTANCE, List.of(), after);
        Statement believed = c.prepared.get(name);
        if (believed == null) {
            return;
        }
        if (r.nextBoolean()) {
            anonymousWrite(c);
        }
        String portal = r.nextInt(4) == 0 ? "p" + r.nextInt(2) : "";
        c.send(bind(r, portal, name, believed.params()), List.of(), -1);
        boolean copy = believed.kind() == Kind.COPY;
        // the COPY data right behind the Execute (pgx), or a Sync behind it and the data once CopyInResponse came
        boolean early = !copy || r.nextBoolean();
        execute(c, new Execute(portal, r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 0), copy, -1);
        if (early) {
            if (copy) {
                for (FrontendMessage m : copyMessages(r)) {
                    c.send(m, List.of(), -1);
                }
            }
            if (r.nextBoolean()) {
                anonymousWrite(c);
            }
            c.send(Sync.INSTANCE, List.of(), -1);
            return;
        }
        c.send(Sync.INSTANCE, List.of(), -1);
        if (c.source.inCopy()) {
            sendCopyWaiting(c);
            c.send(Sync.INSTANCE, List.of(), -1);
        }
    }

    /**
     * What a redefinition gives a name: a write with parameters or without (so a Bind made for a statement without
     * them, a COPY or a COMMIT, binds it too), a query, transaction control, or a COPY FROM STDIN.
     */
    private static Statement redefinedAs(Random r) {
        boolean mirrored = r.nextInt(4) != 0;
        String table = mirrored ? "metrics" : "other";
        return switch (r.nextInt(9)) {
            case 0, 1 -> {
                Statement s = extendedStatement(r);
                yield s.kind() == Kind.INSERT || s.kind() == Kind.SELECT ? s
                        : new Statement(Kind.SELECT, "SELECT 1", false, 1, false, null, false, 0);
            }
            case 2, 3 -> {
                boolean returning = r.nextInt(4) == 0;
                yield new Statement(Kind.INSERT, "INSERT INTO " + table + " (v) VALUES (" + r.nextInt(1000) + ")"
                        + (returning ? " RETURNING v" : ""), mirrored, 1, returning, null, false, 0);
            }
            case 4, 5 -> new Statement(Kind.COPY, "COPY " + table + " (v) FROM STDIN", mirrored, 0, false, null, false, 0);
            case 6 -> new Statement(Kind.BEGIN, "BEGIN", false, 0, false, null, false, 0);
            case 7 -> new Statement(Kind.COMMIT, "COMMIT", false, 0, false, null, false, 0);
            default -> new Statement(Kind.ROLLBACK, "ROLLBACK", false, 0, false, null, false, 0);
        };
    }

    /** An unnamed INSERT into the mirrored table, in the batch that runs a redefined name: a write it may commit. */
    private static void anonymousWrite(Conversation c) {
        Random r = c.random;
        Statement s = new Statement(Kind.INSERT, "INSERT INTO metrics (v) VALUES (" + r.nextInt(1000) + ")", true, 1,
                false, null, false, 0);
        c.send(new Parse("", s.sql(), List.of()), List.of(s), -1);
        c.send(bind(r, "", "", 0), List.of(), -1);
        execute(c, new Execute("", 0), false, -1);
    }

    /**
     * COPY FROM STDIN through the extended protocol: as libpq does (a Sync right behind the Execute, which the server
     * ignores in COPY, then the data and a second Sync), or waiting for CopyInResponse first.
     */
    private static void extendedCopy(Conversation c, int after) {
        Random r = c.random;
        boolean mirrored = r.nextInt(4) != 0;
        Statement copy = new Statement(Kind.COPY, "COPY " + (mirrored ? "metrics" : "other") + " (v) FROM STDIN",
                mirrored, 0, false, null, false, 0);
        c.send(new Parse("", copy.sql(), List.of()), List.of(copy), after);
        c.send(new Bind("", "", List.of(), List.of(), List.of()), List.of(), -1);
        c.send(new Execute("", 0), List.of(), -1);
        boolean libpq = r.nextBoolean();
        if (libpq) {
            c.send(Sync.INSTANCE, List.of(), -1);
        }
        if (c.source.inCopy()) {
            sendCopyWaiting(c);
            c.send(Sync.INSTANCE, List.of(), -1);
        } else if (!libpq) {
            c.send(Sync.INSTANCE, List.of(), c.answered());
        }
    }

    // ---- the proxy's side: scanners, capture, sink ----------------------------------------------------------------

    /** One session through the capture, checked against what the source committed. */
    private static final class Run implements SessionCapture.Sink {
        final Conversation c;
        final Random random;
        final boolean mutate;
        final boolean exact;
        final CaptureBudget budget;
        final SessionCapture capture;
        final FrameScanner fromClient;
        final FrameScanner fromSource;
        final ByteBufAllocator alloc;
        final List<ByteBuf> reads = new ArrayList<>();
        final ByteArrayOutputStream forwardedClient = new ByteArrayOutputStream();
        final ByteArrayOutputStream forwardedSource = new ByteArrayOutputStream();
        final List<CapturedTransaction> released = new ArrayList<>();
        final List<Integer> releasedAt = new ArrayList<>();
        /** What the capture said the source may still commit when the session ended. */
        final List<UnknownOutcome> unknown = new ArrayList<>();
        /** Sink stages not completed yet, with the commit they are for. */
        final List<CompletableFuture<Void>> durable = new ArrayList<>();
        final List<Integer> durableFrame = new ArrayList<>();
        final byte[][] clientFrames;
        final byte[][] sourceFrames;
        final long[] sourceOffsets;
        /** The source frame the capture is shown now (or was last shown). */
        int observed = -1;
        boolean resumeAsked;
        final InFlightCommits.Slot slot = inFlight.claim();
        boolean traceLeft;

        Run(Conversation c, Random random, boolean mutate) {
            this.c = c;
            this.random = random;
            this.mutate = mutate;
            long maxTransactionBytes = random.nextInt(6) == 0 ? 8 + random.nextInt(120) : 1 << 20;
            budget = random.nextInt(6) == 0 ? new CaptureBudget(8 + random.nextInt(200)) : CaptureBudget.unlimited();
            exact = maxTransactionBytes == 1 << 20 && budget.max() == Long.MAX_VALUE;
            MirroredTables tables = new MirroredTables(
                    new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of);
            SessionContext context = new SessionContext(1, "db", "app", null, null, null, () -> resumeAsked = true,
                    new EmbeddedChannel().eventLoop());
            capture = new SessionCapture(context, tables, Map::of, new CaptureMetrics(new SimpleMeterRegistry()),
                    new UpsertWindows(), this, maxTransactionBytes, budget, random.nextBoolean(), slot, null, null);
            // the leak detector records where every tracked buffer was made, which is slow: track one case in eight,
            // and check the reference counts of the reads in all
            alloc = random.nextInt(8) == 0 ? PooledByteBufAllocator.DEFAULT : UNTRACKED;
            fromClient = new FrameScanner("client", 1 << 20, capture.frontend(), alloc);
            fromSource = new FrameScanner("source", 1 << 20, new Counting(capture.backend()), alloc);
            clientFrames = c.client.stream().map(Frame::bytes).toArray(byte[][]::new);
            sourceFrames = c.source.out.stream().map(Frame::bytes).toArray(byte[][]::new);
            if (mutate) {
                boolean client = random.nextBoolean() || sourceFrames.length == 0;
                byte[][] frames = client ? clientFrames : sourceFrames;
                int at = random.nextInt(frames.length);
                frames[at] = mutated(random, frames[at]);
                c.notes.add("mutated " + (client ? "C" : "S") + at + " into " + ByteBufUtil.hexDump(frames[at]));
            }
            sourceOffsets = new long[sourceFrames.length + 1];
            for (int i = 0; i < sourceFrames.length; i++) {
                sourceOffsets[i + 1] = sourceOffsets[i] + sourceFrames[i].length;
            }
        }

        /** Shows the capture which source frame it is looking at. */
        private final class Counting implements FrameObserver {
            final FrameObserver capture;

            Counting(FrameObserver capture) {
                this.capture = capture;
            }

            @Override
            public boolean needsWholeFrame(byte type) {
                return capture.needsWholeFrame(type);
            }

            @Override
            public void beforeHolding(byte type, int length) {
                capture.beforeHolding(type, length);
            }

            @Override
            public boolean onFrame(byte type, ByteBuf frame) {
                observed++;
                return capture.onFrame(type, frame);
            }

            @Override
            public void onFrameStart(byte type, int length) {
                observed++;
                capture.onFrameStart(type, length);
            }
        }

        @Override
        public CompletableFuture<Void> committed(CapturedTransaction tx) {
            released.add(tx);
            releasedAt.add(observed);
            if (random.nextInt(4) != 0) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> stage = new CompletableFuture<>();
            durable.add(stage);
            durableFrame.add(observed);
            return stage;
        }

        @Override
        public void outcomeUnknown(UnknownOutcome outcome) {
            unknown.add(outcome);
        }

        /** Delivers everything; returns the number of commits. */
        int verify() {
            ProtocolViolationException violation = null;
            try {
                deliver();
                while (!durable.isEmpty() || fromSource.isHeld()) {
                    if (durable.isEmpty()) {
                        throw new AssertionError("the source stream is held with no commit to wait for");
                    }
                    completeOne();
                    resumeIfAsked();
                }
            } catch (ProtocolViolationException e) {
                if (!mutate) {
                    throw new AssertionError("a valid session was refused", e);
                }
                violation = e;
            } finally {
                fromClient.release();
                fromSource.release();
                traceLeft = slot.marked();
                capture.closed(new SessionEnd("the conversation ended", mutate));
                check(!slot.marked(), "the session ended, yet its slot in the trace is marked");
            }
            for (ByteBuf read : reads) {
                check(read.refCnt() == 0, "a read was not released");
            }
            check(budget.used() == 0, "the capture still holds " + budget.used() + " bytes of the budget after the"
                    + " session ended");
            if (mutate) {
                return 0;
            }
            check(violation == null, "unexpected violation");
            check(!traceLeft, "the source answered everything (or ended the session), yet the trace of commits in"
                    + " flight is marked");
            check(unknown.isEmpty(), "the source answered everything (or ended the session), yet the capture said"
                    + " it may still commit " + unknown);
            check(Arrays.equals(forwardedClient.toByteArray(), concat(clientFrames)), "client bytes changed");
            check(Arrays.equals(forwardedSource.toByteArray(), concat(sourceFrames)), "source bytes changed");
            List<Commit> expected = c.source.commits;
            List<String> want = expected.stream().map(x -> describe(x.writes(), exact) + " at S" + x.frame()).toList();
            List<String> got = new ArrayList<>();
            for (int i = 0; i < released.size(); i++) {
                got.add(describeCaptured(released.get(i), exact) + " at S" + releasedAt.get(i));
            }
            check(got.equals(want), "released to the mirror:\n  " + String.join("\n  ", got) + "\nbut the source"
                    + " committed:\n  " + String.join("\n  ", want));
            return expected.size();
        }

        /**
         * Whenever the source may commit mirrored writes it has not answered for, the capture says so, and the trace
         * too: a source that has read the client frame that commits them (it is among the frames shown to the capture,
         * so the relay may have forwarded it) may have committed them already, and the answer that tells is not shown
         * yet ({@code fedClient}: how many client frames the capture was shown).
         */
        private void checkTraced(String where, int fedClient) {
            if (mutate) {
                return;
            }
            for (Commit commit : c.source.commits) {
                if (commit.cause() < fedClient && commit.frame() > observed) {
                    check(capture.awaitsOutcome(), "the source may have committed " + describe(commit.writes(), false)
                            + " (at C" + commit.cause() + ", answered at S" + commit.frame() + "), but the capture"
                            + " does not expect a commit (after " + where + ")");
                    break;
                }
            }
            check(!capture.awaitsOutcome() || slot.marked(), "the source may commit writes it has not answered"
                    + " for, but the trace of commits in flight is clear (after " + where + ")");
        }

        /**
         * Feeds both streams in random runs and reads, in an order that could happen: the source answers a client frame
         * only once the proxy has seen it, the client sends what waits for an answer only once the proxy forwarded it
         * (a held ReadyForQuery reaches the client only when its commit is durable).
         */
        private void deliver() {
            List<Frame> client = c.client;
            List<Frame> source = c.source.out;
            int ci = 0;
            int si = 0;
            boolean fromClientSide = true;
            while (ci < client.size() || si < source.size()) {
                boolean canClient = ci < client.size() && forwarded(client.get(ci).after());
                boolean canSource = si < source.size() && source.get(si).after() < ci;
                if (!canClient && !canSource) {
                    if (durable.isEmpty() && mutate) {
                        return; // a mutated length swallowed what the client waits for: the session would sit idle
                    }
                    if (durable.isEmpty()) {
                        throw new IllegalStateException("the generator made frames wait for each other at C" + ci
                                + " and S" + si);
                    }
                    completeOne(); // the client waits for a ReadyForQuery held until this commit is durable
                    resumeIfAsked();
                    checkTraced("a commit made durable", ci);
                    continue;
                }
                if (!(fromClientSide ? canClient : canSource) || random.nextInt(3) == 0) {
                    fromClientSide = fromClientSide ? !canSource : canClient;
                }
                // a run of frames of one side, fed in random reads
                ByteArrayOutputStream run = new ByteArrayOutputStream();
                do {
                    if (fromClientSide) {
                        run.writeBytes(clientFrames[ci++]);
                    } else {
                        run.writeBytes(sourceFrames[si++]);
                    }
                } while (random.nextBoolean() && (fromClientSide
                        ? ci < client.size() && forwarded(client.get(ci).after())
                        : si < source.size() && source.get(si).after() < ci));
                feed(fromClientSide, run.toByteArray());
                checkTraced((fromClientSide ? "C" : "S") + ((fromClientSide ? ci : si) - 1), ci);
                while (!durable.isEmpty() && random.nextInt(3) == 0) {
                    completeOne();
                }
                resumeIfAsked();
                checkTraced("a commit made durable", ci);
            }
        }

        /** Whether the client has received source frame {@code frame} (-1: nothing to wait for). */
        private boolean forwarded(int frame) {
            return frame < 0 || forwardedSource.size() >= sourceOffsets[frame + 1];
        }

        private void feed(boolean client, byte[] bytes) {
            int at = 0;
            while (at < bytes.length) {
                int size = random.nextInt(3) == 0 ? bytes.length - at
                        : Math.min(bytes.length - at, 1 + random.nextInt(12));
                ByteBuf read = alloc.buffer(size).writeBytes(bytes, at, size);
                reads.add(read);
                at += size;
                if (client) {
                    fromClient.feed(read, forward(forwardedClient));
                } else {
                    fromSource.feed(read, forward(forwardedSource));
                }
            }
        }

        private static Consumer<ByteBuf> forward(ByteArrayOutputStream to) {
            return out -> {
                to.writeBytes(ByteBufUtil.getBytes(out));
                out.release();
            };
        }

        /** Makes the oldest pending commit durable, after checking its ReadyForQuery was not forwarded meanwhile. */
        private void completeOne() {
            int frame = durableFrame.remove(0);
            int ready = frame;
            while (ready < sourceFrames.length && sourceFrames[ready][0] != 'Z') {
                ready++;
            }
            if (!mutate && ready < sourceFrames.length) {
                check(forwardedSource.size() <= sourceOffsets[ready], "the ReadyForQuery S" + ready + " after the"
                        + " commit at S" + frame + " reached the client before the commit was durable");
            }
            durable.remove(0).complete(null);
        }

        private void resumeIfAsked() {
            if (resumeAsked) {
                resumeAsked = false;
                fromSource.resume(forward(forwardedSource));
            }
        }
    }

    private static String describe(List<Write> writes, boolean exact) {
        return writes.stream().map(w -> w.sql() + ":" + w.rows() + (exact ? " " + w.detail() : "")).toList()
                .toString();
    }

    private static String describeCaptured(CapturedTransaction tx, boolean exact) {
        for (CapturedStatement s : tx.statements()) {
            check(s.table().equals(METRICS), "captured a write to " + s.table());
        }
        return tx.statements().stream().map(s -> s.sql() + ":" + s.sourceRows()
                + (exact ? " " + SimulatedSource.detail(s) : "")).toList().toString();
    }

    /** A bit flip, a cut body, a lying length, another type byte. */
    private static byte[] mutated(Random r, byte[] frame) {
        byte[] b = frame.clone();
        switch (r.nextInt(4)) {
            case 0 -> {
                int at = r.nextInt(b.length);
                b[at] ^= (byte) (1 << r.nextInt(8));
            }
            case 1 -> {
                b = Arrays.copyOf(b, 5 + r.nextInt(b.length - 4));
                ByteBuffer.wrap(b).putInt(1, b.length - 1);
            }
            case 2 -> ByteBuffer.wrap(b).putInt(1, new int[] {-1, 0, 3, b.length, b.length - 2, Integer.MAX_VALUE,
                r.nextInt()}[r.nextInt(7)]);
            default -> b[0] = (byte) "QPBEDSdcfZCTGHXpIns123tKRNA".charAt(r.nextInt(27));
        }
        return b;
    }

    private static byte[] concat(byte[][] frames) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            all.writeBytes(f);
        }
        return all.toByteArray();
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new AssertionError(problem);
        }
    }
}
