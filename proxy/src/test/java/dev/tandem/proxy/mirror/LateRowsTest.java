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
}
