package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class PreparedSqlTest {

    static Stream<Arguments> expansions() {
        return Stream.of(
                // declared types become casts, undeclared ones are left to the server as in the PREPARE
                arguments("PREPARE p (int, text) AS INSERT INTO t VALUES ($1, $2)", "EXECUTE p (1, 'a')",
                        "INSERT INTO t VALUES (((1)::int), (('a')::text))"),
                arguments("PREPARE p AS INSERT INTO t VALUES ($1, $2)", "EXECUTE p(1, 'a')",
                        "INSERT INTO t VALUES (((1)), (('a')))"),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1, $2)", "EXECUTE p (1, 2)",
                        "INSERT INTO t VALUES (((1)::int), ((2)))"),
                arguments("PREPARE p AS INSERT INTO t VALUES (1)", "EXECUTE p", "INSERT INTO t VALUES (1)"),
                // types as the server keeps them: without modifiers; several words, arrays, quoted, qualified
                arguments("PREPARE p (numeric(10, 2), timestamp with time zone, int[], \"My\".\"T\") AS"
                                + " INSERT INTO t VALUES ($1, $2, $3, $4)", "EXECUTE p (1.5, now(), '{1}', '(1)')",
                        "INSERT INTO t VALUES (((1.5)::numeric), ((now())::timestamp with time zone),"
                                + " (('{1}')::int[]), (('(1)')::\"My\".\"T\"))"),
                // arguments: nested parentheses and commas in strings, arrays, quoted identifiers and comments
                arguments("PREPARE p (text, int) AS INSERT INTO t VALUES ($1, $2)",
                        "EXECUTE p (concat('a,b', lower('C)')), greatest(1, (2), ARRAY[3, 4][1]))",
                        "INSERT INTO t VALUES (((concat('a,b', lower('C)')))::text),"
                                + " ((greatest(1, (2), ARRAY[3, 4][1]))::int))"),
                arguments("PREPARE p (text) AS INSERT INTO t VALUES ($1)", "EXECUTE p (/* , */ 'x' -- ,\n || 'y')",
                        "INSERT INTO t VALUES ((('x' -- ,\n || 'y')::text))"),
                // $n only where it is a parameter: not in strings, dollar quotes, quoted identifiers or comments
                arguments("PREPARE p (int) AS INSERT INTO t (\"$1\", b, c) /* $1 */ VALUES ($1, '$1', $$ $1 $$) -- $1",
                        "EXECUTE p (7)",
                        "INSERT INTO t (\"$1\", b, c) /* $1 */ VALUES (((7)::int), '$1', $$ $1 $$)"),
                // a parameter used twice, out of order, with a cast, a subscript or a field after it
                arguments("PREPARE p (int, int[]) AS INSERT INTO t VALUES ($2[1], $1, $1::bigint, -$1)",
                        "EXECUTE p (1, '{5}')",
                        "INSERT INTO t VALUES ((('{5}')::int[])[1], ((1)::int), ((1)::int)::bigint, -((1)::int))"),
                // the PREPARE text may come after other statements in the same string
                arguments("SELECT 1; PREPARE p (int) AS INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING",
                        "BEGIN; EXECUTE p(3); COMMIT",
                        "INSERT INTO t VALUES (((3)::int)) ON CONFLICT DO NOTHING"),
                // PREPARE ... AS UPDATE: expanded too; what is mirrored is the capture's decision
                arguments("PREPARE p (int) AS UPDATE t SET a = $1", "EXECUTE p (1)",
                        "UPDATE t SET a = ((1)::int)"),
                // the server refuses these: nothing to expand
                arguments("PREPARE p (int, int) AS INSERT INTO t VALUES ($1, $2)", "EXECUTE p (1)", null),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p (1, 2)", null),
                arguments("PREPARE p AS INSERT INTO t VALUES ($1, $3)", "EXECUTE p (1, 2)", null),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p", null),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p ()", null),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p (1,)", null),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p (1", null),
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p (1) 2", null),
                // an argument that is a parameter of the EXECUTE itself: its value is in a Bind message
                arguments("PREPARE p (int) AS INSERT INTO t VALUES ($1)", "EXECUTE p ($1)", null));
    }

    @ParameterizedTest
    @MethodSource("expansions")
    void expandsAnExecuteIntoTheStatementItRuns(String prepareSql, String executeSql, String expected) {
        PreparedSql prepared = PreparedSql.of(prepareSql, only(prepareSql, ClassifiedStatement.Kind.PREPARE));
        assertThat(prepared).isNotNull();
        assertThat(prepared.expand(executeSql, only(executeSql, ClassifiedStatement.Kind.EXECUTE)))
                .isEqualTo(expected);
    }

    /**
     * A PREPARE's parameter has its declared type without the modifier, so the server never cuts or rounds an argument
     * to it; the cast the expansion writes must not either ({@code 'abcdef'::varchar(3)} is {@code 'abc'}).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "numeric(10, 2)|numeric", "varchar(3)|varchar", "character varying(3)|character varying",
            "national character varying(3)|national character varying", "timestamp(0) with time zone|timestamp with"
                    + " time zone", "timestamptz(3)|timestamptz", "time (3)|time", "decimal(5)|decimal",
            "interval|interval", "interval(3)|interval", "interval hour|interval", "INTERVAL DAY TO SECOND(3)|interval",
            // the bare names mean length 1
            "char(3)|pg_catalog.bpchar", "CHARACTER|pg_catalog.bpchar", "nchar(2)|pg_catalog.bpchar",
            "national character(2)|pg_catalog.bpchar", "bit(3)|pg_catalog.\"bit\"", "bit|pg_catalog.\"bit\"",
            "bit varying(3)|bit varying", "\"char\"|\"char\"",
            // float(p) is real or double precision, not a modifier
            "float(24)|float(24)", "float|float", "double precision|double precision",
            // arrays, qualified and quoted names, types of extensions
            "varchar(2)[]|varchar[]", "char(2)[][]|pg_catalog.bpchar[][]", "int ARRAY[3]|int ARRAY[3]",
            "numeric(5) array|numeric array", "public.geometry(Point, 4326)|public.geometry",
            "\"Odd Schema\".\"Mood Ü\"[]|\"Odd Schema\".\"Mood Ü\"[]", "ts . mood|ts.mood"})
    void aDeclaredTypeIsCastToWithoutItsModifier(String declared, String cast) {
        assertThat(PreparedSql.withoutModifier(declared)).isEqualTo(cast);
    }

    @Test
    void theExpansionIsClassifiedLikeTheEquivalentInsert() {
        String prepare = "PREPARE p (timestamptz, float8) AS INSERT INTO metrics (ts, v) VALUES ($1, $2)";
        String execute = "EXECUTE p (now(), random())";
        String expanded = PreparedSql.of(prepare, StatementClassifier.classify(prepare).get(0))
                .expand(execute, StatementClassifier.classify(execute).get(0));
        assertThat(Describe.all(StatementClassifier.classify(expanded)))
                .isEqualTo("INSERT table=metrics cols=ts,v nondet=now,random");
    }

    @Test
    void keepsTheInnerStatementAndTheDeclaredTypes() {
        String sql = "PREPARE p (int, varchar(3)) AS INSERT INTO t VALUES ($1, $2)";
        PreparedSql prepared = PreparedSql.of(sql, StatementClassifier.classify(sql).get(0));
        assertThat(prepared.types()).containsExactly("int", "varchar(3)");
        assertThat(prepared.body()).isEqualTo("INSERT INTO t VALUES ($1, $2)");
        assertThat(Describe.one(prepared.statement())).isEqualTo("INSERT table=t");
    }

    /** A Bind through the protocol gives the values: each parameter keeps the type the PREPARE declared for it. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PREPARE p (int, varchar(3)) AS INSERT INTO t VALUES ($1, $2)|INSERT INTO t VALUES ((($1)::int), (($2)::varchar))",
            "PREPARE p (int) AS INSERT INTO t VALUES ($1, $2, $1)|INSERT INTO t VALUES ((($1)::int), (($2)), (($1)::int))",
            "PREPARE p AS INSERT INTO t VALUES ($1, '$2')|INSERT INTO t VALUES ((($1)), '$2')",
            "PREPARE p AS INSERT INTO t VALUES (1)|INSERT INTO t VALUES (1)"})
    void theTypedBodyTakesTheValuesAsParametersOfTheDeclaredTypes(String prepareSql, String expected) {
        PreparedSql prepared = PreparedSql.of(prepareSql, only(prepareSql, ClassifiedStatement.Kind.PREPARE));
        assertThat(prepared.typedBody()).isEqualTo(expected);
    }

    @Test
    void isNullForWhatIsNotAWellFormedPrepare() {
        for (String sql : new String[] {"PREPARE p", "PREPARE p () AS INSERT INTO t VALUES (1)",
                "PREPARE TRANSACTION 'x'", "EXECUTE p"}) {
            assertThat(PreparedSql.of(sql, StatementClassifier.classify(sql).get(0))).as(sql).isNull();
        }
    }

    private static ClassifiedStatement only(String sql, ClassifiedStatement.Kind kind) {
        return StatementClassifier.classify(sql).stream().filter(s -> s.kind() == kind).findFirst().orElseThrow();
    }
}
