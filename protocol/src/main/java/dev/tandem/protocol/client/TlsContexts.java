package dev.tandem.protocol.client;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;

/** The client TLS context for a {@link TlsMode}: libpq's semantics, where only verify-full checks the server. */
final class TlsContexts {

    private TlsContexts() {
    }

    static SslContext forConfig(PgClientConfig config) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient();
        if (config.tlsMode() == TlsMode.VERIFY_FULL) {
            if (config.caFile() != null) {
                builder.trustManager(config.caFile().toFile());
            }
            // "HTTPS" identification = RFC 2818 host name check against the certificate's SAN entries
            builder.endpointIdentificationAlgorithm("HTTPS");
        } else {
            // prefer/require promise encryption, not authentication; Netty 4.2 would otherwise check host names
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            builder.endpointIdentificationAlgorithm(null);
        }
        return builder.build();
    }
}
