package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransientErrorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"08006", "08001", "08P01", "40001", "40P01", "57P01", "57P02", "57P03", "53100", "53300",
            "55P03", "25006", "57014"})
    void retriesConnectionResourceAndConcurrencyErrors(String sqlState) {
        assertThat(TransientErrors.isTransient(sqlState)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"23505", "23502", "42703", "42P01", "22P02", "0A000", "42501", "53400"})
    void ledgersErrorsThatWouldRepeat(String sqlState) {
        assertThat(TransientErrors.isTransient(sqlState)).isFalse();
    }
}
