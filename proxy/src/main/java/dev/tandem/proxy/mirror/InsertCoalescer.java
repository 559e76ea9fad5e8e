package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.ValuesInsert;
import dev.tandem.proxy.capture.CapturedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns runs of consecutive one-row INSERTs that share a statement text and parameter types (a driver's batch, or
 * many small transactions of one kind in a group) into multi-row INSERTs: the target then parses, plans and executes
 * one statement per up to {@value #MAX_ROWS} rows instead of one per row, which is most of what applying costs it.
 * What the rows insert does not change (see {@link ValuesInsert}); the group stays one target transaction, so
 * atomicity does not change either. Row counts differ only in grouping: a {@link CoalescedInsert} reports the sum.
 *
 * <p>Run lengths are cut into {@value #MAX_ROWS}-row pieces and a remainder made of powers of two, so one statement
 * text becomes at most a handful of distinct prepared statements on the target. Used by the applier thread only.
 */
final class InsertCoalescer {

    static final int MAX_ROWS = 512;
    /** Parameters of one Bind; the protocol's count is 16 bits, and servers differ on signed or unsigned. */
    private static final int MAX_PARAMETERS = Short.MAX_VALUE;
    static final int MAX_SHAPES = 1024;
    private static final int[] NO_TYPES = new int[0];
    private static final short[] NO_FORMATS = new short[0];

    private final Map<String, Optional<ValuesInsert>> shapes = new HashMap<>();
    private final Map<String, String> repeatedSql = new HashMap<>();

    /** The statements of {@code run}, in order, as {@link Replayed} or {@link CoalescedInsert} units. */
    List<Object> units(List<Replayed> run) {
        List<Object> units = new ArrayList<>(run.size());
        int i = 0;
        while (i < run.size()) {
            Replayed first = run.get(i);
            ValuesInsert shape = shape(first.statement());
            int end = i + 1;
            if (shape != null) {
                CapturedStatement.Extended e = (CapturedStatement.Extended) first.statement();
                while (end < run.size() && sameShape(e, run.get(end).statement())) {
                    end++;
                }
                cut(units, run.subList(i, end), shape, e.parameters().length);
            } else {
                units.add(first);
            }
            i = end;
        }
        return units;
    }

    private void cut(List<Object> units, List<Replayed> rows, ValuesInsert shape, int perRow) {
        int max = Math.max(1, Math.min(MAX_ROWS, MAX_PARAMETERS / Math.max(1, perRow)));
        int at = 0;
        int left = rows.size();
        while (left > 0) {
            int size = left >= max ? max : Integer.highestOneBit(left);
            List<Replayed> piece = rows.subList(at, at + size);
            units.add(size == 1 ? piece.get(0) : coalesce(piece, shape, perRow));
            at += size;
            left -= size;
        }
    }

    private CoalescedInsert coalesce(List<Replayed> rows, ValuesInsert shape, int perRow) {
        CapturedStatement.Extended first = (CapturedStatement.Extended) rows.get(0).statement();
        int n = rows.size();
        String sql = repeated(shape, n, perRow, first.sql());
        int[] types = NO_TYPES;
        if (first.parameterTypes().length > 0) {
            types = new int[n * perRow];
            for (int r = 0; r < n; r++) {
                System.arraycopy(first.parameterTypes(), 0, types, r * perRow, first.parameterTypes().length);
            }
        }
        boolean allText = true;
        for (Replayed row : rows) {
            short[] f = ((CapturedStatement.Extended) row.statement()).parameterFormats();
            for (short format : f) {
                allText &= format == 0;
            }
        }
        short[] formats = NO_FORMATS;
        if (!allText) {
            formats = new short[n * perRow];
            for (int r = 0; r < n; r++) {
                short[] f = ((CapturedStatement.Extended) rows.get(r).statement()).parameterFormats();
                for (int p = 0; p < perRow; p++) {
                    formats[r * perRow + p] = f.length == 0 ? 0 : f.length == 1 ? f[0] : f[p];
                }
            }
        }
        byte[][] values = new byte[n * perRow][];
        for (int r = 0; r < n; r++) {
            System.arraycopy(((CapturedStatement.Extended) rows.get(r).statement()).parameters(), 0, values,
                    r * perRow, perRow);
        }
        return new CoalescedInsert(List.copyOf(rows), sql, types, formats, values);
    }

    /**
     * The statement as one {@code INSERT ... VALUES} row without anything after it (no trailing semicolon or
     * comment), when it has the {@link ValuesInsert} shape, else null: what {@link LateRows#wrap} can wrap.
     */
    String singleRow(CapturedStatement statement) {
        if (statement instanceof CapturedStatement.Extended e) {
            ValuesInsert shape = shape(e);
            return shape == null ? null : repeated(shape, 1, e.parameters().length, e.sql());
        }
        if (statement instanceof CapturedStatement.Simple s) {
            ValuesInsert shape = parsed(s.sql());
            return shape == null || shape.highestParameter() > 0 ? null : repeated(shape, 1, 0, s.sql());
        }
        return null;
    }

    private String repeated(ValuesInsert shape, int rows, int perRow, String sql) {
        if (repeatedSql.size() > MAX_SHAPES) {
            repeatedSql.clear();
        }
        return repeatedSql.computeIfAbsent(rows + ":" + perRow + ":" + sql, k -> shape.repeated(rows, perRow));
    }

    /** The statement's shape when it may be coalesced at all, else null. */
    private ValuesInsert shape(CapturedStatement statement) {
        if (!(statement instanceof CapturedStatement.Extended e)) {
            return null;
        }
        ValuesInsert shape = parsed(e.sql());
        int perRow = e.parameters().length;
        short[] f = e.parameterFormats();
        boolean consistent = shape != null && perRow >= shape.highestParameter()
                && e.parameterTypes().length <= perRow && (f.length <= 1 || f.length == perRow);
        return consistent ? shape : null;
    }

    /**
     * The shape of {@code sql}, from a cache emptied when full: simple-protocol INSERTs carry their values in the text,
     * so a new text per row is the rule for them, not the exception.
     */
    private ValuesInsert parsed(String sql) {
        if (shapes.size() > MAX_SHAPES) {
            shapes.clear();
        }
        return shapes.computeIfAbsent(sql, ValuesInsert::parse).orElse(null);
    }

    private static boolean sameShape(CapturedStatement.Extended first, CapturedStatement next) {
        return next instanceof CapturedStatement.Extended e && e.sql().equals(first.sql())
                && e.parameters().length == first.parameters().length
                && Arrays.equals(e.parameterTypes(), first.parameterTypes())
                && (e.parameterFormats().length <= 1 || e.parameterFormats().length == e.parameters().length);
    }

    /** Statement texts whose shape is held now: for tests. */
    int shapesHeld() {
        return shapes.size();
    }
}
