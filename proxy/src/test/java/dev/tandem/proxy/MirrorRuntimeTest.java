package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.Overrides;
import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolSettings;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building the mirror needs no database: nothing connects before the first session. */
class MirrorRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void aStepThatFailsClosesWhatWasStartedBeforeIt() throws Exception {
        Path spool = dir.resolve("spool");
        Path yaml = Files.writeString(dir.resolve("tandem.yaml"), """
                source: {host: 127.0.0.1, port: 1}
                target: {host: 127.0.0.1, port: 1, user: postgres}
                instance-id: runtime-test
                mirror:
                  mode: async
                  spool: {dir: '%s'}
                """.formatted(spool));
        ProxyConfig config = ConfigLoader.load(yaml, Overrides.none(), Map.of());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().equals("tandem.capture.held.bytes")) {
                    throw new IllegalStateException("registry refused " + id.getName());
                }
                return id;
            }
        });

        assertThatThrownBy(() -> new MirrorRuntime(config, registry, Transport.NIO)).hasMessage("registry refused tandem.capture.held.bytes");

        // the spool directory's lock was released: the next proxy (or a retry) can open it
        try (Spool reopened = Spool.open(SpoolSettings.defaults(spool), "runtime-test")) {
            assertThat(reopened.stats().pendingRecords()).isZero();
        }
    }
}
