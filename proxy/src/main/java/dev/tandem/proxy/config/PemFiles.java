package dev.tandem.proxy.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the PEM files of the TLS settings when the configuration is loaded, so that a file the TLS code would
 * refuse, or a key that does not belong to its certificate, is a configuration problem reported with the others
 * instead of a stack trace at start-up or a handshake failure on every connection. It reads what the TLS code reads:
 * X.509 certificates, and unencrypted PKCS#8 keys (RSA, EC, EdDSA).
 */
final class PemFiles {

    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]*)-----END \\1PRIVATE KEY-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "EdDSA");

    private PemFiles() {
    }

    /** @return the certificates, or a problem phrased to follow the file's name */
    static Result<List<X509Certificate>> certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .stream().map(X509Certificate.class::cast).toList();
            return certificates.isEmpty() ? Result.problem("holds no PEM certificate") : Result.of(certificates);
        } catch (CertificateException e) {
            return Result.problem("holds no PEM certificate");
        } catch (IOException e) {
            return Result.problem("cannot be read: " + e.getMessage());
        }
    }

    /** @return the key, or a problem phrased to follow the file's name; never the file's content */
    static Result<PrivateKey> privateKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Result.problem("cannot be read: " + e.getMessage());
        }
        Matcher pem = PRIVATE_KEY.matcher(text);
        if (!pem.find()) {
            return Result.problem("holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        String kind = pem.group(1).trim();
        if (kind.equals("ENCRYPTED")) {
            return Result.problem("holds an encrypted private key; the proxy needs it unencrypted (openssl pkcs8"
                    + " -topk8 -nocrypt)");
        }
        if (!kind.isEmpty()) {
            return Result.problem("holds a " + kind + " PRIVATE KEY; the proxy reads PKCS#8 (-----BEGIN PRIVATE"
                    + " KEY-----): convert it with openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.group(2));
        } catch (IllegalArgumentException e) {
            return Result.problem("holds a PEM private key that is not valid base64");
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return Result.of(KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der)));
            } catch (GeneralSecurityException e) {
                // not this algorithm's key: try the next
            }
        }
        return Result.problem("holds a private key that is not RSA, EC or EdDSA PKCS#8");
    }

    /**
     * Whether {@code key} belongs to {@code certificate}: a signature made with the key must verify with the
     * certificate's public key, which is what the TLS handshake will ask of it.
     */
    static boolean belongTogether(X509Certificate certificate, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "tandem key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            // a key of another algorithm than the certificate's cannot sign for it
            return false;
        }
    }

    /** A value read from a file, or why it could not be. */
    record Result<T>(Optional<T> value, String problem) {

        static <T> Result<T> of(T value) {
            return new Result<>(Optional.of(value), null);
        }

        static <T> Result<T> problem(String problem) {
            return new Result<>(Optional.empty(), problem);
        }
    }
}
