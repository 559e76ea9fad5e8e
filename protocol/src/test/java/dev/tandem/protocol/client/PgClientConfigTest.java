package dev.tandem.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PgClientConfigTest {

    @Test
    void toStringNeverShowsThePassword() {
        PgClientConfig config = PgClientConfig.of("db", 5432, "app", "alice", "hunter2");
        assertThat(config.toString()).doesNotContain("hunter2").contains("alice@db:5432/app", "tls=prefer");
        assertThat(config.withUser("bob", "pw2").toString()).doesNotContain("pw2");
    }

    @Test
    void defaultsAndValidation() {
        PgClientConfig config = new PgClientConfig("db", 5432, "app", "alice", null, TlsMode.DISABLE, null,
                Duration.ofSeconds(1), null, null);
        assertThat(config.password()).isEmpty();
        assertThat(config.applicationName()).isEqualTo(PgClientConfig.DEFAULT_APPLICATION_NAME);
        assertThatThrownBy(() -> config.withConnectTimeout(Duration.ZERO)).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> PgClientConfig.of("db", 0, "app", "u", "")).hasMessageContaining("port");
    }

    @Test
    void tlsModesParseTheirConfigSpelling() {
        assertThat(TlsMode.parse("verify-full")).isEqualTo(TlsMode.VERIFY_FULL);
        assertThat(TlsMode.parse("verify-ca")).isEqualTo(TlsMode.VERIFY_CA);
        assertThat(TlsMode.parse(" Require ")).isEqualTo(TlsMode.REQUIRE);
        assertThat(TlsMode.DISABLE.configName()).isEqualTo("disable");
        assertThatThrownBy(() -> TlsMode.parse("allow")).hasMessageContaining("unknown TLS mode 'allow'");
    }
}
