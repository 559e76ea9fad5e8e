package dev.tandem.protocol.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how {@link PgClient} connects. The password never appears in {@link #toString()}.
 *
 * @param password "" when the server needs none (trust)
 * @param caFile PEM file of the certificate authorities to trust for {@link TlsMode#VERIFY_CA} and
 *     {@link TlsMode#VERIFY_FULL}, and with it {@link TlsMode#REQUIRE} checks the chain too; null means the JDK trust
 *     store
 * @param connectTimeout bounds the TCP connect and, separately, the whole TLS and authentication handshake
 * @param tlsSetting what sets {@code tlsMode}, for the messages of a server that does not meet it (the proxy's
 *     {@code target.tls}); null means {@value #DEFAULT_TLS_SETTING}
 */
public record PgClientConfig(String host, int port, String database, String user, String password, TlsMode tlsMode,
                             Path caFile, Duration connectTimeout, String applicationName, String tlsSetting) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final String DEFAULT_APPLICATION_NAME = "tandem";
    public static final String DEFAULT_TLS_SETTING = "tls mode";

    public PgClientConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(tlsMode, "tlsMode");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1 to 65535, not " + port);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive, not " + connectTimeout);
        }
        password = password == null ? "" : password;
        applicationName = applicationName == null ? DEFAULT_APPLICATION_NAME : applicationName;
        tlsSetting = tlsSetting == null ? DEFAULT_TLS_SETTING : tlsSetting;
    }

    /** A config with TLS {@link TlsMode#PREFER} (libpq's default), the default timeout and application name. */
    public static PgClientConfig of(String host, int port, String database, String user, String password) {
        return new PgClientConfig(host, port, database, user, password, TlsMode.PREFER, null,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_APPLICATION_NAME, DEFAULT_TLS_SETTING);
    }

    public PgClientConfig withTls(TlsMode mode, Path trustedCaFile) {
        return new PgClientConfig(host, port, database, user, password, mode, trustedCaFile, connectTimeout,
                applicationName, tlsSetting);
    }

    public PgClientConfig withDatabase(String name) {
        return new PgClientConfig(host, port, name, user, password, tlsMode, caFile, connectTimeout, applicationName,
                tlsSetting);
    }

    public PgClientConfig withUser(String name, String newPassword) {
        return new PgClientConfig(host, port, database, name, newPassword, tlsMode, caFile, connectTimeout,
                applicationName, tlsSetting);
    }

    public PgClientConfig withConnectTimeout(Duration timeout) {
        return new PgClientConfig(host, port, database, user, password, tlsMode, caFile, timeout, applicationName,
                tlsSetting);
    }

    public PgClientConfig withApplicationName(String name) {
        return new PgClientConfig(host, port, database, user, password, tlsMode, caFile, connectTimeout, name,
                tlsSetting);
    }

    @Override
    public String toString() {
        return "PgClientConfig[" + user + "@" + host + ":" + port + "/" + database + ", tls=" + tlsMode.configName()
                + (caFile != null ? ", ca=" + caFile : "") + ", connectTimeout=" + connectTimeout
                + ", applicationName=" + applicationName + "]";
    }
}
