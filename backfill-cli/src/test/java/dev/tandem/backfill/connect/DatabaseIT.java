package dev.tandem.backfill.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DatabaseIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** A worker on a host that died keeps its task locked until the server drops its session: minutes, not hours. */
    @Test
    void everySessionAsksTheServerToNoticeADeadClientWithinMinutes() throws Exception {
        String url = "postgres://" + PG.target().user() + "@127.0.0.1:" + PG.target().port() + "/postgres";
        ConnectionSpec spec = ConnectionSpec.parse(url, null, null, Map.of("PGPASSWORD", PG.target().password()));
        try (Database target = Database.open(Side.TARGET, spec, 2); Connection c = target.connection();
             Statement s = c.createStatement()) {
            List<String> settings = new ArrayList<>();
            for (String name : List.of("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")) {
                try (ResultSet rs = s.executeQuery("SHOW " + name)) {
                    rs.next();
                    settings.add(rs.getString(1));
                }
            }
            assertThat(settings).containsExactly("60", "10", "6");
        }
    }

    /**
     * A database (or role) whose sessions have TimescaleDB's transparent decompression off would hide the rows of
     * compressed chunks from copy and verify alike; plain PostgreSQL keeps the setting as a placeholder, as TimescaleDB
     * keeps its own. A database without it gets nothing set.
     */
    @Test
    void everySessionSeesTheRowsOfCompressedChunks() throws Exception {
        String hiding = PG.pair().freshDatabase("hiding");
        PG.source().execute(hiding, "ALTER DATABASE " + hiding
                + " SET timescaledb.enable_transparent_decompression = off");
        assertThat(setting(hiding)).isEqualTo("on");
        assertThat(setting(PG.pair().freshDatabase("plain"))).isNull();
    }

    private static String setting(String database) throws Exception {
        String url = "postgres://" + PG.source().user() + "@127.0.0.1:" + PG.source().port() + "/" + database;
        ConnectionSpec spec = ConnectionSpec.parse(url, null, null, Map.of("PGPASSWORD", PG.source().password()));
        try (Database source = Database.open(Side.SOURCE, spec, 1); Connection c = source.connection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('timescaledb.enable_transparent_decompression',"
                     + " true)")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
