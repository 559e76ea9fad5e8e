package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** RowDescription ('T'): the columns of the rows that follow. */
public record RowDescription(List<Field> fields) implements BackendMessage {

    public static final byte TYPE = 'T';

    /** The smallest encoded field: an empty name's NUL plus 18 bytes of fixed-size attributes. */
    private static final int MIN_FIELD_BYTES = 19;

    /**
     * One column.
     *
     * @param tableOid the table's OID, or 0 if the column is not a plain table column
     * @param columnNumber the column's attribute number in that table, or 0
     * @param typeSize the type's size (pg_type.typlen); negative for variable-width types
     * @param format 0 text, 1 binary (0 as well when the statement was only described)
     */
    public record Field(String name, int tableOid, short columnNumber, int typeOid, short typeSize, int typeModifier,
                        short format) {
    }

    public RowDescription {
        fields = List.copyOf(fields);
    }

    public static RowDescription decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "RowDescription");
        int n = body.readCount(MIN_FIELD_BYTES, "field");
        List<Field> fields = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            fields.add(new Field(body.readCString("field name"), body.readInt(), body.readShort(), body.readInt(),
                    body.readShort(), body.readInt(), body.readShort()));
        }
        body.expectEnd();
        return new RowDescription(fields);
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeShort(fields.size());
        for (Field f : fields) {
            MessageWriter.cString(out, f.name());
            out.writeInt(f.tableOid());
            out.writeShort(f.columnNumber());
            out.writeInt(f.typeOid());
            out.writeShort(f.typeSize());
            out.writeInt(f.typeModifier());
            out.writeShort(f.format());
        }
        MessageWriter.end(out, lengthAt);
    }
}
