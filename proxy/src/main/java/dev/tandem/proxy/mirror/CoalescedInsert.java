package dev.tandem.proxy.mirror;

import java.util.List;

/**
 * Consecutive one-row INSERTs of one statement text replayed as a single multi-row INSERT: {@code sql} has one
 * {@code VALUES} row per entry of {@code rows}, and {@code types}, {@code formats} and {@code values} are the rows'
 * parameter types, formats and values concatenated (empty {@code types}/{@code formats} when every row left them
 * unspecified/text).
 */
record CoalescedInsert(List<Replayed> rows, String sql, int[] types, short[] formats, byte[][] values) {

    @Override
    public String toString() {
        // parameter values are application data: never in logs
        return "CoalescedInsert[rows=" + rows.size() + "]";
    }
}
