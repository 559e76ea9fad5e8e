package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StartupSettingTest {

    @Test
    void theParameterItselfWinsOverOptions() {
        assertThat(StartupSetting.of(Map.of("search_path", "app, public", "options", "-c search_path=other"),
                "search_path")).isEqualTo("app, public");
    }

    @Test
    void optionsInEveryFormLibpqAccepts() {
        assertThat(StartupSetting.of(Map.of("options", "-c search_path=app"), "search_path")).isEqualTo("app");
        assertThat(StartupSetting.of(Map.of("options", "-csearch_path=app"), "search_path")).isEqualTo("app");
        assertThat(StartupSetting.of(Map.of("options", "--search-path=app"), "search_path")).isEqualTo("app");
        assertThat(StartupSetting.of(Map.of("options", "-c statement_timeout=5s --search_path=a -c search_path=b"),
                "search_path")).as("the last one wins").isEqualTo("b");
        assertThat(StartupSetting.of(Map.of("options", "-c search_path=\"My\\ Schema\",public"), "search_path"))
                .isEqualTo("\"My Schema\",public");
    }

    @Test
    void anySettingByItsNameInAnyCase() {
        Map<String, String> loader = Map.of("options", "-c search_path=app --session-replication-role=replica");
        assertThat(StartupSetting.of(loader, "session_replication_role")).isEqualTo("replica");
        assertThat(StartupSetting.of(loader, "search_path")).isEqualTo("app");
        assertThat(StartupSetting.of(Map.of("Session_Replication_Role", "local", "options",
                "-c session_replication_role=replica"), "session_replication_role")).isEqualTo("local");
        assertThat(StartupSetting.of(Map.of("options", "-c SESSION_REPLICATION_ROLE=replica"),
                "session_replication_role")).isEqualTo("replica");
    }

    @Test
    void noneWhenNothingSetsIt() {
        assertThat(StartupSetting.of(Map.of("user", "u"), "search_path")).isNull();
        assertThat(StartupSetting.of(Map.of("options", "-c work_mem=64MB"), "search_path")).isNull();
        assertThat(StartupSetting.of(Map.of("OPTIONS", "-c search_path=app"), "search_path"))
                .as("the server takes OPTIONS for a setting of that name, not for options").isNull();
    }
}
