package dev.tandem.proxy.relay;

import dev.tandem.protocol.client.TlsMode;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

/**
 * What a person can do about a failed TLS handshake with the source or the target, from the JDK's exception: its own
 * words ("PKIX path building failed") name the mechanism, not the setting to change.
 */
public final class TlsFailureHint {

    private TlsFailureHint() {
    }

    /**
     * A sentence to append to the failure's message (starting with "; "), or "" when there is nothing to add.
     *
     * @param server "source" or "target": the configuration section whose settings the sentence names
     */
    public static String of(Throwable failure, TlsMode mode, String host, String server) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertPathBuilderException) {
                return "; the " + server + "'s certificate is not signed by a certificate authority the proxy trusts:"
                        + " set " + server + ".ca-file to the PEM file of the authority that signed it";
            }
            if (t instanceof CertPathValidatorException) {
                return "; the " + server + "'s certificate chain is not valid (expired, not yet valid, or revoked):"
                        + " check the dates with 'openssl x509 -noout -dates'";
            }
            if (t instanceof CertificateException && mode == TlsMode.VERIFY_FULL && t.getMessage() != null
                    && t.getMessage().contains(host)) {
                return "; with " + server + ".tls verify-full the certificate must name the host the proxy connects"
                        + " to (" + host + "): connect by a name the certificate lists, or use verify-ca to check the chain"
                        + " only";
            }
        }
        return "";
    }
}
