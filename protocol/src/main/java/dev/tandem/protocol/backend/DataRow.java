package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * DataRow ('D'): one row, each column's value as the bytes sent (text or binary per the RowDescription), or null
 * for SQL NULL (length -1 on the wire).
 */
public record DataRow(List<byte[]> columns) implements BackendMessage {

    public static final byte TYPE = 'D';

    public DataRow {
        List<byte[]> copy = new ArrayList<>(columns.size());
        for (byte[] c : columns) {
            copy.add(c == null ? null : c.clone());
        }
        columns = Collections.unmodifiableList(copy);
    }

    public static DataRow decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "DataRow");
        int n = body.readCount(4, "column");
        List<byte[]> columns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            columns.add(body.readNullableBytes("column " + i));
        }
        body.expectEnd();
        return new DataRow(columns);
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeShort(columns.size());
        for (byte[] c : columns) {
            MessageWriter.nullableBytes(out, c);
        }
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DataRow other) || other.columns.size() != columns.size()) {
            return false;
        }
        for (int i = 0; i < columns.size(); i++) {
            if (!Arrays.equals(columns.get(i), other.columns.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (byte[] c : columns) {
            h = 31 * h + Arrays.hashCode(c);
        }
        return h;
    }

    /** Shows the column count only: row values are application data. */
    @Override
    public String toString() {
        return "DataRow[" + columns.size() + " columns]";
    }
}
