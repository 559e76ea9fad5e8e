package dev.tandem.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The proxy's whole configuration, validated and immutable; built by {@link ConfigLoader} from {@code tandem.yaml},
 * command-line flags and the environment. Its {@code toString} is safe to log: secrets print as {@code ***}.
 *
 * @param tls        client-facing TLS; empty means SSLRequest is answered with 'N'
 * @param instanceId this proxy's name among several behind one load balancer; keys its progress on the target and
 *                   labels its metrics
 * @param verifier   the live divergence verifier
 */
public record ProxyConfig(HostPort listen, SourceConfig source, Optional<ClientTlsConfig> tls, TargetConfig target,
                          MirrorConfig mirror, AdminConfig admin, LimitsConfig limits, LoggingConfig logging,
                          String instanceId, ShutdownConfig shutdown, VerifierConfig verifier) {

    /**
     * Things that are allowed but probably not intended, one line each, for the proxy to log at start-up: a missing
     * target password, a missing admin token, a secret's file open to others, mirroring into the source itself.
     */
    public List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        boolean mirroring = mirror.mode() != MirrorMode.OFF;
        if (mirroring && target.password().isEmpty()) {
            warnings.add("target.password-env: environment variable " + target.passwordEnv()
                    + " is not set; connecting to the target without a password");
        }
        if (source.user().isPresent() && source.password().isEmpty()) {
            warnings.add("source.password-env: environment variable " + source.passwordEnv()
                    + " is not set; the proxy's own source connections use no password");
        }
        if (admin.token().isEmpty()) {
            warnings.add("admin.token-env: environment variable " + admin.tokenEnv()
                    + " is not set; the admin endpoints that change state are disabled");
        }
        target.password().flatMap(Secret::file)
                .flatMap(file -> SecretFilePermissions.warning("target.password-file", file, "the target password"))
                .ifPresent(warnings::add);
        source.password().flatMap(Secret::file)
                .flatMap(file -> SecretFilePermissions.warning("source.password-file", file, "the source password"))
                .ifPresent(warnings::add);
        admin.token().flatMap(Secret::file)
                .flatMap(file -> SecretFilePermissions.warning("admin.token-file", file, "the admin token"))
                .ifPresent(warnings::add);
        if (mirroring && source.address().equals(target.address()) && target.databases().isEmpty()) {
            warnings.add("target: same server as the source (" + target.address()
                    + ") and no target.databases mapping; mirrored rows would be written into the source databases");
        }
        if (mirroring && mirror.tables().includesHypertables()) {
            warnings.add("mirror.tables.include: empty; mirroring every TimescaleDB hypertable and no other table");
        }
        if (verifier.mode() == VerifierMode.ON && source.user().isEmpty()) {
            warnings.add("verifier.enabled: true but source.user is not set; the verifier needs its own source"
                    + " connection and stays off");
        }
        return List.copyOf(warnings);
    }
}
