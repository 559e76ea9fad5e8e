package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdminTokenTest {

    @Test
    void matchesOnlyTheSameSecret() {
        AdminToken token = AdminToken.of("abc123");
        assertThat(token.matches("abc123")).isTrue();
        assertThat(token.matches("abc124")).isFalse();
        assertThat(token.matches("abc1234")).isFalse();
        assertThat(token.matches("")).isFalse();
        assertThat(token.matches(null)).isFalse();
    }

    @Test
    void neverPrintsTheSecret() {
        assertThat(AdminToken.of("abc123").toString()).doesNotContain("abc123");
    }

    @Test
    void refusesBlankSecrets() {
        assertThatThrownBy(() -> AdminToken.of(" ")).hasMessageContaining("must not be blank");
    }
}
