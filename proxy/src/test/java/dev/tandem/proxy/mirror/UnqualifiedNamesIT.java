package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An unqualified table name means the first table of that name along the session's {@code search_path}, as the
 * catalog has it: a schema that has no such table is passed over, and {@code $user} is the schema named after the
 * session's user. The proxy must decide what is mirrored, and the target must replay, the table the source wrote.
 */
class UnqualifiedNamesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    static final String ROLES = "DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD 'app';"
            + " EXCEPTION WHEN duplicate_object THEN END $$";

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "unqualified", started -> mirror = started)
            .prepared(db -> {
                PG.source().execute("postgres", ROLES);
                PG.target().execute("postgres", ROLES);
            })
            .tables("CREATE TABLE readings (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant; CREATE TABLE tenant.settings (k text);"
                    + " CREATE SCHEMA app AUTHORIZATION app; CREATE TABLE app.readings (id int PRIMARY KEY, v text);"
                    + " GRANT ALL ON readings TO app; GRANT ALL ON app.readings TO app")
            .flags("--mirror-table", "public.readings", "--mirror-table", "app.readings")
            .emptiedBeforeEach("readings, app.readings");

    @Test
    void aSchemaOfThePathWithoutTheTableIsPassedOver() throws Exception {
        // schema-per-tenant: the tenant's own tables first, the shared ones in public
        try (Connection c = mirror.connect("options", "-c search_path=tenant,public");
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO readings VALUES (1, 'shared')");
            s.execute("SET search_path = tenant, public");
            s.execute("INSERT INTO readings VALUES (2, 'after a SET')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM readings")).isEqualTo("2");
        mirror.assertIdentical("readings");
        assertThat(PG.target().query(mirror.database, "SELECT * FROM tandem.divergence")).isEmpty();
    }

    @Test
    void dollarUserIsTheSchemaNamedAfterTheSessionsUser() throws Exception {
        try (Connection c = mirror.connect("user", "app", "password", "app"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO readings VALUES (1, 'the app schema''s')");
            s.execute("INSERT INTO public.readings VALUES (2, 'public''s')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT string_agg(v, ',') FROM app.readings"))
                .isEqualTo("the app schema's");
        mirror.assertIdentical("app.readings");
        mirror.assertIdentical("public.readings");
    }
}
