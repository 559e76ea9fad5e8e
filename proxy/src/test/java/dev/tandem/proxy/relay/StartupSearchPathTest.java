package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StartupSearchPathTest {

    @Test
    void theParameterItselfWinsOverOptions() {
        assertThat(StartupSearchPath.of(Map.of("search_path", "app, public", "options", "-c search_path=other")))
                .isEqualTo("app, public");
    }

    @Test
    void optionsInEveryFormLibpqAccepts() {
        assertThat(StartupSearchPath.of(Map.of("options", "-c search_path=app"))).isEqualTo("app");
        assertThat(StartupSearchPath.of(Map.of("options", "-csearch_path=app"))).isEqualTo("app");
        assertThat(StartupSearchPath.of(Map.of("options", "--search-path=app"))).isEqualTo("app");
        assertThat(StartupSearchPath.of(Map.of("options", "-c statement_timeout=5s --search_path=a -c search_path=b")))
                .as("the last one wins").isEqualTo("b");
        assertThat(StartupSearchPath.of(Map.of("options", "-c search_path=\"My\\ Schema\",public")))
                .isEqualTo("\"My Schema\",public");
    }

    @Test
    void noneWhenNothingSetsIt() {
        assertThat(StartupSearchPath.of(Map.of("user", "u"))).isNull();
        assertThat(StartupSearchPath.of(Map.of("options", "-c work_mem=64MB"))).isNull();
    }
}
