package dev.tandem.protocol.client;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;

/**
 * The client TLS context for a {@link TlsMode}: libpq's semantics, where verify-ca checks the server's chain and
 * verify-full its host name too.
 */
final class TlsContexts {

    private TlsContexts() {
    }

    static SslContext forConfig(PgClientConfig config) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient();
        if (config.tlsMode() == TlsMode.VERIFY_CA || config.tlsMode() == TlsMode.VERIFY_FULL) {
            if (config.caFile() != null) {
                builder.trustManager(config.caFile().toFile());
            }
            // "HTTPS" identification = RFC 2818 host name check against the certificate's SAN entries;
            // null switches off the check Netty 4.2 makes by default
            builder.endpointIdentificationAlgorithm(config.tlsMode() == TlsMode.VERIFY_FULL ? "HTTPS" : null);
        } else {
            // prefer/require promise encryption, not authentication
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            builder.endpointIdentificationAlgorithm(null);
        }
        return builder.build();
    }
}
