package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.InsertRows;
import dev.tandem.protocol.state.TimeType;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the time value of every row of an {@code INSERT ... VALUES} ({@link InsertRows}) into {@link RowTimes}: a
 * bare parameter {@code $n} (or one cast to a time type), its value in the Bind's text or binary format read as the
 * type the Parse gave it, else as the column's own; a constant ({@code '2026-01-05 10:00:00+00'}, typed or cast to a
 * time type, or an integer). Anything the server computes (an expression, a function call, DEFAULT, a column left
 * out of the list) and NULL make the rows' times unknown, and so does {@code ON CONFLICT ... DO UPDATE}, which
 * changes rows already there, whatever their time.
 */
final class InsertTimes {

    private InsertTimes() {
    }

    /**
     * @param rows       the statement's rows, or null when it is not of a shape {@link InsertRows} reads
     * @param types      the Parse's parameter type OIDs (0: the server's choice); empty for the simple protocol
     * @param formats    the Bind's parameter format codes, as the message gives them (none: all text, one: all)
     * @param parameters the Bind's values (null: NULL); empty for the simple protocol
     */
    static void read(InsertRows rows, TimeValues values, int[] types, short[] formats, byte[][] parameters,
                     RowTimes into) {
        if (rows == null) {
            into.unknown("a statement other than INSERT ... VALUES with parameters or constants");
            return;
        }
        if (rows.updatesOnConflict()) {
            into.unknown("ON CONFLICT ... DO UPDATE, which may change a row of another time");
            return;
        }
        TableTimeColumn table = values.column();
        List<String> columns = rows.columns() != null ? rows.columns() : table.insertColumns();
        if (columns == null) {
            into.unknown(SourceOrderedTimeColumns.ORDER_UNKNOWN);
            return;
        }
        int position = columns.indexOf(table.name());
        if (position < 0) {
            into.unknown("the time column is left to its default, which the server computes");
            return;
        }
        for (int r = 0; r < rows.rowCount() && !into.isUnknown(); r++) {
            if (position >= rows.width(r)) {
                into.unknown("the time column is left to its default, which the server computes");
                return;
            }
            InsertRows.Item item = rows.item(r, position);
            if (item instanceof InsertRows.Item.Parameter p) {
                parameter(p, values, types, formats, parameters, into);
            } else if (item instanceof InsertRows.Item.Constant c) {
                TimeType as = c.cast() == null ? table.type() : TimeValues.ofName(c.cast());
                if (as == null) {
                    into.unknown("a constant cast to a type the proxy does not read");
                } else {
                    values.text(c.value(), as, into);
                }
            } else if (item instanceof InsertRows.Item.Null) {
                into.unknown("a NULL time, which no range reaches");
            } else {
                into.unknown("a time the server computes (an expression, a function call, DEFAULT)");
            }
        }
    }

    private static void parameter(InsertRows.Item.Parameter p, TimeValues values, int[] types, short[] formats,
                                  byte[][] parameters, RowTimes into) {
        int i = p.number() - 1;
        if (i >= parameters.length) {
            into.unknown("a parameter the Bind does not give");
            return;
        }
        byte[] value = parameters[i];
        if (value == null) {
            into.unknown("a NULL time, which no range reaches");
            return;
        }
        TimeType cast = p.cast() == null ? null : TimeValues.ofName(p.cast());
        if (p.cast() != null && (cast == null || !values.keeps(cast))) {
            into.unknown("a parameter cast to a type the proxy does not read");
            return;
        }
        int oid = i < types.length ? types[i] : 0;
        TimeType as;
        if (oid == 0 || oid == TimeValues.UNKNOWN) {
            as = cast != null ? cast : values.column().type(); // the server infers the type from its use
        } else {
            as = TimeValues.ofOid(oid);
            if (as == null || cast != null && !(as == cast || as.isInteger() && cast.isInteger())) {
                into.unknown("a parameter of a type the proxy does not read (OID " + oid + ")");
                return;
            }
        }
        short format = formats.length == 0 ? 0 : formats.length == 1 ? formats[0] : i < formats.length ? formats[i] : 0;
        if (format == 1) {
            values.binary(value, 0, value.length, as, into);
        } else {
            // the time types' text forms are ASCII in every client encoding PostgreSQL takes
            values.text(new String(value, StandardCharsets.ISO_8859_1), as, into);
        }
    }
}
