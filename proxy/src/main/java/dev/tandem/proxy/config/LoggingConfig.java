package dev.tandem.proxy.config;

/**
 * @param redactSql replace SQL text with a placeholder in debug logs and in the divergence ledger, for deployments
 *                  where statements carry personal data
 */
public record LoggingConfig(boolean redactSql) {
}
