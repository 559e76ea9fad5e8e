package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NonDeterminismTest {

    /** What the divergence ledger's time range relies on: only names that make no time let it replay for a range. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "INSERT INTO t VALUES (gen_random_uuid(), 1)                      | true",
        "INSERT INTO t VALUES (uuidv7(), current_user, session_user)      | true",
        "INSERT INTO t VALUES (inet_client_addr(), current_schema)        | true",
        "INSERT INTO t VALUES (gen_random_uuid(), now())                  | false",
        "INSERT INTO t VALUES (nextval('s'))                              | false",
        "INSERT INTO t VALUES ('now'::timestamptz)                        | false",
        "INSERT INTO t VALUES (current_timestamp)                         | false",
        "INSERT INTO t VALUES (random())                                  | false",
    })
    void makeNoTimeOnlyForIdentitiesAndRandomBytes(String sql, boolean noTime) {
        List<ClassifiedStatement> statements = StatementClassifier.classify(sql);
        assertThat(statements).hasSize(1);
        assertThat(statements.get(0).nonDeterministic()).isNotEmpty();
        assertThat(NonDeterminism.makeNoTime(statements.get(0).nonDeterministic())).isEqualTo(noTime);
    }
}
