package dev.tandem.proxy;

import dev.tandem.protocol.client.PgException;
import dev.tandem.proxy.admin.AdminActions;
import dev.tandem.proxy.admin.AdminConfig;
import dev.tandem.proxy.admin.AdminMetrics;
import dev.tandem.proxy.admin.AdminRequestException;
import dev.tandem.proxy.admin.AdminServer;
import dev.tandem.proxy.admin.AdminToken;
import dev.tandem.proxy.admin.ReadinessCheck;
import dev.tandem.proxy.config.MirrorMode;
import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import dev.tandem.proxy.relay.ProxyServer;
import dev.tandem.proxy.relay.RelayMetrics;
import dev.tandem.proxy.relay.RelaySettingsFactory;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.AppendClock;
import dev.tandem.proxy.spool.Spool;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Tandem proxy: every component built from one {@link ProxyConfig}, started in order (mirror, relay,
 * admin). A stop closes the relay, drains the mirror while the admin endpoint still answers (so that an operator sees
 * the drain in {@code /status}), then closes the admin endpoint and the rest of the mirror.
 */
public final class ProxyApplication implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyApplication.class);

    private static final String UNDEFINED_DATABASE = "3D000";

    private final ProxyConfig config;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private AutoCloseable jvmMetrics;
    private MirrorRuntime mirror;
    /** Null once closed, which a {@code /status} of a draining proxy may see. */
    private volatile ProxyServer relay;
    private AdminServer admin;
    private int ioThreads;
    /** Set once a stop has begun: {@code /status} says the proxy is draining, {@code /ready} that it is not ready. */
    private volatile boolean stopping;

    public ProxyApplication(ProxyConfig config) {
        this.config = config;
        registry.config().commonTags("proxy_instance", config.instanceId());
    }

    /** Event-loop threads for the relay; 0 = one per two cores. */
    public ProxyApplication ioThreads(int threads) {
        this.ioThreads = threads;
        return this;
    }

    /**
     * A proxy started with the mirror off on a spool that still holds transactions (a restart from async or sync
     * with a backlog) leaves them there: the operator learns it now, not when the mirror is turned on again.
     */
    private void warnOfSpoolLeft() throws IOException {
        long held = Spool.heldBytes(config.mirror().spool().dir());
        if (held > 0) {
            log.warn("mirror.mode is off, and the spool {} still holds {} bytes of spooled transactions, those the"
                    + " target has not applied among them: they stay there, and are applied when instance '{}' runs"
                    + " with mirror.mode async or sync on this spool again; what is relayed while the mode is off is"
                    + " not mirrored",
                    config.mirror().spool().dir(), held, config.instanceId());
        }
    }

    public ProxyApplication start(Transport transport) throws Exception {
        config.warnings().forEach(log::warn);
        jvmMetrics = AdminMetrics.bindJvm(registry);
        AdminMetrics.bindNettyAllocators(registry);
        try {
            if (config.mirror().mode() != MirrorMode.OFF) {
                mirror = new MirrorRuntime(config, registry, transport);
                mirror.clearStopMarks();
            } else {
                warnOfSpoolLeft();
            }
            relay = new ProxyServer(RelaySettingsFactory.from(config, transport, ioThreads), new RelayMetrics(registry),
                    mirror == null ? null : mirror.taps()).start();
            admin = new AdminServer(adminConfig(), registry, readinessChecks(), this::status, actions());
            admin.start();
            log.info("admin endpoint on http://{}:{}/ (metrics, health, ready, status)",
                    config.admin().listen().host(), admin.port());
            return this;
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private AdminConfig adminConfig() {
        Optional<AdminToken> token = config.admin().token().map(secret -> AdminToken.of(secret.reveal()));
        return AdminConfig.defaults().withListen(config.admin().listen().host(), config.admin().listen().port())
                .withToken(token).withAllowedHosts(config.admin().allowedHosts());
    }

    private List<ReadinessCheck> readinessChecks() {
        List<ReadinessCheck> checks = new ArrayList<>();
        checks.add(ReadinessCheck.of("relay", () -> stopping
                ? ReadinessCheck.Result.notReady("the proxy is stopping: its relay is closed")
                : ReadinessCheck.Result.ready("accepting client connections")));
        checks.add(ReadinessCheck.tcpConnect("source", config.source().host(), config.source().port(),
                Duration.ofSeconds(2)));
        if (mirror != null) {
            checks.add(ReadinessCheck.tcpConnect("target", config.target().host(), config.target().port(),
                    Duration.ofSeconds(2)));
        }
        return checks;
    }

    private AdminActions actions() {
        if (mirror == null) {
            return AdminActions.MIRROR_OFF;
        }
        return new AdminActions() {
            @Override
            public Object pauseMirror() {
                mirror.applier().pause();
                return Map.of("paused", true);
            }

            @Override
            public Object resumeMirror() {
                mirror.applier().resume();
                return Map.of("paused", false);
            }

            /** A named database is the clients' (source) one: its mark belongs in the database it is mirrored into. */
            @Override
            public Object markDualWrite(Optional<String> database) throws Exception {
                Set<String> databases = database.map(db -> Set.of(config.target().targetDatabase(db)))
                        .orElseGet(mirror::targetDatabases);
                if (databases.isEmpty()) {
                    throw new AdminRequestException(409, "no client session has used a database yet: name one with"
                            + " {\"database\": \"...\"}");
                }
                // all at once: the admin request's deadline (limits the wait, by interrupting it) covers one round
                // trip, not one per database
                Map<String, CompletableFuture<Void>> marks = new LinkedHashMap<>();
                for (String db : databases) {
                    marks.put(db, mirror.applier().dualWriteMarks().mark(db));
                }
                for (Map.Entry<String, CompletableFuture<Void>> mark : marks.entrySet()) {
                    try {
                        mark.getValue().get();
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof PgException pg && UNDEFINED_DATABASE.equals(pg.sqlState())) {
                            throw new AdminRequestException(404, "database '" + mark.getKey() + "' does not exist"
                                    + " on the target (source databases are mirrored into target.databases' mapping,"
                                    + " else the same name); nothing was marked there");
                        }
                        throw e;
                    }
                }
                return Map.of("marked", databases);
            }
        };
    }

    /** The {@code GET /status} document. */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("instance", config.instanceId());
        // the mirror's drain at a stop may take up to shutdown.mirror-drain: pendingTransactions shows it progress
        status.put("state", stopping ? "draining" : "running");
        status.put("mode", config.mirror().mode().configValue());
        status.put("source", config.source().host() + ":" + config.source().port());
        ProxyServer open = relay;
        status.put("activeConnections", open == null ? 0 : open.activeConnections());
        if (mirror != null) {
            var stats = mirror.spool().stats();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", config.target().host() + ":" + config.target().port());
            m.put("paused", mirror.applier().isPaused());
            m.put("targetUp", mirror.applier().targetUp());
            m.put("failure", mirror.applier().failure().orElse(null));
            m.put("parkedDatabases", mirror.applier().parkedDatabases());
            m.put("appliedSequence", mirror.applier().appliedSequenceShown());
            m.put("spooledSequence", stats.lastSequence());
            m.put("pendingTransactions", stats.pendingRecords());
            m.put("pendingBytes", stats.pendingBytes());
            m.put("lagSeconds", stats.lag(AppendClock.SYSTEM.now()).toMillis() / 1000.0);
            m.put("lagByDatabase", mirror.applier().lagByDatabase());
            m.put("spoolBytes", stats.bytesOnDisk());
            m.put("databases", mirror.targetDatabases());
            m.put("stillMarkedStopped", mirror.applier().stillMarkedStopped());
            m.put("spoolRecordsLostUnledgered", mirror.spoolRecordsLostUnledgered().stream().map(loss -> {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("firstSequence", loss.firstSequence());
                l.put("lastSequence", loss.lastSequence());
                l.put("appendedAfter", loss.after() == null ? null : loss.after().toString());
                l.put("appendedBefore", loss.before().toString());
                return l;
            }).toList());
            m.put("dualWrite", dualWrite(mirror.targetDatabases()));
            status.put("mirror", m);
        }
        return status;
    }

    /** Per target database, the dual-write start as recorded on the target (first mirrored commit and the mark). */
    private Map<String, Object> dualWrite(Set<String> databases) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String db : databases) {
            try (Connection c = ServerJdbc.target(config.target(), db); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT first_mirrored_at, marked_at, marked_by FROM tandem.dual_write"
                         + " WHERE database = current_database()")) {
                Map<String, Object> row = new LinkedHashMap<>();
                if (rs.next()) {
                    row.put("firstMirroredAt", instant(rs, 1));
                    row.put("markedAt", instant(rs, 2));
                    row.put("markedBy", rs.getString(3));
                }
                out.put(db, row);
            } catch (SQLException e) {
                out.put(db, Map.of("error", "target unavailable: " + e.getMessage()));
            }
        }
        return out;
    }

    /**
     * ISO 8601 with its offset: a {@code java.sql.Timestamp} prints in the proxy JVM's zone without saying which, so
     * it could not be compared with the {@code tandem.dual_write} row psql shows or a backfill's {@code --until}.
     */
    private static String instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toString();
    }

    public InetSocketAddress relayAddress() {
        return relay.address();
    }

    public int adminPort() {
        return admin.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Reads the target's time columns of {@code sourceDatabase}'s tables now, and with {@code source.user} the source's
     * order of their columns, blocking: the sessions' look-up runs in the background, and a test that stops the target
     * must know it is done first. Nothing when mirroring is off.
     */
    public void lookUpTimeColumns(String sourceDatabase) {
        if (mirror != null) {
            mirror.lookUpTimeColumns(sourceDatabase);
        }
    }

    /**
     * Waits until the look-ups of the source's catalog asked for so far (a session's login asks for its database's)
     * have run: a test whose scenario needs the proxy not to learn of a table in its middle. Nothing when mirroring is
     * off or without {@code source.user}.
     */
    public void awaitSourceCatalog() throws InterruptedException {
        if (mirror != null) {
            mirror.awaitSourceCatalog();
        }
    }

    /** True when mirroring is off, or everything committed so far has been applied on the target. */
    public boolean mirrorCaughtUp() {
        return mirror == null || mirror.caughtUp();
    }

    @Override
    public void close() {
        stopping = true;
        if (relay != null) {
            relay.close();
            relay = null;
        }
        if (mirror != null) {
            mirror.drain();
        }
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (mirror != null) {
            mirror.close();
            mirror = null;
        }
        if (jvmMetrics != null) {
            try {
                jvmMetrics.close();
            } catch (Exception e) {
                log.debug("closing JVM metrics", e);
            }
        }
        registry.close();
    }
}
