package dev.tandem.proxy.mirror;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.function.IntFunction;

/** The {@code big (id int, b bytea)} table of the large-transaction tests: rows to COPY in, and what it holds. */
final class BigRows {

    private BigRows() {
    }

    /** Rows 1 to {@code rows}, row {@code id} with {@code value.apply(id)}, in binary COPY format. */
    static byte[] binaryCopy(int rows, int valueBytes, IntFunction<byte[]> value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(rows * (valueBytes + 16) + 32);
        DataOutputStream out = new DataOutputStream(bytes);
        out.write("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeInt(0);
        out.writeInt(0);
        for (int id = 1; id <= rows; id++) {
            byte[] b = value.apply(id);
            out.writeShort(2);
            out.writeInt(4);
            out.writeInt(id);
            out.writeInt(b.length);
            out.write(b);
        }
        out.writeShort(-1);
        out.flush();
        return bytes.toByteArray();
    }

    /** Every row's id and the md5 of its value, in id order; closes {@code connection}. */
    static String digest(Connection connection) throws SQLException {
        try (connection; ResultSet r = connection.createStatement().executeQuery(
                "SELECT string_agg(id || ':' || md5(b), ',' ORDER BY id) FROM big")) {
            r.next();
            return r.getString(1);
        }
    }
}
