package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesInsertTest {

    static Stream<Arguments> repeatable() {
        return Stream.of(
                arguments("INSERT INTO t VALUES ($1, $2)", 2,
                        "INSERT INTO t VALUES ($1, $2), ($3, $4), ($5, $6)"),
                arguments("insert into s.t (a, \"B\") values ($1, $2 * 1.5);", 2,
                        "insert into s.t (a, \"B\") values ($1, $2 * 1.5), ($3, $4 * 1.5), ($5, $6 * 1.5)"),
                arguments("INSERT INTO db.s.t AS x VALUES ($2::int, $1, DEFAULT, now())", 2,
                        "INSERT INTO db.s.t AS x VALUES ($2::int, $1, DEFAULT, now()), ($4::int, $3, DEFAULT, now()),"
                                + " ($6::int, $5, DEFAULT, now())"),
                arguments("INSERT INTO t VALUES ($1, '$1', $$ $2 $$, \"$3\", f($1))", 1,
                        "INSERT INTO t VALUES ($1, '$1', $$ $2 $$, \"$3\", f($1)), ($2, '$1', $$ $2 $$, \"$3\", f($2)),"
                                + " ($3, '$1', $$ $2 $$, \"$3\", f($3))"),
                arguments("/* lead */ INSERT INTO t VALUES (1, 'a') -- tail", 0,
                        "/* lead */ INSERT INTO t VALUES (1, 'a'), (1, 'a'), (1, 'a')"),
                arguments("INSERT INTO t VALUES ((SELECT max(a) FROM u WHERE b = $1), $2);;", 2,
                        "INSERT INTO t VALUES ((SELECT max(a) FROM u WHERE b = $1), $2), ((SELECT max(a) FROM u WHERE"
                                + " b = $3), $4), ((SELECT max(a) FROM u WHERE b = $5), $6)"));
    }

    @ParameterizedTest
    @MethodSource("repeatable")
    void repeatsTheRowWithParametersRenumbered(String sql, int perRow, String threeRows) {
        ValuesInsert insert = ValuesInsert.parse(sql).orElseThrow();
        assertThat(insert.repeated(3, perRow)).isEqualTo(threeRows);
        assertThat(insert.repeated(1, perRow)).isEqualTo(insert.prefix() + " " + insert.row());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO t VALUES ($1), ($2)",
        "INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING",
        "INSERT INTO t VALUES ($1) RETURNING id",
        "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES ($1)",
        "INSERT INTO t DEFAULT VALUES",
        "INSERT INTO t SELECT $1",
        "INSERT INTO t (a) SELECT * FROM (VALUES ($1)) v",
        "WITH x AS (SELECT 1) INSERT INTO t VALUES ($1)",
        "INSERT INTO t VALUES ($1); INSERT INTO t VALUES ($2)",
        "INSERT INTO t (a[1]) VALUES ($1)",
        "INSERT INTO t (a.b) VALUES ($1)",
        "INSERT INTO t VALUES ($1",
        "INSERT INTO t VALUES (E'\\'', $1)",
        "INSERT INTO t VALUES ('a\\', $1)",
        "INSERT INTO t VALUES ('unterminated",
        "INSERT INTO t VALUES ($1) /* open",
        "INSERT INTO . VALUES ($1)",
        "INSERT t VALUES ($1)",
        "UPDATE t SET a = $1",
        "COPY t FROM STDIN",
        ""})
    void refusesWhatCannotBeRepeatedFaithfully(String sql) {
        assertThat(ValuesInsert.parse(sql)).isEmpty();
    }

    @Test
    void highestParameterCountsRepeatedUses() {
        assertThat(ValuesInsert.parse("INSERT INTO t VALUES ($3, $1, $3)").orElseThrow().highestParameter())
                .isEqualTo(3);
        assertThat(ValuesInsert.parse("INSERT INTO t VALUES (1)").orElseThrow().highestParameter()).isZero();
    }

    @Test
    void rowsMustBePositive() {
        ValuesInsert insert = ValuesInsert.parse("INSERT INTO t VALUES ($1)").orElseThrow();
        assertThatThrownBy(() -> insert.repeated(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
