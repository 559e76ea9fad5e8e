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
}
