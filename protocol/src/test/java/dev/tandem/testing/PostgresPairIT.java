package dev.tandem.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresPairIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void sourceAndTargetAreTwoIndependentServers() {
        String db = PG.pair().freshDatabase("harness");
        PG.pair().executeOnBoth(db, "CREATE TABLE metrics (t timestamptz NOT NULL, v double precision)");

        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-01T00:00:00Z', 1.5), ('2026-01-02T00:00:00Z', 2.5)");

        assertThat(PG.source().query(db, "SELECT v FROM metrics ORDER BY t"))
                .isEqualTo(List.of(List.of("1.5"), List.of("2.5")));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("0");
        assertThat(PG.source().port()).isNotEqualTo(PG.target().port());
    }

    /** -Dtandem.postgres=18 runs both servers on 18, or with -Dtandem.postgres.role only the one it names. */
    @Test
    void theServersRunTheVersionTheRunNames() {
        String named = System.getProperty(EmbeddedPgServer.VERSION_PROPERTY, "");
        String only = System.getProperty(EmbeddedPgServer.ROLE_PROPERTY, "");
        if (named.isEmpty()) {
            assertThat(PG.source().majorVersion()).isEqualTo(PG.target().majorVersion());
            return;
        }
        for (PgServer server : List.of(PG.source(), PG.target())) {
            boolean ofNamedVersion = only.isEmpty() || only.equals(server.role());
            assertThat(server.majorVersion() == Integer.parseInt(named)).as(server.toString()).isEqualTo(ofNamedVersion);
        }
    }

    @Test
    void aStoppedServerKeepsItsDataAndComesBackOnTheSamePort() throws SQLException {
        String db = PG.pair().freshDatabase("restart");
        PG.target().execute(db, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");
        int port = PG.target().port();

        PG.target().stop();
        try {
            assertThatThrownBy(() -> PG.target().connect(db).close()).isInstanceOf(SQLException.class);
        } finally {
            PG.target().start();
        }

        assertThat(PG.target().port()).isEqualTo(port);
        try (Connection c = PG.target().connect(db)) {
            assertThat(c.isValid(5)).isTrue();
        }
        assertThat(PG.target().queryValue(db, "SELECT id FROM kept")).isEqualTo("42");
    }
}
