package dev.tandem.proxy.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationsTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(textBlock = """
            0,       PT0S
            0.0,     PT0S
            0s,      PT0S
            500ms,   PT0.5S
            30s,     PT30S
            5m,      PT5M
            1h,      PT1H
            1d,      PT24H
            1h30m,   PT1H30M
            1m30s,   PT1M30S
            1.5s,    PT1.5S
            0.25ms,  PT0.00025S
            ' 10s ', PT10S
            """)
    void parses(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ``          | is empty; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            30          | has no unit; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            -5s         | is negative; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            5 s         | is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            5sec        | is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            1y          | is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            PT5S        | is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            s           | is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            107000d     | is too large (at most about 292 years)
            99999999999999999999h | is too large (at most about 292 years)
            """)
    void refuses(String text, String message) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest(name = "{0} as {1}")
    @CsvSource(textBlock = """
            PT0S,     0
            PT0.5S,   500ms
            PT30S,    30s
            PT1M30S,  90s
            PT1H,     1h
            PT48H,    2d
            """)
    void formatsExactly(Duration duration, String text) {
        assertThat(Durations.format(duration)).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(duration);
    }
}
