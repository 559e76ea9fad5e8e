package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * The source's catalog moves on after the schema copy: a new tenant's schema gets a table named like a shared one, a
 * tenant's table is dropped. An unqualified name then means another table on the source than the target's catalog
 * says, and with {@code source.user} set the proxy resolves it by the source's catalog: before, rows the source wrote
 * into {@code tenant_new.readings} were mirrored into {@code public.readings}, and rows it wrote into
 * {@code public.readings} after {@code tenant_old.readings} was dropped were not mirrored at all.
 */
class SourceOnlyTablesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "source_only", started -> mirror = started)
            .tables("CREATE TABLE readings (id int PRIMARY KEY, v text); CREATE TABLE probe (id int PRIMARY KEY);"
                    + " CREATE SCHEMA tenant_old; CREATE TABLE tenant_old.readings (id int PRIMARY KEY, v text);"
                    + " CREATE TABLE tenant_old.probe (id int PRIMARY KEY)")
            // created on the source after the target's schema was copied
            .prepared(db -> PG.source().execute(db, "CREATE SCHEMA tenant_new;"
                    + " CREATE TABLE tenant_new.readings (id int PRIMARY KEY, v text);"
                    + " CREATE TABLE tenant_new.probe (id int PRIMARY KEY)"))
            .flags("--mirror-table", "public.readings", "--mirror-table", "public.probe")
            .withSourceUser()
            .emptiedBeforeEach("readings, probe");

    @BeforeEach
    void emptyLedger() {
        PG.target().execute(mirror.database, "DO $$ BEGIN DELETE FROM tandem.divergence;"
                + " EXCEPTION WHEN undefined_table THEN END $$"); // the mirror creates it with its first write
    }

    @Test
    void aTableOnlyTheSourceHasHidesTheSharedOne() throws Exception {
        try (Connection c = mirror.connect("options", "-c search_path=tenant_new,public");
             Statement s = c.createStatement()) {
            awaitResolvedAsTheSourceDoes(s, false);
            s.execute("INSERT INTO readings VALUES (1, 'the new tenant''s')");
            s.execute("INSERT INTO public.readings VALUES (2, 'shared')");
        }
        assertThat(PG.source().query(mirror.database, "SELECT v FROM tenant_new.readings"))
                .containsExactly(List.of("the new tenant's"));
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.readings");
        assertThat(PG.target().query(mirror.database, "SELECT v FROM public.readings"))
                .containsExactly(List.of("shared"));
    }

    @Test
    void aTableCreatedThroughTheProxyIsSeenAtOnce() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            // a new tenant signs up during the migration: one transaction, committed through the proxy
            s.execute("BEGIN; CREATE SCHEMA tenant_b; CREATE TABLE tenant_b.readings (id int PRIMARY KEY, v text);"
                    + " CREATE TABLE tenant_b.probe (id int PRIMARY KEY); COMMIT");
        }
        try (Connection c = mirror.connect("options", "-c search_path=tenant_b,public");
             Statement s = c.createStatement()) {
            // well before the periodic look-up (every minute): DDL through the proxy asks for one at its commit
            awaitResolvedAsTheSourceDoes(s, false);
            s.execute("INSERT INTO readings VALUES (1, 'tenant b''s')");
        }
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM tenant_b.readings")).isEqualTo("1");
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.readings");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM public.readings")).isEqualTo("0");
    }

    @Test
    void aTableDroppedOnTheSourceNoLongerHidesTheSharedOne() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE tenant_old.readings, tenant_old.probe");
        }
        try (Connection c = mirror.connect("options", "-c search_path=tenant_old,public", "prepareThreshold", "1");
             Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO readings VALUES (?, ?)")) {
            awaitResolvedAsTheSourceDoes(s, true);
            s.execute("INSERT INTO readings VALUES (1, 'shared, the tenant''s table is gone')");
            for (int id = 2; id <= 3; id++) {
                insert.setInt(1, id);
                insert.setString(2, "prepared");
                insert.executeUpdate();
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY readings FROM STDIN",
                    new ByteArrayInputStream("4\tcopied\n".getBytes(StandardCharsets.UTF_8)));
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.readings");
        // on the target the unqualified name means tenant_old.readings, still there: the mirror wrote the schema out
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM public.readings")).isEqualTo("4");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM tenant_old.readings")).isEqualTo("0");
        assertThat(PG.target().query(mirror.database, "SELECT * FROM tandem.divergence")).isEmpty();
    }

    /**
     * The proxy looks the source's catalog up in the background: writes probe rows under the session's path until
     * one is mirrored into {@code public.probe} exactly when the source wrote it there ({@code intoPublic}), undoing
     * the probes that were not (on the side they diverged), so the scenario after it is decided by the catalog the
     * source has. Without the source's catalog it never is.
     */
    private static void awaitResolvedAsTheSourceDoes(Statement s, boolean intoPublic) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        for (int id = 1; ; id++) {
            s.execute("INSERT INTO probe VALUES (" + id + ")");
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            boolean mirrored = PG.target().queryValue(mirror.database,
                    "SELECT count(*) FROM public.probe WHERE id = " + id).equals("1");
            if (mirrored == intoPublic) {
                return;
            }
            if (intoPublic) {
                PG.source().execute(mirror.database, "DELETE FROM public.probe WHERE id = " + id);
            } else {
                PG.target().execute(mirror.database, "DELETE FROM public.probe WHERE id = " + id);
            }
            assertThat(System.nanoTime()).as("the proxy resolved names by the source's catalog within 15 s")
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
