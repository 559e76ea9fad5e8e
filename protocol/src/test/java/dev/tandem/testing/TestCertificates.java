package dev.tandem.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Certificates for TLS tests, made at test time by the JDK's {@code keytool} (no extra library, no openssl): a test
 * certificate authority that issues server certificates for chosen names and validity windows, and self-signed ones.
 * Files are PEM; keys are unencrypted PKCS#8, private to their owner as PostgreSQL demands. Keys are P-256 EC
 * rather than RSA, and keytool's JVM runs with the quick compiler only: each call is a JVM start, and RSA key
 * generation made the TLS tests spend most of their minute in keytool.
 */
public final class TestCertificates {

    private static final String PASSWORD = "changeit";

    /** A certificate (PEM) and its private key (PKCS#8 PEM, mode 0600). */
    public record Pair(Path cert, Path key) {
    }

    private final Path dir;
    private final Path authorityStore;
    private final Path authorityCert;
    /** Numbers files, since several authorities may share a directory. */
    private static final AtomicInteger FILES = new AtomicInteger();

    private TestCertificates(Path dir, Path authorityStore, Path authorityCert) {
        this.dir = dir;
        this.authorityStore = authorityStore;
        this.authorityCert = authorityCert;
    }

    /** A new certificate authority named {@code name}, keeping its files in {@code dir}. */
    public static TestCertificates authority(Path dir, String name) throws Exception {
        Path store = dir.resolve(fileName(name) + "-ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30",
                "-dname", "CN=" + name, "-ext", "bc:c", "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD);
        Path cert = dir.resolve(fileName(name) + "-ca.crt");
        Files.writeString(cert, pem("CERTIFICATE", load(store).getCertificate("ca").getEncoded()));
        return new TestCertificates(dir, store, cert);
    }

    /** The authority's own certificate (PEM): what a {@code ca-file} holds to trust what it issues. */
    public Path certificate() {
        return authorityCert;
    }

    /** A server certificate for DNS name {@code host}, valid from an hour ago for two days. */
    public Pair issue(String host) throws Exception {
        return issue(host, "-1H", 2);
    }

    /**
     * A server certificate for DNS name {@code host}.
     *
     * @param start keytool's {@code -startdate} relative form, e.g. {@code -10d} for ten days ago
     * @param validityDays how long it is valid from {@code start}
     */
    public Pair issue(String host, String start, int validityDays) throws Exception {
        String base = fileName(host) + "-" + FILES.incrementAndGet();
        Path store = dir.resolve(base + ".p12");
        keytool("-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + host,
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path request = dir.resolve(base + ".csr");
        keytool("-certreq", "-alias", "leaf", "-keystore", store.toString(), "-storepass", PASSWORD,
                "-file", request.toString());
        Path cert = dir.resolve(base + ".crt");
        keytool("-gencert", "-alias", "ca", "-keystore", authorityStore.toString(), "-storepass", PASSWORD,
                "-infile", request.toString(), "-outfile", cert.toString(), "-rfc", "-ext", "SAN=dns:" + host,
                "-startdate", start, "-validity", Integer.toString(validityDays));
        return new Pair(cert, writeKey(dir, load(store), base));
    }

    /** A self-signed certificate for DNS name {@code host}, valid from now for a few days. */
    public static Pair selfSigned(Path dir, String host) throws Exception {
        String base = fileName(host) + "-self-" + FILES.incrementAndGet();
        Path store = dir.resolve(base + ".p12");
        keytool("-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + host, "-ext", "SAN=dns:" + host, "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        KeyStore keys = load(store);
        Path cert = dir.resolve(base + ".crt");
        Files.writeString(cert, pem("CERTIFICATE", keys.getCertificate("leaf").getEncoded()));
        return new Pair(cert, writeKey(dir, keys, base));
    }

    private static Path writeKey(Path dir, KeyStore keys, String base) throws Exception {
        Path key = dir.resolve(base + ".key");
        Files.writeString(key, pem("PRIVATE KEY", keys.getKey("leaf", PASSWORD.toCharArray()).getEncoded()));
        restrict(key);
        return key;
    }

    private static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9.-]", "_");
    }

    private static KeyStore load(Path store) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD.toCharArray());
        }
        return keys;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }

    /** PEM text of DER bytes, e.g. type {@code CERTIFICATE} or {@code PRIVATE KEY}. */
    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Makes {@code file} readable and writable by its owner only. */
    public static void restrict(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
}
