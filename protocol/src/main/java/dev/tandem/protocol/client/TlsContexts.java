package dev.tandem.protocol.client;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;

/**
 * The client TLS context for a {@link TlsMode}: libpq's semantics, where verify-ca (and require with a CA file) checks
 * the server's chain and verify-full its host name too.
 */
final class TlsContexts {

    private TlsContexts() {
    }

    static SslContext forConfig(PgClientConfig config) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient();
        TlsMode mode = config.tlsMode().withCaFile(config.caFile() != null);
        if (mode == TlsMode.VERIFY_CA || mode == TlsMode.VERIFY_FULL) {
            if (config.caFile() != null) {
                builder.trustManager(config.caFile().toFile());
            }
            // "HTTPS" identification = RFC 2818 host name check against the certificate's SAN entries;
            // null switches off the check Netty 4.2 makes by default
            builder.endpointIdentificationAlgorithm(mode == TlsMode.VERIFY_FULL ? "HTTPS" : null);
        } else {
            // prefer, and require without a CA file, promise encryption, not authentication
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            builder.endpointIdentificationAlgorithm(null);
        }
        return builder.build();
    }
}
