package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The source's column orders the proxy reads rows' times by where a statement names no columns, from a real source's
 * catalog, and what the capture makes of them with the target's time columns.
 */
class SourceColumnListsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final TableName M = new TableName("s", "m");
    private static final TableName EV = new TableName("s", "ev");
    private static final TableName EV_OLD = new TableName("s", "ev_old");

    private static SourceConfig source(int port) {
        return new SourceConfig("127.0.0.1", port, TlsMode.DISABLE, Optional.of(PG.source().user()),
                "UNUSED", Optional.empty(), Duration.ofSeconds(5), Optional.empty());
    }

    private static TargetConfig target() {
        return new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
    }

    /** A port nothing listens on: a source whose catalog cannot be read. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * Every column in order for an INSERT, all but the generated ones for a COPY, a dropped one in neither; a
     * partition attached with its columns in its own order has its own lists.
     */
    @Test
    void eachTablesColumnsInItsOrderWithoutDroppedOnesAndForACopyWithoutGeneratedOnes() {
        String db = PG.pair().freshDatabase("source_columns");
        PG.source().execute(db, "CREATE SCHEMA s;"
                + " CREATE TABLE s.m (gone int, t timestamptz, twice int GENERATED ALWAYS AS (v * 2) STORED, v int);"
                + " ALTER TABLE s.m DROP COLUMN gone;"
                + " CREATE TABLE s.ev (at date NOT NULL, k int) PARTITION BY RANGE (at);"
                + " CREATE TABLE s.ev_old (k int, at date NOT NULL);"
                + " ALTER TABLE s.ev ATTACH PARTITION s.ev_old FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')");
        try (SourceColumnLists lists = new SourceColumnLists(source(PG.source().port()), Duration.ofMinutes(1))) {
            Map<TableName, SourceColumnLists.Lists> found = lists.lookUpNow(db);
            assertThat(found).containsEntry(M, new SourceColumnLists.Lists(List.of("t", "twice", "v"),
                    List.of("t", "v")));
            assertThat(found).containsEntry(EV, new SourceColumnLists.Lists(List.of("at", "k"), List.of("at", "k")));
            assertThat(found).containsEntry(EV_OLD, new SourceColumnLists.Lists(List.of("k", "at"),
                    List.of("k", "at")));
        }
    }

    /**
     * The target's time column, type and precision with the source's lists; a table the source's answer lacks, or
     * every table while the source's catalog cannot be read, has no lists, so only statements naming their columns
     * are read.
     */
    @Test
    void theTargetsTimeColumnsGetTheSourcesOrders() throws Exception {
        String db = PG.pair().freshDatabase("source_ordered");
        PG.source().execute(db, "CREATE SCHEMA s; CREATE TABLE s.m (t timestamptz(3), k int, v int)");
        PG.target().execute(db, "CREATE SCHEMA s; CREATE TABLE s.m (v int, k int, t timestamptz(3));"
                + " CREATE TABLE s.target_only (t timestamptz, v int)");
        TableName targetOnly = new TableName("s", "target_only");
        Map<TableName, String> configured = Map.of(M, "t", targetOnly, "t");
        try (TimeColumnDirectory timeColumns = new TimeColumnDirectory(target(), Duration.ofMinutes(1), configured);
             SourceColumnLists lists = new SourceColumnLists(source(PG.source().port()), Duration.ofMinutes(1));
             SourceColumnLists unreadable = new SourceColumnLists(source(closedPort()), Duration.ofMinutes(1))) {
            SourceOrderedTimeColumns ordered = new SourceOrderedTimeColumns(timeColumns, lists);
            ordered.apply(db);
            // the first look-ups, which that asked for, have answered; the next are a minute away
            timeColumns.awaitLookUps();
            lists.awaitLookUps();
            Map<TableName, TableTimeColumn> merged = ordered.apply(db);
            assertThat(merged).containsOnly(
                    Map.entry(M, new TableTimeColumn("t", TimeType.TIMESTAMPTZ, 3, List.of("t", "k", "v"),
                            List.of("t", "k", "v"))),
                    Map.entry(targetOnly, new TableTimeColumn("t", TimeType.TIMESTAMPTZ, -1, null, null)));
            assertThat(ordered.apply(db)).as("merged once per answer").isSameAs(merged);
            assertThat(new SourceOrderedTimeColumns(timeColumns, null).apply(db))
                    .as("without source.user: the target's order")
                    .containsEntry(M, new TableTimeColumn("t", TimeType.TIMESTAMPTZ, 3, List.of("v", "k", "t"),
                            List.of("v", "k", "t")));
            assertThat(new SourceOrderedTimeColumns(timeColumns, unreadable).apply(db))
                    .as("the source's catalog not read").containsEntry(M,
                            new TableTimeColumn("t", TimeType.TIMESTAMPTZ, 3, null, null));
        }
    }
}
