package dev.tandem.proxy.relay;

import dev.tandem.protocol.client.TlsMode;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** Builds the TLS contexts of the two hops: clients to the proxy, and the proxy to the source. */
public final class TlsContexts {

    private TlsContexts() {
    }

    /** The ALPN protocol id of PostgreSQL, registered with IANA; direct TLS connections must negotiate it. */
    static final String ALPN_POSTGRESQL = "postgresql";

    /**
     * The proxy's own server certificate (PEM certificate chain and PKCS#8 PEM key) for client connections. It selects
     * ALPN "postgresql" when the client offers it, as PostgreSQL 17 does; a client that offers no ALPN, or only other
     * protocols, still gets TLS after an SSLRequest (the startup handler refuses it on a direct TLS connection).
     */
    public static SslContext server(File certChain, File key) throws SSLException {
        return SslContextBuilder.forServer(certChain, key)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ALPN_POSTGRESQL))
                .build();
    }

    /**
     * The client context for connecting to the source, with libpq's meanings: {@code prefer}/{@code require} encrypt
     * without checking the certificate; {@code verify-ca} checks the chain (against {@code caFile}, or the JDK's trust
     * store when null), and so does {@code require} with a {@code caFile}, as libpq's with a root certificate file;
     * {@code verify-full} also that the certificate names the host. Returns null for {@code disable}.
     */
    public static SslContext sourceClient(TlsMode mode, File caFile) throws SSLException {
        return switch (mode.withCaFile(caFile != null)) {
            case DISABLE -> null;
            case PREFER, REQUIRE -> SslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .endpointIdentificationAlgorithm(null)
                    .build();
            case VERIFY_CA, VERIFY_FULL -> {
                // null switches off the host name check Netty 4.2 makes by default
                SslContextBuilder builder = SslContextBuilder.forClient()
                        .endpointIdentificationAlgorithm(mode == TlsMode.VERIFY_FULL ? "HTTPS" : null);
                yield builder.trustManager(new CertificateNamesTrustManager(trustChecks(caFile))).build();
            }
        };
    }

    /** The JDK's checks against the certificates of {@code caFile} (PEM), or against its trust store when null. */
    private static X509ExtendedTrustManager trustChecks(File caFile) throws SSLException {
        try {
            KeyStore trusted = null;
            if (caFile != null) {
                trusted = KeyStore.getInstance(KeyStore.getDefaultType());
                trusted.load(null, null);
                try (InputStream in = new FileInputStream(caFile)) {
                    int i = 0;
                    for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        trusted.setCertificateEntry("ca-" + i++, certificate);
                    }
                }
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager checks) {
                    return checks;
                }
            }
            throw new SSLException("the JDK offers no X.509 trust manager");
        } catch (IOException | GeneralSecurityException e) {
            throw new SSLException("cannot read the certificates of " + caFile + ": " + e.getMessage(), e);
        }
    }
}
