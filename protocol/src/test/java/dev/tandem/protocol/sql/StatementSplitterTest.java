package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatementSplitterTest {

    static Stream<Arguments> strings() {
        return Stream.of(
                arguments("SELECT 1", "SELECT 1"),
                arguments("SELECT 1;", "SELECT 1"),
                arguments(" SELECT 1 ; SELECT 2 ;", "SELECT 1|SELECT 2"),
                arguments(";;;", ""),
                arguments("SELECT ';'; SELECT E'\\';'", "SELECT ';'|SELECT E'\\';'"),
                arguments("SELECT \";\"; SELECT $$;$$; SELECT $a$ $$;$$ $a$", "SELECT \";\"|SELECT $$;$$|SELECT $a$ $$;$$ $a$"),
                arguments("SELECT 1 /* ; /* ; */ ; */; SELECT 2 -- ;", "SELECT 1|SELECT 2"),
                arguments("CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2); SELECT 3",
                        "CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2)|SELECT 3"),
                arguments("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
                        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END|SELECT 3"),
                arguments("create or replace function f() returns int begin atomic select case when true then 1 end; end; x",
                        "create or replace function f() returns int begin atomic select case when true then 1 end; end|x"),
                arguments("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END; BEGIN; END",
                        "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END|BEGIN|END"),
                arguments("CREATE TABLE begin_t (a int); BEGIN; SELECT 1; END",
                        "CREATE TABLE begin_t (a int)|BEGIN|SELECT 1|END"),
                arguments("BEGIN; SELECT CASE WHEN true THEN 1 END; END", "BEGIN|SELECT CASE WHEN true THEN 1 END|END"),
                arguments("CREATE FUNCTION f(a int DEFAULT (SELECT 1; 2)) BEGIN ATOMIC END; x",
                        "CREATE FUNCTION f(a int DEFAULT (SELECT 1; 2)) BEGIN ATOMIC END|x"),
                arguments("SELECT (1; SELECT 2", "SELECT (1; SELECT 2"),
                arguments("SELECT 1); SELECT 2", "SELECT 1)|SELECT 2"),
                arguments("SELECT 'open; SELECT 2", "SELECT 'open; SELECT 2"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("strings")
    void splitsAtTopLevelSemicolons(String sql, String expected) {
        String actual = StatementSplitter.split(sql).stream().map(s -> s.text(sql)).collect(Collectors.joining("|"));
        assertThat(actual).as(sql).isEqualTo(expected);
    }
}
