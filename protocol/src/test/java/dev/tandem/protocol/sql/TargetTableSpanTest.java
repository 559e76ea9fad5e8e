package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TargetTableSpanTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "INSERT INTO t VALUES (1)|INSERT INTO x VALUES (1)",
        "/* c */ insert into \"My S\".\"T\" (a) values ($1)|/* c */ insert into x (a) values ($1)",
        "INSERT INTO db.s.t AS t (a) VALUES (1) ON CONFLICT DO NOTHING|INSERT INTO x AS t (a) VALUES (1) ON CONFLICT DO NOTHING",
        "COPY s.t (a, b) FROM STDIN (FORMAT csv)|COPY x (a, b) FROM STDIN (FORMAT csv)",
        "copy t from stdin|copy x from stdin"})
    void replacesExactlyTheTableName(String sql, String replaced) {
        assertThat(TargetTableSpan.find(sql).replaceIn(sql, "x")).isEqualTo(replaced);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "INSERT INTO s.t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = t.v + 1"
            + "|INSERT INTO x AS t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = t.v + 1",
        "insert into \"My T\" (a) values (1) returning \"My T\".a|insert into x AS \"My T\" (a) values (1) returning \"My T\".a",
        "INSERT INTO t AS u VALUES (1) ON CONFLICT (k) DO UPDATE SET v = u.v|INSERT INTO x AS u VALUES (1) ON CONFLICT (k) DO UPDATE SET v = u.v",
        "COPY s.t FROM STDIN|COPY x FROM STDIN"})
    void replacesTheTableUnderTheNameTheStatementRefersToItBy(String sql, String replaced) {
        assertThat(TargetTableSpan.find(sql).replaceKeepingReferences(sql, "x", new TableName("s", "t")))
                .isEqualTo(replaced);
    }

    /** PostgreSQL reads {@code s.t.v} as column v of table t in schema s: under the alias t it names no table. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "s|t|INSERT INTO s.t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = s.t.v + 1 RETURNING s.t.k, s.t.*"
            + "|INSERT INTO x AS t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = t.v + 1 RETURNING t.k, t.*",
        // the table's name unqualified in the INSERT, its schema resolved by the search path
        "s|t|INSERT INTO t VALUES (1) RETURNING S . /* c */ T.k|INSERT INTO x AS t VALUES (1) RETURNING t.k",
        // a database in front, a composite column's field, quoted names as written
        "S|My T|INSERT INTO \"S\".\"My T\" VALUES (1) RETURNING db.\"S\".\"My T\".k, \"S\".\"My T\".c.f"
            + "|INSERT INTO x AS \"My T\" VALUES (1) RETURNING \"My T\".k, \"My T\".c.f",
        // another schema's table, a function, a table name alone, a string and a comment are left as they are
        "s|t|INSERT INTO s.t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = (SELECT max(o.t.v) FROM o.t) + s.t.f(1)"
            + " + 's.t.v' /* s.t.v */ RETURNING k"
            + "|INSERT INTO x AS t VALUES (1) ON CONFLICT (k) DO UPDATE SET v = (SELECT max(o.t.v) FROM o.t) + s.t.f(1)"
            + " + 's.t.v' /* s.t.v */ RETURNING k",
        // under an alias the statement cannot name its table: nothing to rewrite
        "s|t|INSERT INTO s.t AS u VALUES (1) RETURNING u.k|INSERT INTO x AS u VALUES (1) RETURNING u.k",
        "s|t|COPY s.t FROM STDIN|COPY x FROM STDIN"})
    void leavesOutTheSchemaOfReferencesToTheReplacedTable(String schema, String name, String sql, String replaced) {
        assertThat(TargetTableSpan.find(sql).replaceKeepingReferences(sql, "x", new TableName(schema, name)))
                .isEqualTo(replaced);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT 1", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT t VALUES (1)",
        "COPY (SELECT 1) TO STDOUT", "INSERT INTO \"unterminated VALUES (1)", ""})
    void findsNothingElsewhere(String sql) {
        assertThat(TargetTableSpan.find(sql)).isNull();
    }
}
