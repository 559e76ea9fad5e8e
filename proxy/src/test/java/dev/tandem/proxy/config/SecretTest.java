package dev.tandem.proxy.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SecretTest {

    @Test
    void neverPrintsItsValue() {
        Secret secret = Secret.of("hunter2");

        assertThat(secret).hasToString("***");
        assertThat(String.valueOf(Optional.of(secret))).doesNotContain("hunter2");
        assertThat(new AdminConfig(new HostPort("127.0.0.1", 1), "T", Optional.of(secret), false, List.of()).toString())
                .doesNotContain("hunter2");
        assertThat(secret.reveal()).isEqualTo("hunter2");
    }

    @Test
    void comparesByValue() {
        Secret secret = Secret.of("token-1");

        assertThat(secret.matches("token-1")).isTrue();
        assertThat(secret.matches("token-2")).isFalse();
        assertThat(secret.matches("token-")).isFalse();
        assertThat(secret.matches(null)).isFalse();
        assertThat(secret).isEqualTo(Secret.of("token-1")).isNotEqualTo(Secret.of("token-2"));
    }
}
