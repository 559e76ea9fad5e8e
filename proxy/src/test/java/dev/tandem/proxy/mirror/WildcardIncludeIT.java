package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A table a wildcard include pattern ({@code public.*}) matches but the target's catalog does not have is decided by
 * the target when its rows are replayed, as a partition of a mirrored table is: one the target lacks (created on the
 * source only, or a temporary table the proxy could not see) is {@code not_on_target}. Before, the pattern alone made
 * it mirrored, the target refused its rows with 42P01, and each transaction was ledgered as {@code rejected}: a
 * divergence entry per transaction, where a partition the target lacked under {@code public.parted} was counted.
 */
class WildcardIncludeIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "wildcard_include", started -> mirror = started)
            .tables("CREATE TABLE kept (id int PRIMARY KEY)")
            // created on the source after the target's schema was copied
            .prepared(db -> PG.source().execute(db, "CREATE TABLE source_only (id int PRIMARY KEY)"))
            .flags("--mirror-table", "public.*");

    @Test
    void aTableTheTargetLacksIsNotOnTargetAndOneBothGotSinceTheLookUpIsMirrored() throws Exception {
        // on both servers after the proxy's look-up of the target's catalog: the target's catalog says it is there
        PG.pair().executeOnBoth(mirror.database, "CREATE TABLE later (id int PRIMARY KEY)");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO kept VALUES (1)");
            s.execute("INSERT INTO source_only VALUES (1), (2)");
            s.execute("BEGIN; INSERT INTO source_only VALUES (3); INSERT INTO kept VALUES (2); COMMIT");
            s.execute("INSERT INTO later VALUES (1)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));

        assertThat(PG.target().query(mirror.database, "SELECT id FROM kept ORDER BY id"))
                .containsExactly(List.of("1"), List.of("2"));
        assertThat(PG.target().query(mirror.database, "SELECT id FROM later")).containsExactly(List.of("1"));
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM tandem.divergence"))
                .as("nothing ledgered").isEqualTo("0");
        assertThat(count("tandem.mirror.transactions", "public.source_only", "not_on_target")).isEqualTo(2);
        assertThat(count("tandem.mirror.rows", "public.source_only", "not_on_target")).isEqualTo(3);
        assertThat(count("tandem.mirror.transactions", "public.later", "applied")).isEqualTo(1);
        assertThat(count("tandem.mirror.transactions", "public.kept", "applied")).isEqualTo(2);
    }

    private static double count(String name, String table, String outcome) {
        var counter = mirror.app.registry().find(name).tag("table", table).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }
}
