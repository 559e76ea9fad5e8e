package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.InsertRows.Item;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InsertRowsTest {

    private static final Item NULL = new Item.Null();
    private static final Item DEFAULT = new Item.Default();
    private static final Item OTHER = new Item.Other();

    private static InsertRows parse(String sql) {
        return InsertRows.parse(sql, true).orElseThrow(() -> new AssertionError("not read: " + sql));
    }

    /** Every item of every row. */
    private static List<List<Item>> items(InsertRows rows) {
        List<List<Item>> all = new ArrayList<>();
        for (int r = 0; r < rows.rowCount(); r++) {
            List<Item> row = new ArrayList<>();
            for (int p = 0; p < rows.width(r); p++) {
                row.add(rows.item(r, p));
            }
            all.add(row);
        }
        return all;
    }

    @Test
    void readsParametersConstantsNullAndDefaultRowByRow() {
        InsertRows rows = parse("INSERT INTO s.\"T\" AS t (id, \"Ts\", pad) VALUES ($1, $2, $3), ($4, $5::timestamptz,"
                + " DEFAULT), (7, '2026-01-05 10:00:00+01', NULL), (-8, timestamp with time zone '2026-01-06', 'x');");
        assertThat(rows.columns()).containsExactly("id", "Ts", "pad");
        assertThat(rows.updatesOnConflict()).isFalse();
        assertThat(items(rows)).containsExactly(
                List.of(new Item.Parameter(1, null), new Item.Parameter(2, null), new Item.Parameter(3, null)),
                List.of(new Item.Parameter(4, null), new Item.Parameter(5, "timestamptz"), DEFAULT),
                List.of(new Item.Constant("7", null), new Item.Constant("2026-01-05 10:00:00+01", null), NULL),
                List.of(new Item.Constant("-8", null), new Item.Constant("2026-01-06", "timestamp with time zone"),
                        new Item.Constant("x", null)));
    }

    @Test
    void readsCastsAndStringFormsAsTheServerWould() {
        InsertRows rows = parse("insert into t values (CAST($1 AS date), cast('2026-01-05' as timestamp(3)),"
                + " E'2026-01-05\\t', $$2026-01-07$$, 'a'\n 'b', '5'::int8, NULL::date, $2::timestamptz::date,"
                + " B'101', x'1f', +5, 1.5, now(), now() - interval '3 days', $3 + 1, ($4), 'x' COLLATE \"C\")"
                + " ON CONFLICT DO NOTHING RETURNING *");
        assertThat(rows.columns()).isNull();
        assertThat(items(rows)).containsExactly(List.of(new Item.Parameter(1, "date"),
                new Item.Constant("2026-01-05", "timestamp(3)"), new Item.Constant("2026-01-05\t", null),
                new Item.Constant("2026-01-07", null), new Item.Constant("ab", null), new Item.Constant("5", "int8"),
                NULL, OTHER, OTHER, OTHER, new Item.Constant("+5", null), new Item.Constant("1.5", null), OTHER, OTHER,
                OTHER, OTHER, OTHER));
    }

    @Test
    void tellsAnUpdateOnConflictFromDoingNothing() {
        assertThat(parse("INSERT INTO t VALUES ($1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v RETURNING k")
                .updatesOnConflict()).isTrue();
        assertThat(parse("INSERT INTO t VALUES ($1) ON CONFLICT ON CONSTRAINT c DO NOTHING").updatesOnConflict())
                .isFalse();
        assertThat(parse("INSERT INTO t OVERRIDING SYSTEM VALUE VALUES ($1)").rowCount()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO t SELECT $1",
        "INSERT INTO t DEFAULT VALUES",
        "WITH x AS (SELECT 1) INSERT INTO t VALUES (1)",
        "INSERT INTO t VALUES ((SELECT 1))",
        "INSERT INTO t (a[1]) VALUES (1)",
        "INSERT INTO t (a.b) VALUES (1)",
        "INSERT INTO t OVERRIDING USER VALUE VALUES (1)",
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",
        "INSERT INTO t VALUES (1) LIMIT 1",
        "INSERT INTO t VALUES ('unterminated)",
        "UPDATE t SET a = 1",
        "COPY t FROM STDIN"})
    void readsNoOtherShape(String sql) {
        assertThat(InsertRows.parse(sql, true)).isEmpty();
    }

    @Test
    void aBackslashInAStringIsReadOnlyWhenStandardConformingStringsIsKnown() {
        String sql = "INSERT INTO t VALUES ('a\\'b')";
        assertThat(InsertRows.parse(sql, null)).isEmpty();
        assertThat(InsertRows.parse(sql, false).orElseThrow().item(0, 0)).isEqualTo(new Item.Constant("a'b", null));
        assertThat(InsertRows.parse("INSERT INTO t VALUES ('a\\', 'b')", true).orElseThrow().width(0)).isEqualTo(2);
        assertThat(InsertRows.parse("INSERT INTO t VALUES ('plain')", null).orElseThrow().item(0, 0))
                .isEqualTo(new Item.Constant("plain", null));
    }
}
