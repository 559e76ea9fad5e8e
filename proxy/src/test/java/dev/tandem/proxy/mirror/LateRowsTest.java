package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LateRowsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            INSERT INTO r VALUES (1), (2);                        | INSERT INTO r VALUES (1), (2)
            INSERT INTO r VALUES ($1, $2) -- a comment            | INSERT INTO r VALUES ($1, $2)
            insert into r default values                          | insert into r default values
            INSERT INTO r VALUES (1) ON CONFLICT (id) DO NOTHING  | INSERT INTO r VALUES (1) ON CONFLICT (id) DO NOTHING
            INSERT INTO r VALUES (1) RETURNING id                 | null
            WITH v AS (SELECT 1) INSERT INTO r SELECT * FROM v    | null
            INSERT INTO r VALUES (1); INSERT INTO r VALUES (2)    | null
            INSERT INTO r VALUES ('unterminated                   | null
            UPDATE r SET id = 1                                   | null
            """)
    void appendsReturningOnlyWhereTheServerTakesIt(String sql, String countable) {
        assertThat(LateRows.countable(sql)).isEqualTo(countable);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            0A000 | insert with ON CONFLICT or RETURNING clause is not supported on compressed chunks | timescale
            0A000 | DO ALSO rules are not supported for data-modifying statements in WITH              | rules
            0A000 | conditional DO INSTEAD rules are not supported for data-modifying statements in WITH | rules
            0A000 | cannot perform INSERT RETURNING on relation "r"                                   | rules
            0A000 | some other refusal                                                                | other
            42501 | permission denied for table r                                                     | other
            """)
    void aRefusedWrappingIsExplainedByWhatRefusedIt(String sqlState, String message, String refusedBy) {
        String explained = switch (refusedBy) {
            case "timescale" -> "the target runs TimescaleDB before 2.11, which refuses RETURNING in an INSERT into"
                    + " a compressed chunk";
            case "rules" -> "PostgreSQL refuses an INSERT into a table with INSERT rules";
            default -> "the target refuses its INSERTs wrapped in WITH ... RETURNING";
        };
        assertThat(LateRows.refusal(sqlState, message)).startsWith(explained);
    }
}
