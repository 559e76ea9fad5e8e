package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What every catalog look-up shares, against a real server. */
class CatalogDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /**
     * {@link SourceRelations} reads the tables, then the schemas: a tenant's schema and table committed between the two
     * queries gave the schema without its table, so an unqualified CREATE TABLE of that name was placed in that schema
     * as if the table were new there. All queries of a look-up now read one snapshot.
     */
    @Test
    void aLookUpReadsOneSnapshotWhateverCommitsBetweenItsQueries() {
        String db = PG.pair().freshDatabase("catalog_snapshot");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db), Duration.ofSeconds(5), Optional.empty());
        String count = "SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_late'";
        try (TwoQueries dir = new TwoQueries(target, count,
                () -> PG.target().execute(db, "CREATE SCHEMA tenant_late"))) {
            assertThat(dir.lookUpNow("app")).as("before and after the other session's commit").containsExactly(0L, 0L);
            assertThat(dir.lookUpNow("app")).as("the next look-up").containsExactly(1L, 1L);
        }
    }

    /** Runs {@code sql} twice, and {@code between} (once) in between, from another connection. */
    private static final class TwoQueries extends CatalogDirectory<List<Long>> {

        private final String sql;
        private Runnable between;

        TwoQueries(TargetConfig target, String sql, Runnable between) {
            super("test", CatalogServer.target(target), Duration.ofMinutes(1), null);
            this.sql = sql;
            this.between = between;
        }

        @Override
        List<Long> load(Connection c) throws SQLException {
            long first = count(c);
            if (between != null) {
                between.run();
                between = null;
            }
            return List.of(first, count(c));
        }

        private long count(Connection c) throws SQLException {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
