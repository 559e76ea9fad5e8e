package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InsertCoalescerTest {

    private static final TableName T = new TableName("public", "t");
    private static final String INSERT = "INSERT INTO t (a, b) VALUES ($1, $2)";

    private static Replayed row(int member, String sql, int[] types, short[] formats, String... values) {
        byte[][] bytes = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = values[i] == null ? null : values[i].getBytes(StandardCharsets.UTF_8);
        }
        return new Replayed(member, new CapturedStatement.Extended(T, 1, sql, types, formats, bytes));
    }

    private static List<Replayed> rows(int n) {
        List<Replayed> run = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            run.add(row(i, INSERT, new int[0], new short[0], "" + i, "x"));
        }
        return run;
    }

    private static List<Integer> sizes(List<Object> units) {
        return units.stream().map(u -> u instanceof CoalescedInsert c ? c.rows().size() : 1).toList();
    }

    @Test
    void cutsARunIntoFullPiecesAndPowersOfTwo() {
        InsertCoalescer coalescer = new InsertCoalescer();
        assertThat(sizes(coalescer.units(rows(1)))).containsExactly(1);
        assertThat(coalescer.units(rows(1)).get(0)).isInstanceOf(Replayed.class);
        assertThat(sizes(coalescer.units(rows(1100)))).containsExactly(512, 512, 64, 8, 4);
        assertThat(sizes(coalescer.units(rows(7)))).containsExactly(4, 2, 1);
    }

    @Test
    void concatenatesParametersInRowOrder() {
        List<Object> units = new InsertCoalescer().units(List.of(
                row(0, INSERT, new int[] {23}, new short[0], "1", null),
                row(1, INSERT, new int[] {23}, new short[] {1}, "2", "b"),
                row(1, INSERT, new int[] {23}, new short[] {0, 1}, "3", "c"),
                row(2, INSERT, new int[] {23}, new short[] {0}, "4", "d")));
        CoalescedInsert c = (CoalescedInsert) units.get(0);
        assertThat(units).hasSize(1);
        assertThat(c.sql()).isEqualTo("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8)");
        assertThat(c.types()).containsExactly(23, 0, 23, 0, 23, 0, 23, 0);
        assertThat(c.formats()).containsExactly(0, 0, 1, 1, 0, 1, 0, 0);
        assertThat(c.values().length).isEqualTo(8);
        assertThat(c.values()[1]).isNull();
        assertThat(new String(c.values()[5], StandardCharsets.UTF_8)).isEqualTo("c");
        assertThat(c.rows()).extracting(Replayed::member).containsExactly(0, 1, 1, 2);
    }

    @Test
    void allTextRowsKeepFormatsAndUnspecifiedTypesEmpty() {
        CoalescedInsert c = (CoalescedInsert) new InsertCoalescer().units(rows(2)).get(0);
        assertThat(c.types()).isEmpty();
        assertThat(c.formats()).isEmpty();
    }

    @Test
    void aDifferentStatementTypeListOrKindBreaksTheRun() {
        List<Replayed> run = new ArrayList<>(rows(2));
        run.add(row(2, INSERT, new int[] {23}, new short[0], "2", "x"));
        run.add(row(3, "INSERT INTO t (b, a) VALUES ($1, $2)", new int[0], new short[0], "3", "x"));
        run.add(new Replayed(4, new CapturedStatement.Simple(T, 1, "INSERT INTO t VALUES (4, 'x')")));
        run.add(row(5, "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING a", new int[0], new short[0], "5", "x"));
        run.add(row(6, "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING a", new int[0], new short[0], "6", "x"));
        run.addAll(rows(2));
        List<Object> units = new InsertCoalescer().units(run);
        assertThat(sizes(units)).containsExactly(2, 1, 1, 1, 1, 1, 2);
        assertThat(units.get(5)).isSameAs(run.get(6));
    }

    @Test
    void keepsPiecesWithinTheProtocolsParameterLimit() {
        String[] values = new String[100];
        java.util.Arrays.fill(values, "1");
        StringBuilder sql = new StringBuilder("INSERT INTO t VALUES (");
        for (int i = 1; i <= 100; i++) {
            sql.append(i > 1 ? ", $" : "$").append(i);
        }
        List<Replayed> run = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            run.add(row(i, sql + ")", new int[0], new short[0], values));
        }
        // 32767 / 100 parameters = 327 rows at most per statement
        assertThat(sizes(new InsertCoalescer().units(run))).containsExactly(327, 64, 8, 1);
    }

    @Test
    void holdsABoundedNumberOfShapesUnderSimpleInsertsThatEachCarryTheirOwnValues() {
        // psql, pgbench -M simple and ORMs that inline values send a new statement text per row: with a dual-write
        // mark every one is asked for its single-row shape, and nothing on that path ever emptied the cache.
        InsertCoalescer coalescer = new InsertCoalescer();
        for (int i = 0; i < 5 * InsertCoalescer.MAX_SHAPES; i++) {
            String sql = "INSERT INTO t (a, b) VALUES (" + i + ", 'x')";
            assertThat(coalescer.singleRow(new CapturedStatement.Simple(T, 1, sql))).isEqualTo(sql);
        }
        assertThat(coalescer.shapesHeld()).isLessThanOrEqualTo(InsertCoalescer.MAX_SHAPES + 1);
    }
}
