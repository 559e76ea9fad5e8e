package dev.tandem.proxy.config;

import java.nio.file.Path;

/**
 * The certificate chain and private key (PEM) the proxy presents to clients that send SSLRequest. Without it the
 * proxy answers SSLRequest with 'N' and clients continue in plain text or give up, as their sslmode says.
 */
public record ClientTlsConfig(Path cert, Path key) {
}
