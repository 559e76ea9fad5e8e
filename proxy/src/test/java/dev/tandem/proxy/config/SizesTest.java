package dev.tandem.proxy.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource(delimiter = '|', textBlock = """
            0                   | 0
            1000                | 1000
            1000B               | 1000
            64KiB               | 65536
            512MiB              | 536870912
            10GiB               | 10737418240
            1TiB                | 1099511627776
            1.5GiB              | 1610612736
            10 GiB              | 10737418240
            10gib               | 10737418240
            8388607TiB          | 9223370937343148032
            9223372036854775807 | 9223372036854775807
            """)
    void parses(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ``                  | is empty; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            -1                  | is negative; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            -5MiB               | is negative; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            10GB                | uses unit 'GB'; sizes use binary units, write 10GiB
            64k                 | uses unit 'k'; sizes use binary units, write 64KiB
            10 parsecs          | has unknown unit 'parsecs'; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            GiB                 | is not a size; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            1.2.3MiB            | is not a size; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            0x10                | is not a size; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            0.1KiB              | is not a whole number of bytes
            1.5                 | is not a whole number of bytes
            8388608TiB          | is too large (at most 9223372036854775807 bytes)
            9223372036854775808 | is too large (at most 9223372036854775807 bytes)
            """)
    void refuses(String text, String message) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @ParameterizedTest(name = "{0} bytes as {1}")
    @CsvSource(textBlock = """
            0,           0
            1000,        1000
            1024,        1KiB
            1536,        1536
            1572864,     1536KiB
            10737418240, 10GiB
            1099511627776, 1TiB
            """)
    void formatsExactly(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }
}
