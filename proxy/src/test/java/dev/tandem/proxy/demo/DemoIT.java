package dev.tandem.proxy.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

/** The README's first command, end to end. */
class DemoIT {

    @Test
    void demoStartsEverythingAndPrintsHowToConnect() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (Demo demo = new Demo(new PrintStream(buffer, true, StandardCharsets.UTF_8))) {
            Demo.Report report = demo.run(0, 1, 50);
            String printed = buffer.toString(StandardCharsets.UTF_8);

            assertThat(printed).contains("source and target agree")
                    .contains("dual-write windows up to").contains("1 table: 1 match, 0 differ")
                    .as("with --exit-when-done the proxy stops after the report: no address to connect to")
                    .doesNotContain("Point an application at the proxy").doesNotContain(report.metricsUrl());
            buffer.reset();
            demo.printHowToConnect(report);
            assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("Point an application at the proxy:")
                    .contains(report.connectionString()).contains(report.metricsUrl())
                    .contains(report.metricsUrl().replace("/metrics", "/status"));
            // one day of history at one row per minute for 3 devices (minus the last hour), plus the workload
            assertThat(report.sourceRows()).isEqualTo(3L * (24 * 60 - 60 + 1) + 50);
            assertThat(report.targetRows()).as("history backfilled plus the dual-written rows").isEqualTo(report.sourceRows());
            assertThat(report.backfillVerifyExit()).isZero();
            String jdbc = "jdbc:" + report.connectionString().replace("postgres@", "");
            try (Connection c = DriverManager.getConnection(jdbc, "postgres", "");
                 ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM metrics")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(report.sourceRows());
            }
        }
    }
}
