package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The spool's record payload: a {@link CapturedTransaction} in a small versioned binary form. Parameter and COPY bytes
 * are stored verbatim, so the target receives exactly what the application sent.
 */
public final class TransactionCodec {

    private static final byte VERSION = 1;
    private static final byte SIMPLE = 'Q';
    private static final byte EXTENDED = 'B';
    private static final byte COPY = 'd';
    private static final byte UNREPLAYABLE = 'u';

    private TransactionCodec() {
    }

    public static byte[] encode(CapturedTransaction tx) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, 256 + tx.payloadBytes()));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            writeString(out, tx.database());
            writeString(out, tx.user());
            out.writeLong(tx.sessionId());
            out.writeLong(tx.committedAt());
            out.writeInt(tx.searchPath().size());
            for (String schema : tx.searchPath()) {
                writeString(out, schema);
            }
            out.writeInt(tx.statements().size());
            for (CapturedStatement s : tx.statements()) {
                writeStatement(out, s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeStatement(DataOutputStream out, CapturedStatement s) throws IOException {
        out.writeByte(s instanceof CapturedStatement.Simple ? SIMPLE : s instanceof CapturedStatement.Extended ? EXTENDED
                : s instanceof CapturedStatement.Copy ? COPY : UNREPLAYABLE);
        writeString(out, s.table().schema());
        writeString(out, s.table().name());
        out.writeLong(s.sourceRows());
        writeString(out, s.sql());
        if (s instanceof CapturedStatement.Extended e) {
            out.writeInt(e.parameterTypes().length);
            for (int oid : e.parameterTypes()) {
                out.writeInt(oid);
            }
            out.writeInt(e.parameterFormats().length);
            for (short f : e.parameterFormats()) {
                out.writeShort(f);
            }
            out.writeInt(e.parameters().length);
            for (byte[] p : e.parameters()) {
                writeBytes(out, p);
            }
        } else if (s instanceof CapturedStatement.Copy c) {
            out.writeInt(c.data().size());
            for (byte[] d : c.data()) {
                writeBytes(out, d);
            }
        } else if (s instanceof CapturedStatement.Unreplayable u) {
            writeString(out, u.reason());
        }
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a record this version wrote (the spool's CRC makes
     *                                  this a version mismatch, not corruption)
     */
    public static CapturedTransaction decode(byte[] record) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(record))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("spool record version " + version + " is not supported (expected "
                        + VERSION + "): was the spool written by another Tandem version?");
            }
            String database = readString(in);
            String user = readString(in);
            long sessionId = in.readLong();
            long committedAt = in.readLong();
            int pathSize = in.readInt();
            List<String> path = new ArrayList<>(pathSize);
            for (int i = 0; i < pathSize; i++) {
                path.add(readString(in));
            }
            int count = in.readInt();
            List<CapturedStatement> statements = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                statements.add(readStatement(in));
            }
            return new CapturedTransaction(database, user, sessionId, path, committedAt, statements);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated spool record: " + e.getMessage(), e);
        }
    }

    private static CapturedStatement readStatement(DataInputStream in) throws IOException {
        byte kind = in.readByte();
        TableName table = new TableName(readString(in), readString(in));
        long rows = in.readLong();
        String sql = readString(in);
        switch (kind) {
            case SIMPLE:
                return new CapturedStatement.Simple(table, rows, sql);
            case EXTENDED: {
                int[] types = new int[in.readInt()];
                for (int i = 0; i < types.length; i++) {
                    types[i] = in.readInt();
                }
                short[] formats = new short[in.readInt()];
                for (int i = 0; i < formats.length; i++) {
                    formats[i] = in.readShort();
                }
                byte[][] params = new byte[in.readInt()][];
                for (int i = 0; i < params.length; i++) {
                    params[i] = readBytes(in);
                }
                return new CapturedStatement.Extended(table, rows, sql, types, formats, params);
            }
            case COPY: {
                int n = in.readInt();
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

    private static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] b = readBytes(in);
        return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
