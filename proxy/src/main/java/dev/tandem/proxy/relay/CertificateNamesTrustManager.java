package dev.tandem.proxy.relay;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Checks the source's certificate as the JDK's trust manager does, and when that refuses it adds the names the
 * certificate holds: the JDK says which name did not match ("No subject alternative DNS name matching db-old found")
 * but not the ones that would, which is what a person needs to choose the host to connect by (libpq names them too).
 */
final class CertificateNamesTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager checks;

    CertificateNamesTrustManager(X509ExtendedTrustManager checks) {
        this.checks = checks;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            checks.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw named(e, chain, engine.getPeerHost());
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checks.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checks.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checks.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checks.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checks.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return checks.getAcceptedIssuers();
    }

    /**
     * Only a refusal of the host name gets the names (the JDK's message then quotes the host): a chain or date
     * failure keeps its exception as it is.
     */
    private static CertificateException named(CertificateException e, X509Certificate[] chain, String host) {
        if (host == null || chain == null || chain.length == 0 || e.getMessage() == null
                || !e.getMessage().contains(host)) {
            return e;
        }
        return new CertificateException(e.getMessage() + " (the certificate names "
                + String.join(", ", names(chain[0])) + ")", e);
    }

    /** The subject alternative names (DNS names and IP addresses), or the subject when it has none. */
    private static List<String> names(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) {
                    int type = (Integer) entry.get(0);
                    if (type == 2 || type == 7) { // dNSName, iPAddress (RFC 5280)
                        names.add(String.valueOf(entry.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // an unreadable extension: the subject below still names something
        }
        if (names.isEmpty()) {
            names.add(certificate.getSubjectX500Principal().getName());
        }
        return names;
    }
}
