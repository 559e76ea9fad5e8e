package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.Objects;

/**
 * Which sessions have a commit of mirrored writes in flight on the source, in a memory-mapped file beside the spool.
 * A store into it is a memory write, yet it outlives the process: the kernel keeps the page. So a proxy killed
 * ({@code kill -9}, the OOM killer, a JVM crash) while the source owed the answer to such a commit leaves a trace, which
 * the next start on the spool turns into {@code outcome_unknown} ledger entries: those commits may be on the source
 * only, and nothing else recorded them. A crash of the host loses the trace, as it loses the page cache.
 *
 * <p>One slot per session, {@link #SLOT_BYTES} each: {@code [state int][length int][at long][payload]}. The state is
 * 0 when nothing is in flight, else the number of the mark, stored last (release) so a slot read after a kill holds a
 * whole payload; the payload is the database, the session, what the source owed an answer to and the tables, as
 * length-prefixed UTF-8, cut to fit (the entry then says so).
 */
public final class InFlightCommits {

    static final String FILE_NAME = "in-flight-commits";
    static final int SLOT_BYTES = 512;
    /** Slots at most, whatever limits.max-connections says: 32 MiB of file, touched only as sessions use them. */
    static final int MAX_SLOTS = 65_536;

    private static final int STATE = 0;
    private static final int LENGTH = 4;
    private static final int AT = 8;
    private static final int PAYLOAD = 16;
    private static final int MAX_PAYLOAD = SLOT_BYTES - PAYLOAD;
    private static final String CAUSE = "the proxy process stopped without closing the session (killed, out of memory,"
            + " or crashed)";
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private final MappedByteBuffer map;
    /** Slots not in use; reused as they are, so a slot's marks keep counting from one session to the next. */
    private final Deque<Slot> free = new ArrayDeque<>();

    private InFlightCommits(MappedByteBuffer map, int slots) {
        this.map = map;
        for (int i = 0; i < slots; i++) {
            free.add(new Slot(i * SLOT_BYTES));
        }
    }

    /**
     * Opens the file in {@code directory} (the spool's, which one proxy holds at a time), and empties it once what a
     * proxy that stopped without closing its sessions left in it was handed over.
     *
     * @param sessions how many sessions may have a slot at once (limits.max-connections, capped at {@link #MAX_SLOTS})
     * @param left     takes the commits left in flight, and must have recorded them durably when it returns: the file
     *                 that held them is deleted next
     */
    public static InFlightCommits open(Path directory, int sessions, Consumer<List<UnknownOutcome>> left)
            throws IOException {
        Path file = directory.resolve(FILE_NAME);
        if (Files.exists(file)) {
            List<UnknownOutcome> found = new ArrayList<>();
            ByteBuffer old = ByteBuffer.wrap(Files.readAllBytes(file));
            for (int offset = 0; offset + SLOT_BYTES <= old.capacity(); offset += SLOT_BYTES) {
                UnknownOutcome outcome = read(old, offset);
                if (outcome != null) {
                    found.add(outcome);
                }
            }
            if (!found.isEmpty()) {
                left.accept(List.copyOf(found));
            }
            Files.delete(file);
        }
        int slots = Math.max(1, Math.min(sessions, MAX_SLOTS));
        // owner-only, like the spool's files; sparse: a page is allocated when a session first uses a slot in it
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, (long) slots * SLOT_BYTES);
            return new InFlightCommits(map, slots);
        }
    }

    /** A slot for a new session; null when every slot is taken (that session's commits are then not traced). */
    public synchronized Slot claim() {
        return free.poll();
    }

    private synchronized void release(Slot slot) {
        free.add(slot);
    }

    private static UnknownOutcome read(ByteBuffer buffer, int offset) {
        if (buffer.getInt(offset + STATE) == 0) {
            return null;
        }
        int length = buffer.getInt(offset + LENGTH);
        if (length < 0 || length > MAX_PAYLOAD) {
            return null;
        }
        long at = buffer.getLong(offset + AT);
        ByteBuffer payload = buffer.slice(offset + PAYLOAD, length);
        String database = string(payload);
        long session = Long.parseLong(string(payload));
        String awaited = string(payload);
        List<TableName> tables = new ArrayList<>();
        boolean cut = false;
        while (payload.hasRemaining()) {
            String schema = string(payload);
            if (schema.isEmpty()) {
                cut = true; // the marker of a list cut to fit
                break;
            }
            tables.add(new TableName(schema, string(payload)));
        }
        return new UnknownOutcome(database, session, at, tables, List.of(),
                cut ? awaited + " (and writes into more tables than the trace could hold)" : awaited, CAUSE);
    }

    private static String string(ByteBuffer payload) {
        int length = Short.toUnsignedInt(payload.getShort());
        byte[] bytes = new byte[length];
        payload.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** One session's slot. Marked and cleared on the session's event loop; {@link #clearMark} from any thread. */
    public final class Slot {

        private final int offset;
        private int marks;
        /** What the payload holds now (null: nothing yet), so a session marking the same again writes only the time. */
        private String lastDatabase;
        private String lastAwaited;
        private final List<TableName> lastTables = new ArrayList<>();

        private Slot(int offset) {
            this.offset = offset;
        }

        /**
         * The source may now commit writes into {@code tables}; returns the mark's number, for {@link #clearMark}.
         */
        int mark(String database, long session, String awaited, Collection<TableName> tables) {
            if (!database.equals(lastDatabase) || !Objects.equals(awaited, lastAwaited) || !sameTables(tables)) {
                writePayload(database, session, awaited, tables);
                lastDatabase = database;
                lastAwaited = awaited;
                lastTables.clear();
                lastTables.addAll(tables);
            }
            map.putLong(offset + AT, System.currentTimeMillis());
            marks = marks == Integer.MAX_VALUE ? 1 : marks + 1;
            INT.setRelease(map, offset + STATE, marks);
            return marks;
        }

        private boolean sameTables(Collection<TableName> tables) {
            if (tables.size() != lastTables.size()) {
                return false;
            }
            int i = 0;
            for (TableName table : tables) {
                if (!table.equals(lastTables.get(i++))) {
                    return false;
                }
            }
            return true;
        }

        /** Nothing is in flight. */
        void clear() {
            INT.setRelease(map, offset + STATE, 0);
        }

        /**
         * Clears the slot if {@code mark} is still its last mark: a later one (of this session, or of the next that
         * got the slot) is in flight on its own.
         */
        void clearMark(int mark) {
            INT.compareAndSet(map, offset + STATE, mark, 0);
        }

        boolean marked() {
            return (int) INT.getAcquire(map, offset + STATE) != 0;
        }

        /** The session ended: whatever it owed is recorded (or known) by now. */
        void release() {
            clear();
            lastDatabase = null; // the next session has another number: its first mark writes the payload
            InFlightCommits.this.release(this);
        }

        private void writePayload(String database, long session, String awaited, Collection<TableName> tables) {
            ByteBuffer payload = map.slice(offset + PAYLOAD, MAX_PAYLOAD);
            // the three fixed fields always fit: each is cut to a third of the room
            put(payload, database, MAX_PAYLOAD / 6);
            put(payload, Long.toString(session), 32);
            put(payload, awaited == null ? "" : awaited, MAX_PAYLOAD / 6);
            for (TableName table : tables) {
                byte[] schema = table.schema().getBytes(StandardCharsets.UTF_8);
                byte[] name = table.name().getBytes(StandardCharsets.UTF_8);
                if (payload.remaining() < 2 + schema.length + 2 + name.length + 2) {
                    payload.putShort((short) 0); // the cut marker: an empty schema
                    break;
                }
                payload.putShort((short) schema.length).put(schema).putShort((short) name.length).put(name);
            }
            map.putInt(offset + LENGTH, payload.position());
        }

        private void put(ByteBuffer payload, String value, int maxBytes) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            int length = Math.min(bytes.length, maxBytes);
            payload.putShort((short) length).put(bytes, 0, length);
        }
    }
}
