package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TimeType;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The spool's record payload: a {@link CapturedTransaction} in a small versioned binary form. Parameter and COPY bytes
 * are stored verbatim, so the target receives exactly what the application sent.
 */
public final class TransactionCodec {

    /**
     * 2 adds, after the statements, each statement's search_path; 3 adds after those the unconfirmed tables; 4 adds
     * after those each COPY's client encoding; 5 each statement's; 6 after those the distinct {@link InputSettings}
     * of the transaction's statements, then each statement's index among them; 7 adds to each of those settings its
     * session_replication_role (null for origin); 8 adds after those, for each statement the mirror cannot replay,
     * what the capture read of its rows' times ({@link CapturedStatement.Unreplayable#times}). Records of versions 1
     * to 5 are still read (their statements' settings are unknown), of version 6 (their session_replication_role is
     * origin), and of version 7 (no times read).
     */
    private static final byte VERSION = 8;
    private static final byte VERSION_WITHOUT_TIMES = 7;
    private static final byte VERSION_WITHOUT_REPLICATION_ROLE = 6;
    private static final byte VERSION_WITHOUT_SETTINGS = 5;
    private static final byte VERSION_WITH_COPY_ENCODINGS = 4;
    private static final byte VERSION_WITHOUT_ENCODINGS = 3;
    private static final byte VERSION_WITHOUT_UNCONFIRMED = 2;
    private static final byte VERSION_WITHOUT_PATHS = 1;
    private static final byte SIMPLE = 'Q';
    private static final byte EXTENDED = 'B';
    private static final byte COPY = 'd';
    private static final byte UNREPLAYABLE = 'u';
    /** What an unreplayable statement's times are: not read, read but not all known, a range. */
    private static final byte TIMES_NOT_READ = 0;
    private static final byte TIMES_UNKNOWN = 1;
    private static final byte TIMES_RANGE = 2;

    private TransactionCodec() {
    }

    public static byte[] encode(CapturedTransaction tx) {
        // Sized first, then written into one array: no stream, no growing, no per-byte synchronisation.
        byte[] database = utf8(tx.database());
        byte[] user = utf8(tx.user());
        List<byte[]> path = new ArrayList<>(tx.searchPath().size());
        long size = 1 + sized(database) + sized(user) + 8 + 8 + 4 + 4;
        for (String schema : tx.searchPath()) {
            byte[] b = utf8(schema);
            path.add(b);
            size += sized(b);
        }
        List<byte[][]> strings = new ArrayList<>(tx.statements().size());
        List<byte[][]> paths = new ArrayList<>(tx.statements().size());
        for (CapturedStatement s : tx.statements()) {
            byte[][] schemas = null;
            if (s.searchPath() != null) {
                schemas = new byte[s.searchPath().size()][];
                for (int i = 0; i < schemas.length; i++) {
                    schemas[i] = utf8(s.searchPath().get(i));
                    size += sized(schemas[i]);
                }
            }
            paths.add(schemas);
            size += 4;
            byte[][] text = {utf8(s.table().schema()), utf8(s.table().name()), utf8(s.sql()),
                s instanceof CapturedStatement.Unreplayable u ? utf8(u.reason()) : null};
            strings.add(text);
            size += statementSize(s, text);
        }
        List<byte[][]> unconfirmed = new ArrayList<>(tx.unconfirmed().size());
        size += 4;
        for (TableName table : tx.unconfirmed()) {
            byte[][] name = {utf8(table.schema()), utf8(table.name())};
            unconfirmed.add(name);
            size += sized(name[0]) + sized(name[1]);
        }
        List<byte[]> encodings = new ArrayList<>(tx.statements().size());
        for (CapturedStatement s : tx.statements()) {
            byte[] encoding = utf8(s.clientEncoding());
            encodings.add(encoding);
            size += sized(encoding);
        }
        // nearly always one set of settings per transaction: kept once, each statement points at it
        List<InputSettings> distinct = new ArrayList<>(1);
        int[] settingsIndex = new int[tx.statements().size()];
        List<byte[][]> settingsBytes = new ArrayList<>(1);
        size += 4 + 4L * settingsIndex.length;
        for (int i = 0; i < settingsIndex.length; i++) {
            InputSettings settings = tx.statements().get(i).settings();
            int at = distinct.indexOf(settings);
            if (at < 0) {
                at = distinct.size();
                distinct.add(settings);
                byte[][] values = new byte[InputSettings.NAMES.size() + 1][];
                List<String> settingValues = settings.values();
                for (int k = 0; k < InputSettings.NAMES.size(); k++) {
                    values[k] = utf8(settingValues.get(k));
                }
                // origin, the default and nearly always the value, as null: four bytes
                ReplicationRole role = settings.replicationRole();
                values[InputSettings.NAMES.size()] = role == ReplicationRole.ORIGIN ? null : utf8(role.setting());
                for (byte[] value : values) {
                    size += sized(value);
                }
                settingsBytes.add(values);
            }
            settingsIndex[i] = at;
        }
        List<byte[]> timeColumns = new ArrayList<>();
        for (CapturedStatement s : tx.statements()) {
            if (s instanceof CapturedStatement.Unreplayable u) {
                size += 1;
                if (u.times() != null) {
                    byte[] column = utf8(u.times().column());
                    timeColumns.add(column);
                    size += sized(column) + sized(utf8(u.times().type().name())) + 1 + 8 + 8 + 8;
                }
            }
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("transaction of " + size + " bytes is too large for one spool record");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size);
        out.put(VERSION);
        putBytes(out, database);
        putBytes(out, user);
        out.putLong(tx.sessionId());
        out.putLong(tx.committedAt());
        out.putInt(path.size());
        path.forEach(b -> putBytes(out, b));
        out.putInt(tx.statements().size());
        for (int i = 0; i < tx.statements().size(); i++) {
            putStatement(out, tx.statements().get(i), strings.get(i));
        }
        for (byte[][] schemas : paths) {
            out.putInt(schemas == null ? -1 : schemas.length);
            if (schemas != null) {
                for (byte[] schema : schemas) {
                    putBytes(out, schema);
                }
            }
        }
        out.putInt(unconfirmed.size());
        for (byte[][] name : unconfirmed) {
            putBytes(out, name[0]);
            putBytes(out, name[1]);
        }
        encodings.forEach(b -> putBytes(out, b));
        out.putInt(settingsBytes.size());
        for (byte[][] values : settingsBytes) {
            for (byte[] value : values) {
                putBytes(out, value);
            }
        }
        for (int index : settingsIndex) {
            out.putInt(index);
        }
        int column = 0;
        for (CapturedStatement s : tx.statements()) {
            if (s instanceof CapturedStatement.Unreplayable u) {
                TimeRange times = u.times();
                out.put(times != null ? TIMES_RANGE : u.timesRead() ? TIMES_UNKNOWN : TIMES_NOT_READ);
                if (times != null) {
                    putBytes(out, timeColumns.get(column++));
                    putBytes(out, utf8(times.type().name()));
                    out.put((byte) (times.bounded() ? 1 : 0));
                    out.putLong(times.first());
                    out.putLong(times.last());
                    out.putLong(times.infinite());
                }
            }
        }
        return out.array();
    }

    private static long statementSize(CapturedStatement s, byte[][] text) {
        long size = 1 + sized(text[0]) + sized(text[1]) + 8 + sized(text[2]);
        if (s instanceof CapturedStatement.Extended e) {
            size += 4 + 4L * e.parameterTypes().length + 4 + 2L * e.parameterFormats().length + 4;
            for (byte[] p : e.parameters()) {
                size += sized(p);
            }
        } else if (s instanceof CapturedStatement.Copy c) {
            size += 4;
            for (byte[] d : c.data()) {
                size += sized(d);
            }
        } else if (s instanceof CapturedStatement.Unreplayable) {
            size += sized(text[3]);
        }
        return size;
    }

    private static void putStatement(ByteBuffer out, CapturedStatement s, byte[][] text) {
        out.put(s instanceof CapturedStatement.Simple ? SIMPLE : s instanceof CapturedStatement.Extended ? EXTENDED
                : s instanceof CapturedStatement.Copy ? COPY : UNREPLAYABLE);
        putBytes(out, text[0]);
        putBytes(out, text[1]);
        out.putLong(s.sourceRows());
        putBytes(out, text[2]);
        if (s instanceof CapturedStatement.Extended e) {
            out.putInt(e.parameterTypes().length);
            for (int oid : e.parameterTypes()) {
                out.putInt(oid);
            }
            out.putInt(e.parameterFormats().length);
            for (short f : e.parameterFormats()) {
                out.putShort(f);
            }
            out.putInt(e.parameters().length);
            for (byte[] p : e.parameters()) {
                putBytes(out, p);
            }
        } else if (s instanceof CapturedStatement.Copy c) {
            out.putInt(c.data().size());
            for (byte[] d : c.data()) {
                putBytes(out, d);
            }
        } else if (s instanceof CapturedStatement.Unreplayable) {
            putBytes(out, text[3]);
        }
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Bytes {@link #putBytes} takes for {@code b}: a length, -1 for null, then the bytes. */
    private static long sized(byte[] b) {
        return 4 + (b == null ? 0 : b.length);
    }

    private static void putBytes(ByteBuffer out, byte[] b) {
        if (b == null) {
            out.putInt(-1);
        } else {
            out.putInt(b.length);
            out.put(b);
        }
    }

    /**
     * The source database of a record, read without decoding the rest: for a mirror that passes over the records of
     * a database it cannot apply to for now.
     *
     * @throws IllegalArgumentException when the bytes are not a record this version wrote
     */
    public static String database(byte[] record) {
        try {
            ByteBuffer in = ByteBuffer.wrap(record);
            byte version = in.get();
            if (version < VERSION_WITHOUT_PATHS || version > VERSION) {
                throw new IllegalArgumentException("spool record version " + version + " is not supported");
            }
            return readString(in);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("spool record ends early", e);
        }
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a record this version wrote (the spool's CRC makes
     *                                  this a version mismatch, not corruption)
     */
    public static CapturedTransaction decode(byte[] record) {
        try {
            ByteBuffer in = ByteBuffer.wrap(record);
            byte version = in.get();
            if (version < VERSION_WITHOUT_PATHS || version > VERSION) {
                throw new IllegalArgumentException("spool record version " + version + " is not supported (expected "
                        + VERSION + "): was the spool written by another Tandem version?");
            }
            String database = readString(in);
            String user = readString(in);
            long sessionId = in.getLong();
            long committedAt = in.getLong();
            int pathSize = count(in, 4);
            List<String> path = new ArrayList<>(pathSize);
            for (int i = 0; i < pathSize; i++) {
                path.add(readString(in));
            }
            int count = count(in, 1);
            List<CapturedStatement> statements = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                statements.add(readStatement(in));
            }
            if (version != VERSION_WITHOUT_PATHS) {
                for (int i = 0; i < count; i++) {
                    int schemas = in.getInt();
                    if (schemas >= 0) {
                        if ((long) schemas * 4 > in.remaining()) {
                            throw new IllegalArgumentException("spool record count " + schemas + " does not fit");
                        }
                        List<String> statementPath = new ArrayList<>(schemas);
                        for (int k = 0; k < schemas; k++) {
                            String schema = readString(in);
                            if (schema == null) {
                                throw new IllegalArgumentException("spool record has a null schema in a search_path");
                            }
                            statementPath.add(schema);
                        }
                        statements.set(i, statements.get(i).withSearchPath(List.copyOf(statementPath)));
                    }
                }
            }
            Set<TableName> unconfirmed = new HashSet<>();
            if (version >= VERSION_WITHOUT_ENCODINGS) {
                int tables = count(in, 8);
                for (int i = 0; i < tables; i++) {
                    unconfirmed.add(new TableName(readString(in), readString(in)));
                }
            }
            if (version >= VERSION_WITHOUT_SETTINGS) {
                for (int i = 0; i < count; i++) {
                    statements.set(i, statements.get(i).withClientEncoding(readString(in)));
                }
            } else if (version == VERSION_WITH_COPY_ENCODINGS) {
                for (int i = 0; i < count; i++) {
                    if (statements.get(i) instanceof CapturedStatement.Copy c) {
                        statements.set(i, c.withClientEncoding(readString(in)));
                    }
                }
            }
            if (version >= VERSION_WITHOUT_REPLICATION_ROLE) {
                readSettings(in, statements, version >= VERSION_WITHOUT_TIMES);
            }
            if (version >= VERSION) {
                readTimes(in, statements);
            }
            return new CapturedTransaction(database, user, sessionId, path, committedAt, statements, unconfirmed);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated spool record", e);
        }
    }

    private static void readSettings(ByteBuffer in, List<CapturedStatement> statements, boolean withRole) {
        int n = count(in, 4 * InputSettings.NAMES.size());
        List<InputSettings> distinct = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> values = new ArrayList<>(InputSettings.NAMES.size());
            for (int k = 0; k < InputSettings.NAMES.size(); k++) {
                values.add(readString(in));
            }
            ReplicationRole role = ReplicationRole.ORIGIN;
            String setting = withRole ? readString(in) : null;
            if (setting != null) {
                role = ReplicationRole.parse(setting);
                if (role == null) {
                    throw new IllegalArgumentException("spool record has session_replication_role " + setting
                            + ", which this version does not know");
                }
            }
            distinct.add(InputSettings.of(values, role));
        }
        for (int i = 0; i < statements.size(); i++) {
            int index = in.getInt();
            if (index < 0 || index >= n) {
                throw new IllegalArgumentException("spool record points at settings " + index + " of " + n);
            }
            statements.set(i, statements.get(i).withSettings(distinct.get(index)));
        }
    }

    private static void readTimes(ByteBuffer in, List<CapturedStatement> statements) {
        for (int i = 0; i < statements.size(); i++) {
            if (statements.get(i) instanceof CapturedStatement.Unreplayable u) {
                byte kind = in.get();
                switch (kind) {
                    case TIMES_NOT_READ -> {
                    }
                    case TIMES_UNKNOWN -> statements.set(i, u.withTimes(null));
                    case TIMES_RANGE -> {
                        String column = readString(in);
                        String type = readString(in);
                        boolean bounded = in.get() != 0;
                        long first = in.getLong();
                        long last = in.getLong();
                        long infinite = in.getLong();
                        try {
                            statements.set(i, u.withTimes(new TimeRange(column, TimeType.valueOf(type), bounded,
                                    first, last, infinite)));
                        } catch (RuntimeException e) {
                            throw new IllegalArgumentException("spool record has an unreadable time range", e);
                        }
                    }
                    default -> throw new IllegalArgumentException("spool record has times of kind " + kind);
                }
            }
        }
    }

    /** A count of items that take at least {@code minBytes} each, checked against what is left. */
    private static int count(ByteBuffer in, int minBytes) {
        int n = in.getInt();
        if (n < 0 || (long) n * minBytes > in.remaining()) {
            throw new IllegalArgumentException("spool record count " + n + " does not fit in the " + in.remaining()
                    + " bytes left");
        }
        return n;
    }

    private static CapturedStatement readStatement(ByteBuffer in) {
        byte kind = in.get();
        TableName table = new TableName(readString(in), readString(in));
        long rows = in.getLong();
        String sql = readString(in);
        switch (kind) {
            case SIMPLE:
                return new CapturedStatement.Simple(table, rows, sql);
            case EXTENDED: {
                int[] types = new int[count(in, 4)];
                for (int i = 0; i < types.length; i++) {
                    types[i] = in.getInt();
                }
                short[] formats = new short[count(in, 2)];
                for (int i = 0; i < formats.length; i++) {
                    formats[i] = in.getShort();
                }
                byte[][] params = new byte[count(in, 4)][];
                for (int i = 0; i < params.length; i++) {
                    params[i] = readBytes(in);
                }
                return new CapturedStatement.Extended(table, rows, sql, types, formats, params);
            }
            case COPY: {
                int n = count(in, 4);
                List<byte[]> data = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    data.add(readBytes(in));
                }
                return new CapturedStatement.Copy(table, rows, sql, data);
            }
            case UNREPLAYABLE:
                return new CapturedStatement.Unreplayable(table, rows, sql, readString(in));
            default:
                throw new IllegalArgumentException("unknown statement kind " + kind + " in spool record");
        }
    }

    private static String readString(ByteBuffer in) {
        int n = fieldLength(in);
        if (n < 0) {
            return null;
        }
        // straight from the record's array: no copy of the bytes first
        String s = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    private static byte[] readBytes(ByteBuffer in) {
        int n = fieldLength(in);
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** The length of the field that starts here, -1 for null, checked against what is left. */
    private static int fieldLength(ByteBuffer in) {
        int n = in.getInt();
        if (n > in.remaining()) {
            throw new IllegalArgumentException("spool record field of " + n + " bytes runs past its end");
        }
        return n;
    }
}
