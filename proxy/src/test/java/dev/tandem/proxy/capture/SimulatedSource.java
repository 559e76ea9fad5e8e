package dev.tandem.proxy.capture;

import dev.tandem.protocol.backend.AuthenticationCleartextPassword;
import dev.tandem.protocol.backend.AuthenticationOk;
import dev.tandem.protocol.backend.BackendKeyData;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.BindComplete;
import dev.tandem.protocol.backend.CloseComplete;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.CopyInResponse;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.backend.EmptyQueryResponse;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.NoData;
import dev.tandem.protocol.backend.NoticeResponse;
import dev.tandem.protocol.backend.NotificationResponse;
import dev.tandem.protocol.backend.ParameterDescription;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ParseComplete;
import dev.tandem.protocol.backend.PortalSuspended;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.backend.RowDescription;
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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How PostgreSQL answers a client, for a small vocabulary of statements, as far as a mirror's capture cares: which
 * messages come back for which request, in which order, and which writes each transaction committed. It reads the
 * client's messages one at a time, as the server does, and writes the frames it answers with, each marked with the
 * client frame it answers (the fuzzer delivers a frame only after that one).
 *
 * <p>Modelled from PostgreSQL's postgres.c and xact.c: a multi-statement Query and an extended-protocol batch up to
 * Sync are one implicit transaction; BEGIN turns it explicit and keeps what ran before it; COMMIT and ROLLBACK inside
 * an implicit one end it (with a warning); SAVEPOINT, RELEASE and ROLLBACK TO need an explicit block (25P01) and an
 * existing savepoint (3B001); in a failed block only COMMIT, ROLLBACK and ROLLBACK TO run (25P02); after an error in
 * the extended protocol everything up to Sync is skipped, a Query included; Sync and Flush are ignored in COPY IN, any
 * other message but CopyData, CopyDone and CopyFail fails it (08P01) half read, and so ends the connection (FATAL
 * 08P01), or before PostgreSQL 14 read whole, and so the connection goes on as after a line of data that failed it,
 * and those three are ignored outside it; a Query drops the unnamed statement and portal; portals end with their
 * transaction; a portal of an INSERT ... RETURNING read with a row limit runs the INSERT at once and suspends.
 */
final class SimulatedSource {

    enum Block { IDLE, IMPLICIT, EXPLICIT, ABORTED }

    enum Kind { INSERT, SELECT, FAIL, BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK_TO, COPY, EMPTY, MULTI }

    /**
     * A statement the generator wrote.
     *
     * @param mirrored  it writes the mirrored table
     * @param rows      rows an INSERT writes (its VALUES rows)
     * @param returning an INSERT ... RETURNING
     * @param name      the savepoint it names
     * @param fails     an INSERT of the value -1 (simple protocol), which breaks a check constraint
     * @param params    how many parameters it has
     */
    record Statement(Kind kind, String sql, boolean mirrored, int rows, boolean returning, String name, boolean fails,
                     int params) {
        boolean exitsFailedBlock() {
            return kind == Kind.COMMIT || kind == Kind.ROLLBACK || kind == Kind.ROLLBACK_TO;
        }

        boolean returnsRows() {
            return kind == Kind.SELECT || returning;
        }
    }

    /** A write the source committed, described as the capture's statement for it must be. */
    record Write(String sql, long rows, String detail) {
    }

    /**
     * A committed transaction's mirrored writes, the server frame that told the client it committed, and the client
     * frame whose processing committed it (a COMMIT, the end of a Query, a Sync, the CopyDone that ended a Query's
     * last COPY).
     */
    record Commit(List<Write> writes, int frame, int cause) {
    }

    /** A frame of one direction, and the index of the frame of the other direction it must follow (-1: none). */
    record Frame(byte[] bytes, int after) {
    }

    /** A prepared statement: the generator's statement, and the parameter types its Parse gave. */
    private record Prepared(Statement statement, List<Integer> types) {
    }

    private static final class Portal {
        final Statement statement;
        final List<Integer> types;
        final Bind bind;
        long remaining = -1;
        boolean done;

        Portal(Prepared prepared, Bind bind) {
            this.statement = prepared.statement();
            this.types = prepared.types();
            this.bind = bind;
        }
    }

    private static final class Copy {
        final Statement statement;
        final boolean extended;
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final StringBuilder line = new StringBuilder();
        long lines;

        Copy(Statement statement, boolean extended) {
            this.statement = statement;
            this.extended = extended;
        }
    }

    private record Savepoint(String name, int writes) {
    }

    final List<Frame> out = new ArrayList<>();
    final List<Commit> commits = new ArrayList<>();
    private final Random random;
    private final int majorVersion;
    private Block block = Block.IDLE;
    private final List<Write> writes = new ArrayList<>();
    private final List<Savepoint> savepoints = new ArrayList<>();
    private final Map<String, Prepared> statements = new HashMap<>();
    private final Map<String, Portal> portals = new HashMap<>();
    private final Deque<Statement> queryRest = new ArrayDeque<>();
    private boolean inQuery;
    private boolean ignoreTillSync;
    /** It sent a FATAL error and closed the connection: it reads nothing more. */
    private boolean closed;
    private Copy copy;
    /** The client frame being answered. */
    private int current = -1;
    /** Index in {@link #out} of the last CopyInResponse. */
    int lastCopyIn = -1;

    /** @param majorVersion the PostgreSQL release it answers as: only whether it is before 14 matters */
    SimulatedSource(Random random, int majorVersion) {
        this.random = random;
        this.majorVersion = majorVersion;
    }

    int majorVersion() {
        return majorVersion;
    }

    Block block() {
        return block;
    }

    boolean inCopy() {
        return copy != null;
    }

    boolean closed() {
        return closed;
    }

    /** Start-up: authentication (trust, or a cleartext password the client answers), parameters, key, ready. */
    void startup(boolean password) {
        if (password) {
            emit(AuthenticationCleartextPassword.INSTANCE);
        } else {
            authenticated();
        }
    }

    private void authenticated() {
        emit(AuthenticationOk.INSTANCE);
        emit(new ParameterStatus("server_version", majorVersion < 14 ? "13.22" : "17.6"));
        emit(new ParameterStatus("client_encoding", "UTF8"));
        emit(new ParameterStatus("standard_conforming_strings", "on"));
        emit(new BackendKeyData(4242, new byte[] {1, 2, 3, 4}));
        ready();
    }

    /** Messages a server may send between any two others: notices, notifications, parameter reports. */
    void noise() {
        switch (random.nextInt(3)) {
            case 0 -> emit(new NoticeResponse(fields("NOTICE", "00000", "a notice")));
            case 1 -> emit(new NotificationResponse(77, "chan", "payload"));
            default -> emit(new ParameterStatus("application_name", "app" + random.nextInt(3)));
        }
    }

    /**
     * Reads one client message.
     *
     * @param parsed the statements of a Query or Parse, as the generator wrote them
     * @param frame  the index of the message's frame in the client's stream
     */
    void receive(FrontendMessage message, List<Statement> parsed, int frame) {
        current = frame;
        if (closed) {
            return;
        }
        if (copy != null) {
            copyMode(message);
            return;
        }
        if (message instanceof Sync) {
            ignoreTillSync = false;
            if (block == Block.IMPLICIT) {
                end(true, out.size());
            }
            ready();
            return;
        }
        if (ignoreTillSync || message instanceof Flush || message instanceof Terminate
                || message instanceof CopyData || message instanceof CopyDone || message instanceof CopyFail) {
            return; // skipped after an error; or nothing to answer; or COPY data that comes too late
        }
        if (message instanceof PasswordMessage) {
            authenticated();
        } else if (message instanceof Query) {
            query(parsed);
        } else if (message instanceof Parse p) {
            parse(p, parsed);
        } else if (message instanceof Bind b) {
            bind(b);
        } else if (message instanceof Describe d) {
            describe(d);
        } else if (message instanceof Execute e) {
            execute(e);
        } else if (message instanceof Close c) {
            close(c);
        } else {
            throw new IllegalStateException("the model does not know " + message);
        }
    }

    // ---- simple protocol ----------------------------------------------------------------------------------------

    private void query(List<Statement> parsed) {
        // exec_simple_query drops the unnamed statement and runs each statement in the unnamed portal: a Bind or an
        // Execute of either after a Query fails (met only when a COPY took the Parse behind it, before PostgreSQL 14)
        statements.remove("");
        portals.remove("");
        if (parsed.isEmpty()) {
            emit(EmptyQueryResponse.INSTANCE);
            ready();
            return;
        }
        if (block == Block.IDLE) {
            block = Block.IMPLICIT;
        }
        inQuery = true;
        queryRest.addAll(parsed);
        continueQuery();
    }

    private void continueQuery() {
        while (!queryRest.isEmpty()) {
            Statement s = queryRest.poll();
            if (!run(s, false)) {
                queryRest.clear();
                break;
            }
            if (copy != null) {
                return; // the rest runs after the COPY
            }
        }
        inQuery = false;
        if (block == Block.IMPLICIT) {
            end(true, out.size());
        }
        ready();
    }

    // ---- extended protocol --------------------------------------------------------------------------------------

    private void startTransaction() {
        if (block == Block.IDLE) {
            block = Block.IMPLICIT;
        }
    }

    private void parse(Parse p, List<Statement> parsed) {
        startTransaction();
        Statement s = parsed.isEmpty() ? new Statement(Kind.EMPTY, "", false, 0, false, null, false, 0)
                : parsed.size() > 1 ? new Statement(Kind.MULTI, p.sql(), false, 0, false, null, false, 0)
                : parsed.get(0);
        if (block == Block.ABORTED && !s.exitsFailedBlock()) {
            error("25P02", "current transaction is aborted, commands ignored until end of transaction block");
        } else if (s.kind() == Kind.MULTI) {
            error("42601", "cannot insert multiple commands into a prepared statement");
        } else if (!p.name().isEmpty() && statements.containsKey(p.name())) {
            error("42P05", "prepared statement \"" + p.name() + "\" already exists");
        } else {
            statements.put(p.name(), new Prepared(s, p.parameterTypes()));
            emit(ParseComplete.INSTANCE);
        }
    }

    private void bind(Bind b) {
        startTransaction();
        Prepared prepared = statements.get(b.statement());
        Statement s = prepared == null ? null : prepared.statement();
        if (s == null) {
            error("26000", "prepared statement \"" + b.statement() + "\" does not exist");
        } else if (block == Block.ABORTED && !s.exitsFailedBlock()) {
            error("25P02", "current transaction is aborted, commands ignored until end of transaction block");
        } else if (b.parameters().size() != s.params()) {
            error("08P01", "bind message supplies " + b.parameters().size() + " parameters, but prepared statement"
                    + " requires " + s.params());
        } else if (!b.portal().isEmpty() && portals.containsKey(b.portal())) {
            error("42P03", "cursor \"" + b.portal() + "\" already exists");
        } else {
            portals.put(b.portal(), new Portal(prepared, b));
            emit(BindComplete.INSTANCE);
        }
    }

    private void describe(Describe d) {
        startTransaction();
        Statement s;
        if (d.kind() == StatementOrPortal.STATEMENT) {
            Prepared prepared = statements.get(d.name());
            s = prepared == null ? null : prepared.statement();
            if (s == null) {
                error("26000", "prepared statement \"" + d.name() + "\" does not exist");
                return;
            }
        } else {
            Portal p = portals.get(d.name());
            if (p == null) {
                error("34000", "portal \"" + d.name() + "\" does not exist");
                return;
            }
            s = p.statement;
        }
        if (block == Block.ABORTED && s.returnsRows()) {
            error("25P02", "current transaction is aborted, commands ignored until end of transaction block");
            return;
        }
        if (d.kind() == StatementOrPortal.STATEMENT) {
            emit(new ParameterDescription(java.util.Collections.nCopies(s.params(), 23)));
        }
        emit(s.returnsRows() ? rowDescription() : NoData.INSTANCE);
    }

    private void execute(Execute e) {
        startTransaction();
        Portal p = portals.get(e.portal());
        if (p == null) {
            error("34000", "portal \"" + e.portal() + "\" does not exist");
            return;
        }
        if (block == Block.ABORTED && !p.statement.exitsFailedBlock()) {
            error("25P02", "current transaction is aborted, commands ignored until end of transaction block");
            return;
        }
        if (p.done) {
            error("55000", "portal \"" + e.portal() + "\" cannot be run");
            return;
        }
        Statement s = p.statement;
        if (p.remaining >= 0) {
            fetch(p, e.maxRows()); // a suspended portal: its rows wait in it
            return;
        }
        if (s.kind() == Kind.INSERT) {
            insertBound(p, e.maxRows());
            return;
        }
        if (s.kind() == Kind.SELECT) {
            p.remaining = 1;
            fetch(p, e.maxRows());
            return;
        }
        p.done = true;
        run(s, true);
    }

    /** An INSERT with its parameters: fails on a -1, else writes (and, with RETURNING, may suspend). */
    private void insertBound(Portal p, int maxRows) {
        Statement s = p.statement;
        Bind b = p.bind;
        for (int i = 0; i < b.parameters().size(); i++) {
            byte[] v = b.parameters().get(i);
            short format = b.parameterFormats().isEmpty() ? 0 : b.parameterFormats().size() == 1
                    ? b.parameterFormats().get(0) : b.parameterFormats().get(i);
            boolean minusOne = v != null && (format == 1 ? v.length == 4 && ByteBuffer.wrap(v).getInt() == -1
                    : new String(v, StandardCharsets.UTF_8).equals("-1"));
            if (minusOne) {
                p.done = true;
                error("23514", "new row violates check constraint");
                return;
            }
        }
        boolean suspends = s.returning() && maxRows > 0 && maxRows <= s.rows();
        if (s.mirrored()) {
            writes.add(new Write(s.sql(), suspends ? -1 : s.rows(), extendedDetail(p.types, b)));
        }
        if (s.returning()) {
            p.remaining = s.rows();
            fetch(p, maxRows);
        } else {
            p.done = true;
            emit(new CommandComplete("INSERT 0 " + s.rows()));
        }
    }

    private void fetch(Portal p, int maxRows) {
        long n = maxRows == 0 ? p.remaining : Math.min(maxRows, p.remaining);
        for (long i = 0; i < n; i++) {
            emit(dataRow());
        }
        p.remaining -= n;
        if (maxRows > 0 && n == maxRows) {
            emit(PortalSuspended.INSTANCE);
        } else {
            p.done = true;
            emit(new CommandComplete(p.statement.kind() == Kind.SELECT ? "SELECT " + n
                    : "INSERT 0 " + p.statement.rows()));
        }
    }

    private void close(Close c) {
        startTransaction();
        (c.kind() == StatementOrPortal.STATEMENT ? statements : portals).remove(c.name());
        emit(CloseComplete.INSTANCE);
    }

    // ---- statements -----------------------------------------------------------------------------------------------

    /**
     * Runs one statement of a Query, or a portal's ({@code extended}) that is not fetched (an INSERT or SELECT portal
     * is, see {@link #execute}).
     *
     * @return false when it failed
     */
    private boolean run(Statement s, boolean extended) {
        if (block == Block.ABORTED && !s.exitsFailedBlock()) {
            error("25P02", "current transaction is aborted, commands ignored until end of transaction block");
            return false;
        }
        switch (s.kind()) {
            case INSERT -> {
                if (s.fails()) {
                    error("23514", "new row violates check constraint");
                    return false;
                }
                if (s.mirrored()) {
                    writes.add(new Write(s.sql(), s.rows(), "simple"));
                }
                if (s.returning()) {
                    emit(rowDescription());
                    for (int i = 0; i < s.rows(); i++) {
                        emit(dataRow());
                    }
                }
                emit(new CommandComplete("INSERT 0 " + s.rows()));
            }
            case SELECT -> { // a Query's: a portal's is fetched
                emit(rowDescription());
                emit(dataRow());
                emit(new CommandComplete("SELECT 1"));
            }
            case FAIL -> {
                error("22012", "division by zero");
                return false;
            }
            case EMPTY -> emit(EmptyQueryResponse.INSTANCE);
            case BEGIN -> {
                if (block == Block.EXPLICIT) {
                    emit(new NoticeResponse(fields("WARNING", "25001", "there is already a transaction in progress")));
                }
                block = Block.EXPLICIT;
                emit(new CommandComplete("BEGIN"));
            }
            case COMMIT -> {
                boolean committed = block != Block.ABORTED;
                if (block == Block.IMPLICIT) {
                    emit(new NoticeResponse(fields("WARNING", "25P01", "there is no transaction in progress")));
                }
                end(committed, out.size());
                block = Block.IMPLICIT;
                emit(new CommandComplete(committed ? "COMMIT" : "ROLLBACK"));
            }
            case ROLLBACK -> {
                if (block == Block.IMPLICIT) {
                    emit(new NoticeResponse(fields("WARNING", "25P01", "there is no transaction in progress")));
                }
                end(false, -1);
                block = Block.IMPLICIT;
                emit(new CommandComplete("ROLLBACK"));
            }
            case SAVEPOINT, RELEASE, ROLLBACK_TO -> {
                return savepoint(s);
            }
            case COPY -> {
                copy = new Copy(s, extended);
                lastCopyIn = out.size();
                emit(new CopyInResponse((byte) 0, List.of((short) 0)));
            }
            case MULTI -> throw new IllegalStateException("a multi-statement string runs as its statements");
            default -> throw new IllegalStateException("unknown " + s);
        }
        return true;
    }

    private boolean savepoint(Statement s) {
        if (block == Block.IMPLICIT) {
            error("25P01", s.kind() + " can only be used in transaction blocks");
            return false;
        }
        if (s.kind() == Kind.SAVEPOINT) {
            savepoints.add(new Savepoint(s.name(), writes.size()));
            emit(new CommandComplete("SAVEPOINT"));
            return true;
        }
        for (int i = savepoints.size() - 1; i >= 0; i--) {
            if (savepoints.get(i).name().equals(s.name())) {
                if (s.kind() == Kind.RELEASE) {
                    savepoints.subList(i, savepoints.size()).clear();
                    emit(new CommandComplete("RELEASE"));
                } else {
                    writes.subList(savepoints.get(i).writes(), writes.size()).clear();
                    savepoints.subList(i + 1, savepoints.size()).clear();
                    block = Block.EXPLICIT;
                    emit(new CommandComplete("ROLLBACK"));
                }
                return true;
            }
        }
        error("3B001", "savepoint \"" + s.name() + "\" does not exist");
        return false;
    }

    // ---- COPY FROM STDIN ------------------------------------------------------------------------------------------

    private void copyMode(FrontendMessage message) {
        if (message instanceof CopyData d) {
            byte[] bytes = ByteBufUtil.getBytes(d.data());
            copy.data.writeBytes(bytes);
            for (byte b : bytes) {
                if (b != '\n') {
                    copy.line.append((char) b);
                    continue;
                }
                copy.lines++;
                boolean bad = copy.line.toString().equals("x");
                copy.line.setLength(0);
                if (bad) {
                    copyFailed("22P02", "invalid input syntax for type integer: \"x\"");
                    return;
                }
            }
        } else if (message instanceof CopyDone) {
            Copy done = copy;
            copy = null;
            if (done.statement.mirrored()) {
                writes.add(new Write(done.statement.sql(), done.lines,
                        "copy " + ByteBufUtil.hexDump(done.data.toByteArray())));
            }
            emit(new CommandComplete("COPY " + done.lines));
            if (!done.extended) {
                continueQuery();
            }
        } else if (message instanceof CopyFail f) {
            copyFailed("57014", "COPY from stdin failed: " + f.message());
        } else if (!(message instanceof Sync) && !(message instanceof Flush)) {
            // copyfromparse.c fails the COPY having read only the message's type byte, and postgres.c then ends the
            // connection, which it can no longer read: what a client meets that sends on without noticing its
            // statement was a COPY (PostgreSQL 14, 15 and 17 answer so whatever the message)
            ByteBuf type = Unpooled.buffer();
            message.encode(type);
            String hex = String.format("0x%02X", type.getByte(0));
            type.release();
            if (majorVersion < 14) {
                // copy.c read the whole message: it never runs, and the server reads on (measured on 13.22)
                copyFailed("08P01", "unexpected message type " + hex + " during COPY from stdin");
                return;
            }
            copy = null;
            error("08P01", "unexpected message type " + hex + " during COPY from stdin");
            emit(new ErrorResponse(fields("FATAL", "08P01",
                    "terminating connection because protocol synchronization was lost")));
            end(false, -1);
            closed = true;
        }
    }

    private void copyFailed(String sqlState, String message) {
        boolean extended = copy.extended;
        copy = null;
        error(sqlState, message);
        if (!extended) {
            queryRest.clear();
            continueQuery(); // ends the query: ReadyForQuery
        }
    }

    // ---- transactions and answers ---------------------------------------------------------------------------------

    /** An error ends the statement; the transaction fails (explicit) or rolls back (implicit). */
    private void error(String sqlState, String message) {
        emit(new ErrorResponse(fields("ERROR", sqlState, message)));
        if (block == Block.EXPLICIT) {
            block = Block.ABORTED;
        } else if (block == Block.IMPLICIT) {
            end(false, -1);
            block = Block.IDLE;
        }
        if (!inQuery) {
            ignoreTillSync = true; // only the extended protocol skips to Sync
        }
    }

    /** The transaction ends; {@code frame} is the answer that tells the client it committed. */
    private void end(boolean commit, int frame) {
        if (commit && !writes.isEmpty()) {
            commits.add(new Commit(List.copyOf(writes), frame, current));
        }
        writes.clear();
        savepoints.clear();
        portals.clear();
    }

    private void ready() {
        if (block == Block.IMPLICIT) {
            block = Block.IDLE;
        }
        emit(switch (block) {
            case EXPLICIT -> ReadyForQuery.IN_TRANSACTION;
            case ABORTED -> ReadyForQuery.FAILED;
            default -> ReadyForQuery.IDLE;
        });
    }

    private void emit(BackendMessage message) {
        ByteBuf buf = Unpooled.buffer();
        message.encode(buf);
        out.add(new Frame(ByteBufUtil.getBytes(buf), current));
        buf.release();
    }

    private static RowDescription rowDescription() {
        return new RowDescription(List.of(new RowDescription.Field("v", 0, (short) 0, 23, (short) 4, -1, (short) 0)));
    }

    private static DataRow dataRow() {
        return new DataRow(List.of("1".getBytes(StandardCharsets.US_ASCII)));
    }

    private static Map<Character, String> fields(String severity, String sqlState, String message) {
        Map<Character, String> f = new java.util.LinkedHashMap<>();
        f.put('S', severity);
        f.put('V', severity);
        f.put('C', sqlState);
        f.put('M', message);
        return f;
    }

    /** What the capture of an INSERT parsed with these types and with these Bind values must hold. */
    static String extendedDetail(List<Integer> types, Bind b) {
        StringBuilder d = new StringBuilder("types=").append(types).append(" formats=").append(b.parameterFormats())
                .append(" values=");
        for (byte[] v : b.parameters()) {
            d.append(v == null ? "null" : ByteBufUtil.hexDump(v)).append(',');
        }
        return d.toString();
    }

    /** The same description of a capture's statement. */
    static String detail(CapturedStatement s) {
        if (s instanceof CapturedStatement.Extended e) {
            List<Short> formats = new ArrayList<>();
            for (short f : e.parameterFormats()) {
                formats.add(f);
            }
            List<Integer> types = new ArrayList<>();
            for (int t : e.parameterTypes()) {
                types.add(t);
            }
            StringBuilder d = new StringBuilder("types=").append(types).append(" formats=").append(formats)
                    .append(" values=");
            for (byte[] v : e.parameters()) {
                d.append(v == null ? "null" : ByteBufUtil.hexDump(v)).append(',');
            }
            return d.toString();
        }
        if (s instanceof CapturedStatement.Copy c) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            c.data().forEach(all::writeBytes);
            return "copy " + ByteBufUtil.hexDump(all.toByteArray());
        }
        return s instanceof CapturedStatement.Simple ? "simple" : "unreplayable";
    }

    @Override
    public String toString() {
        return "source in " + block + (closed ? ", closed" : "") + (copy != null ? ", in COPY" : "") + (ignoreTillSync ? ", skipping to Sync" : "")
                + ", statements " + statements.keySet() + ", portals " + portals.keySet() + ", " + commits.size()
                + " commits";
    }
}
