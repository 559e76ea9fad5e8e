package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImplicitColumnsTest {

    /** The text up to where the column list goes, and the first row's expressions. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "INSERT INTO t VALUES (1, 2, 3)|INSERT INTO t|3",
        "insert into s.\"T\" values ($1, f($2, $3), ARRAY[$4, 5], (6, 7)), (8, 9, 10, 11)|insert into s.\"T\"|4",
        "/* c */ INSERT INTO db.s.t AS x VALUES ('a,b', $1) ON CONFLICT DO NOTHING|/* c */ INSERT INTO db.s.t AS x|2",
        "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1, 2)|INSERT INTO t|2",
        "INSERT INTO t /* (a) */ VALUES (now())|INSERT INTO t|1"})
    void findsWhereTheListGoesAndHowManyValuesTheRowsHave(String sql, String before, int values) {
        ImplicitColumns found = ImplicitColumns.find(sql, true);
        assertThat(found.kind()).isEqualTo(ImplicitColumns.Kind.VALUES);
        assertThat(sql.substring(0, found.listAt())).isEqualTo(before);
        assertThat(found.values()).isEqualTo(values);
    }

    @Test
    void copyAndDefaultValues() {
        ImplicitColumns copy = ImplicitColumns.find("COPY s.t FROM STDIN (FORMAT binary)", null);
        assertThat(copy.kind()).isEqualTo(ImplicitColumns.Kind.COPY);
        assertThat(copy.listAt()).isEqualTo("COPY s.t".length());
        assertThat(ImplicitColumns.find("INSERT INTO t DEFAULT VALUES", true).kind())
                .isEqualTo(ImplicitColumns.Kind.DEFAULT_VALUES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INSERT INTO t (a, b) VALUES (1, 2)", "insert into t as x (\"B\") values (1)",
        "COPY t (a) FROM STDIN", "INSERT INTO t(a) SELECT 1"})
    void aStatementNamingItsColumnsHasNone(String sql) {
        assertThat(ImplicitColumns.find(sql, true)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"INSERT INTO t SELECT 1, 2", "INSERT INTO t (SELECT 1, 2)", "INSERT INTO t TABLE u",
        "WITH v AS (SELECT 1) INSERT INTO t SELECT * FROM v", "INSERT INTO t VALUES (1, 2", "COPY t TO STDOUT",
        "INSERT INTO t VALUES ('a\\', 1)"})
    void whatCannotBeReadIsSaidSo(String sql) {
        assertThat(ImplicitColumns.find(sql, null).kind()).isEqualTo(ImplicitColumns.Kind.UNREADABLE);
    }

    @Test
    void aBackslashReadsAsTheSessionsSettingSays() {
        assertThat(ImplicitColumns.find("INSERT INTO t VALUES ('a\\', 1)", true).values()).isEqualTo(2);
        assertThat(ImplicitColumns.find("INSERT INTO t VALUES ('a\\', 1')", false).values()).isEqualTo(1);
    }
}
