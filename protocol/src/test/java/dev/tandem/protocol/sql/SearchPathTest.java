package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SearchPathTest {

    @Test
    void parsesTheSettingsTextAsPostgresDoes() {
        assertThat(SearchPath.parseSetting("\"$user\", public")).containsExactly("$user", "public");
        assertThat(SearchPath.parseSetting("App, \"My Schema\"")).containsExactly("app", "My Schema");
        assertThat(SearchPath.parseSetting("DEFAULT")).isEmpty();
        assertThat(SearchPath.parseSetting("'unterminated")).isNull();
    }
}
