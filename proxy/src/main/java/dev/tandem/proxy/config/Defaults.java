package dev.tandem.proxy.config;

import dev.tandem.protocol.frame.StartupCodes;

/**
 * Every default of {@code tandem.yaml} in its configuration spelling, shared by the loader and the {@code --help}
 * texts so the two cannot drift apart.
 */
final class Defaults {

    static final String LISTEN = "127.0.0.1:6432";
    static final String SOURCE_HOST = "127.0.0.1";
    static final int SOURCE_PORT = 5432;
    static final String SOURCE_TLS = "prefer";
    static final String SOURCE_PASSWORD_ENV = "TANDEM_SOURCE_PASSWORD";
    static final String CONNECT_TIMEOUT = "10s";
    static final String TARGET_HOST = "127.0.0.1";
    static final int TARGET_PORT = 5433;
    static final String TARGET_USER = "tandem";
    static final String TARGET_PASSWORD_ENV = "TANDEM_TARGET_PASSWORD";
    static final String TARGET_TLS = "prefer";
    static final String MIRROR_MODE = "async";
    static final String SPOOL_DIR = "./tandem-spool";
    static final String SPOOL_MAX_BYTES = "10GiB";
    static final String SPOOL_SEGMENT_BYTES = "64MiB";
    static final String SPOOL_FSYNC = "interval";
    static final String SPOOL_FSYNC_INTERVAL = "1s";
    static final String SPOOL_ON_FULL = "block";
    static final String MAX_TRANSACTION_BYTES = "256MiB";
    static final String MAX_CAPTURED_BYTES = "1GiB";
    static final String SYNC_TIMEOUT = "30s";
    static final String MIRROR_LOCK_TIMEOUT = "5s";
    static final String MIRROR_STATEMENT_TIMEOUT = "10m";
    static final String MIRROR_CATALOG_REFRESH = "1m";
    static final String RETRY_MIN_BACKOFF = "100ms";
    static final String RETRY_MAX_BACKOFF = "30s";
    static final String ADMIN_LISTEN = "127.0.0.1:9187";
    static final String ADMIN_TOKEN_ENV = "TANDEM_ADMIN_TOKEN";
    static final int MAX_CONNECTIONS = 1000;
    static final String MAX_FRAME_BYTES = "1GiB";
    static final String MAX_HELD_BYTES = "2GiB";
    /** PostgreSQL's own limit on a startup packet. */
    static final int MAX_STARTUP_PACKET_BYTES = StartupCodes.MAX_STARTUP_PACKET;
    static final String AUTH_TIMEOUT = "60s";
    static final String IDLE_TIMEOUT = "0";
    static final String DRAIN_TIMEOUT = "5m";
    static final String INSTANCE_ID = "tandem";
    static final String SHUTDOWN_GRACE_PERIOD = "30s";
    static final String SHUTDOWN_MIRROR_DRAIN = "30s";
    static final String VERIFIER_MODE = "auto";
    static final String VERIFIER_INTERVAL = "60s";
    static final String VERIFIER_LOOKBACK = "1h";
    static final String VERIFIER_BUCKET = "5m";
    static final String VERIFIER_MARGIN = "1m";
    static final String VERIFIER_STATEMENT_TIMEOUT = "10s";

    private Defaults() {
    }
}
