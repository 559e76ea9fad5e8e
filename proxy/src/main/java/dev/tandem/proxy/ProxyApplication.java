package dev.tandem.proxy;

import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.relay.ProxyServer;
import dev.tandem.proxy.relay.RelayMetrics;
import dev.tandem.proxy.relay.RelaySettingsFactory;
import dev.tandem.proxy.relay.Transport;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Tandem proxy: every component built from one {@link ProxyConfig}, started in order and stopped in reverse.
 */
public final class ProxyApplication implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyApplication.class);

    private final ProxyConfig config;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private ProxyServer relay;

    public ProxyApplication(ProxyConfig config) {
        this.config = config;
    }

    public ProxyApplication start(Transport transport) throws Exception {
        config.warnings().forEach(log::warn);
        relay = new ProxyServer(RelaySettingsFactory.from(config, transport), new RelayMetrics(registry)).start();
        return this;
    }

    public InetSocketAddress relayAddress() {
        return relay.address();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        if (relay != null) {
            relay.close();
            relay = null;
        }
        registry.close();
    }
}
