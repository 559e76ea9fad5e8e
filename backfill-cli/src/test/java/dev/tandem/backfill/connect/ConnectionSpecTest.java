package dev.tandem.backfill.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSpecTest {

    @Test
    void libpqUrlBecomesJdbcUrlWithUserAndPassword() {
        ConnectionSpec spec = ConnectionSpec.parse("postgres://tandem:p%40ss@db.example:6543/metrics?sslmode=require", null, null, Map.of());
        assertThat(spec.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/metrics?sslmode=require");
        assertThat(spec.properties()).containsEntry("user", "tandem").containsEntry("password", "p@ss");
        assertThat(spec.toString()).isEqualTo("postgres://tandem@db.example:6543/metrics").doesNotContain("p@ss");
    }

    @Test
    void passwordComesFromTheNamedVariableFirstThenPgpassword() {
        Map<String, String> env = Map.of("PGPASSWORD", "from-pgpassword", "SRC_PW", "from-named");
        assertThat(ConnectionSpec.parse("postgres://u@h/db", "SRC_PW", null, env).properties())
                .containsEntry("password", "from-named");
        assertThat(ConnectionSpec.parse("postgres://u:in-url@h/db", null, null, env).properties())
                .containsEntry("password", "from-pgpassword");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h/db", "MISSING", null, env))
                .hasMessageContaining("MISSING").hasMessageContaining("not set");
    }

    @Test
    void jdbcUrlIsKeptAndShownWithoutItsParameters() {
        ConnectionSpec spec = ConnectionSpec.parse("jdbc:postgresql://h:5432/db?user=u&password=secret", null, null, Map.of());
        assertThat(spec.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/db?user=u&password=secret");
        assertThat(spec.toString()).isEqualTo("jdbc:postgresql://h:5432/db");
    }

    @Test
    void multipleHostsAndDefaults() {
        ConnectionSpec spec = ConnectionSpec.parse("postgresql://h1:5432,h2:5433", null, null, Map.of("PGUSER", "ops"));
        assertThat(spec.jdbcUrl()).isEqualTo("jdbc:postgresql://h1:5432,h2:5433/ops");
        assertThat(spec.properties()).containsEntry("user", "ops").doesNotContainKey("password");
    }

    @Test
    void aPortOutOfRangeIsRefusedNamingIt() {
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@127.0.0.1:99999/db", null, null, Map.of()))
                .hasMessage("'99999' in '127.0.0.1:99999' is not a port; allowed 1 to 65535");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://h1:5432,h2:54x/db", null, null, Map.of()))
                .hasMessage("'54x' in 'h2:54x' is not a port; allowed 1 to 65535");
        assertThatThrownBy(() -> ConnectionSpec.parse("jdbc:postgresql://[::1]:0/db?user=u", null, null, Map.of()))
                .hasMessage("'0' in '[::1]:0' is not a port; allowed 1 to 65535");
        assertThat(ConnectionSpec.parse("postgres://u@[::1]/db", null, null, Map.of()).jdbcUrl())
                .isEqualTo("jdbc:postgresql://[::1]/db");
    }

    @Test
    void otherSchemesAreRefusedWithoutShowingCredentials() {
        assertThatThrownBy(() -> ConnectionSpec.parse("mysql://root:hunter2@h/db", null, null, Map.of()))
                .hasMessageContaining("neither a JDBC URL").hasMessageNotContaining("hunter2");
    }

    /**
     * pgjdbc takes a JDBC URL's {@code user:password@} for part of the host name and a parameter written after '&'
     * without a '?' for part of the database name, and repeats either in its message; the URL was shown in full too.
     */
    @Test
    void aJdbcUrlWithCredentialsWherePgjdbcReadsNoneIsRefusedWithoutShowingThem() {
        assertThatThrownBy(() -> ConnectionSpec.parse("jdbc:postgresql://u:hunter2@h:5432/db", null, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user:password@").hasMessageContaining("postgres://user@host:port/db")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ConnectionSpec.parse("jdbc:postgresql://h:5432/db&user=u&password=hunter2", null, null,
                Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'?'")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aPasswordFileWinsAndAMalformedEscapeIsReportedWithoutThePassword(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), "from-file\n");
        assertThat(ConnectionSpec.parse("postgres://u:in-url@h/db", "SRC_PW", file, Map.of("SRC_PW", "from-env"))
                .properties()).containsEntry("password", "from-file");
        Path empty = Files.writeString(dir.resolve("empty"), "");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h/db", null, empty, Map.of()))
                .hasMessage("the password file " + empty + " is empty");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u@h/db", null, Path.of("hunter2"), Map.of()))
                .hasMessageContaining("cannot read the password file").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u:se%zzcret@h/db", null, null, Map.of()))
                .hasMessageContaining("malformed %-escape").hasMessageNotContaining("zz");
    }
}
