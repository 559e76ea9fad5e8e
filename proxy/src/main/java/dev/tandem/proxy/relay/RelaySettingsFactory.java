package dev.tandem.proxy.relay;

import dev.tandem.protocol.client.TlsMode;
import dev.tandem.proxy.config.ClientTlsConfig;
import dev.tandem.proxy.config.ProxyConfig;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLException;

/** Turns the validated configuration into the relay's settings (TLS contexts built, addresses resolved lazily). */
public final class RelaySettingsFactory {

    private RelaySettingsFactory() {
    }

    public static RelaySettings from(ProxyConfig config, Transport transport, int ioThreads) throws SSLException {
        TlsMode sourceTls = config.source().tls().clientMode();
        SslContext clientTls = null;
        if (config.tls().isPresent()) {
            ClientTlsConfig tls = config.tls().get();
            clientTls = TlsContexts.server(tls.cert().toFile(), tls.key().toFile());
        }
        return new RelaySettings(
                config.listen().socketAddress(),
                InetSocketAddress.createUnresolved(config.source().host(), config.source().port()),
                clientTls,
                sourceTls,
                TlsContexts.sourceClient(sourceTls, config.source().caFile().map(java.nio.file.Path::toFile).orElse(null)),
                config.limits().maxFrameBytes(),
                config.limits().maxHeldBytes(),
                config.limits().maxStartupPacketBytes(),
                config.limits().maxConnections(),
                config.source().connectTimeout(),
                config.limits().authTimeout(),
                config.limits().idleTimeout(),
                config.shutdown().gracePeriod(),
                config.limits().drainTimeout(),
                transport,
                ioThreads);
    }
}
