package dev.tandem.proxy.mirror;

import static dev.tandem.testing.Eventually.eventually;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.ChunkHypertables;
import dev.tandem.proxy.capture.TransactionCodec;
import dev.tandem.proxy.config.RetryConfig;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.OnFull;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolSettings;
import dev.tandem.testing.PgServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A spool in a temporary directory and an applier on it, pointed at the harness's target server. */
final class MirrorFixture implements AutoCloseable {

    static final String INSTANCE = "test-proxy";
    static final long COMMITTED_AT = 1_700_000_000_000L;

    private final Path dir;
    private final PgServer target;
    private final boolean markDualWriteStart;
    private final boolean redactSql;
    private final int groupTransactions;
    private final Map<String, String> databases;
    private final PgServer source;
    private final FsyncPolicy fsync;
    private TableFilter tables = TableFilter.allHypertables();
    private Duration slowAnswer = MirrorSettings.SLOW_ANSWER;
    private Duration lockTimeout = Duration.ZERO;
    private Duration statementTimeout = Duration.ZERO;
    private TlsMode targetTls = TlsMode.DISABLE;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ChunkHypertables chunks;
    Spool spool;
    MirrorApplier applier;

    MirrorFixture(Path dir, PgServer target) {
        this(dir, target, FsyncPolicy.NEVER);
    }

    /** @param fsync the spool's {@code mirror.spool.fsync} */
    MirrorFixture(Path dir, PgServer target, FsyncPolicy fsync) {
        this(dir, target, false, false, MirrorSettings.DEFAULT_GROUP_TRANSACTIONS, Map.of(), null, fsync);
    }

    MirrorFixture(Path dir, PgServer target, boolean markDualWriteStart, boolean redactSql, int groupTransactions) {
        this(dir, target, markDualWriteStart, redactSql, groupTransactions, Map.of());
    }

    /** @param databases {@code target.databases}: source database to target database */
    MirrorFixture(Path dir, PgServer target, boolean markDualWriteStart, boolean redactSql, int groupTransactions,
                  Map<String, String> databases) {
        this(dir, target, markDualWriteStart, redactSql, groupTransactions, databases, null);
    }

    /** @param source the source the applier reads type names from (as with {@code source.user}), or null */
    MirrorFixture(Path dir, PgServer target, boolean markDualWriteStart, boolean redactSql, int groupTransactions,
                  Map<String, String> databases, PgServer source) {
        this(dir, target, markDualWriteStart, redactSql, groupTransactions, databases, source, FsyncPolicy.NEVER);
    }

    private MirrorFixture(Path dir, PgServer target, boolean markDualWriteStart, boolean redactSql,
                          int groupTransactions, Map<String, String> databases, PgServer source, FsyncPolicy fsync) {
        this.fsync = fsync;
        this.source = source;
        this.databases = databases;
        this.dir = dir;
        this.target = target;
        this.markDualWriteStart = markDualWriteStart;
        this.redactSql = redactSql;
        this.groupTransactions = groupTransactions;
        this.chunks = new ChunkHypertables(sourceConfig());
        openSpool();
        applier = newApplier();
    }

    /** Says in the log that the target has not answered after {@code wait}, not the default 30 s; before the start. */
    MirrorFixture slowAnswer(Duration wait) {
        slowAnswer = wait;
        applier.close();
        applier = newApplier();
        return this;
    }

    /** Applies as with {@code mirror.lock-timeout} = {@code wait} (by default none); before the start. */
    MirrorFixture lockTimeout(Duration wait) {
        lockTimeout = wait;
        applier.close();
        applier = newApplier();
        return this;
    }

    /** Applies as with {@code mirror.statement-timeout} = {@code limit} (by default none); before the start. */
    MirrorFixture statementTimeout(Duration limit) {
        statementTimeout = limit;
        applier.close();
        applier = newApplier();
        return this;
    }

    /** Connects to the target as with {@code target.tls} = {@code mode} (by default disable); before the start. */
    MirrorFixture targetTls(TlsMode mode) {
        targetTls = mode;
        applier.close();
        applier = newApplier();
        return this;
    }

    /** Applies as with {@code mirror.tables} = {@code filter} (by default every hypertable); before the start. */
    MirrorFixture mirroring(TableFilter filter) {
        tables = filter;
        applier.close();
        applier = newApplier();
        return this;
    }

    void openSpool() {
        spool = Spool.open(new SpoolSettings(dir, 64L << 20, 64L << 10, fsync, Duration.ofSeconds(1),
                OnFull.BLOCK));
    }

    MirrorSettings settings() {
        TargetConfig targetConfig = new TargetConfig(target.host(), target.port(), target.user(), "UNUSED_ENV",
                target.password().isEmpty() ? Optional.empty()
                        : Optional.of(dev.tandem.proxy.config.Secret.of(target.password())),
                targetTls, databases, Duration.ofSeconds(5), Optional.empty());
        return new MirrorSettings(INSTANCE, targetConfig, new RetryConfig(Duration.ofMillis(50),
                Duration.ofMillis(400)), redactSql, markDualWriteStart, groupTransactions,
                MirrorSettings.DEFAULT_GROUP_BYTES, Duration.ZERO, Map.of(), sourceConfig(), tables, slowAnswer,
                lockTimeout, statementTimeout, false);
    }

    private SourceConfig sourceConfig() {
        return source == null ? null : new SourceConfig(source.host(), source.port(), TlsMode.DISABLE,
                Optional.of(source.user()), "UNUSED_ENV", source.password().isEmpty() ? Optional.empty()
                        : Optional.of(dev.tandem.proxy.config.Secret.of(source.password())),
                Duration.ofSeconds(5), Optional.empty());
    }

    MirrorApplier newApplier() {
        return new MirrorApplier(spool, settings(), registry, Transport.choose("auto"), chunks);
    }

    SpoolPosition append(CapturedTransaction tx) throws Exception {
        return spool.writer().append(TransactionCodec.encode(tx)).get(30, TimeUnit.SECONDS);
    }

    void awaitApplied(SpoolPosition position) throws Exception {
        applier.awaitApplied(position).get(60, TimeUnit.SECONDS);
    }

    double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    static CapturedTransaction tx(String database, CapturedStatement... statements) {
        return tx(database, List.of(), statements);
    }

    static CapturedTransaction tx(String database, List<String> searchPath, CapturedStatement... statements) {
        return new CapturedTransaction(database, "app", 42, searchPath, COMMITTED_AT, List.of(statements));
    }

    static CapturedStatement.Simple simple(String table, long rows, String sql) {
        return new CapturedStatement.Simple(new TableName("public", table), rows, sql);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Polls until the condition holds; fails after a generous deadline (a hang, not a slow run). */

    /** Closes the applier, the chunks' hypertables it asked and the spool, in that order. */
    @Override
    public void close() {
        try {
            applier.close();
        } finally {
            chunks.close();
            spool.close();
        }
    }
}
