package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.LoggedWarnings;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * Without {@code source.user} the proxy cannot read the source's order of a table's columns: the first INSERT or COPY
 * without a column list into each table is logged as replayed by position, once; writes naming their columns are not.
 */
class ColumnOrderWithoutSourceUserIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "column_order_no_source",
                    started -> mirror = started)
            .tables("CREATE TABLE ord (ts timestamptz NOT NULL, a text, b text);"
                    + " CREATE TABLE named (ts timestamptz NOT NULL, a text)")
            .flags("--mirror-table", "public.ord", "--mirror-table", "public.named");

    @Test
    void theFirstWriteByPositionIntoEachTableIsLogged() {
        List<String> warnings = LoggedWarnings.of(ColumnOrders.class, () -> {
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO named (ts, a) VALUES ('2026-01-01 00:00:01+00', 'a1')");
                s.execute("INSERT INTO ord VALUES ('2026-01-01 00:00:01+00', 'a1', 'b1')");
                s.execute("INSERT INTO ord VALUES ('2026-01-01 00:00:02+00', 'a2', 'b2')");
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY ord FROM STDIN", new ByteArrayInputStream(
                        "2026-01-01 00:00:03+00\ta3\tb3\n".getBytes(StandardCharsets.UTF_8)));
                mirror.awaitCaughtUp(Duration.ofSeconds(30));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(warnings).containsExactly("mirror: an INSERT or COPY without a column list into public.ord is"
                + " replayed in target database " + mirror.database + " by position: without source.user the proxy"
                + " cannot compare the order of its columns there with the source's, so the runbook's column-order"
                + " check must have passed for it, or its values land in other columns");
        mirror.assertIdentical("ord");
    }
}
