package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Default expressions as {@code pg_get_expr} prints them, judged by the SQL classifier. */
class VolatileDefaultsTest {

    @ParameterizedTest
    @ValueSource(strings = {"now()", "nextval('tbl_id_seq'::regclass)", "gen_random_uuid()", "CURRENT_TIMESTAMP",
        "clock_timestamp()", "(random() * (10)::double precision)", "CURRENT_USER",
        "'now'::text::timestamp with time zone"})
    void computedOnEachInsert(String expression) {
        assertThat(VolatileDefaults.nonDeterministic(expression)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "'x'::text", "('x'::text || 'y'::text)", "'2026-01-01'::date", "ARRAY[1, 2]",
        "'{}'::jsonb"})
    void theSameEveryTime(String expression) {
        assertThat(VolatileDefaults.nonDeterministic(expression)).isFalse();
    }
}
