package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.MirrorMode;
import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.config.RetryConfig;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TargetConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What the {@link MirrorApplier} needs from the configuration.
 *
 * @param instanceId            keys this proxy's row in {@code tandem.mirror_progress} and its ledger entries
 * @param redactSql             store {@code <redacted>} instead of the statement and of the target's error message
 *                              (it quotes refused values) in the ledger
 * @param markDualWriteStart    {@code mirror.mark-dual-write-start}: set a database's dual-write mark at its first
 *                              mirrored commit when no mark is set yet
 * @param maxGroupTransactions  most source transactions applied together in one target transaction
 * @param maxGroupBytes         rough cap on the spooled bytes of one group (a single larger transaction still goes)
 * @param groupLinger           how long a group waits for more queued transactions once it has one: a few
 *                              milliseconds of lag in async mode buy groups large enough to keep up; zero in sync
 *                              mode, where clients wait for the group and arrive while the previous one applies
 * @param timeColumns           {@code verifier.time-columns}: the time column of plain tables, for ledger ranges
 * @param source                the source's configuration, whose {@code source.user} (when set) lets the applier
 *                              read user-defined types' names from the source's catalog; may be null
 * @param tables                {@code mirror.tables}: decides the tables captured before the target's catalog was
 *                              known (hypertables, partitions)
 * @param slowAnswer            how long the applier waits for the target's answer to a group before it says so in
 *                              the log (and again each time as long again): a lock on a mirrored table holds the
 *                              mirror back without an error, and the lag alone does not say why
 * @param lockTimeout           {@code mirror.lock-timeout}: the target's {@code lock_timeout} for the mirror's
 *                              connections, after which a group waiting for a lock fails (55P03) and its database is
 *                              parked, so that a lock in one target database does not hold up the others; zero
 *                              waits as long as the lock is held
 * @param statementTimeout      {@code mirror.statement-timeout}: the target's {@code statement_timeout} for the
 *                              mirror's connections, after which a replayed statement is cancelled (57014) and its
 *                              database parked, so that a slow replay in one target database does not hold up the
 *                              others; the transaction is then applied alone, and ledgered once it timed out alone
 *                              {@link MirrorApplier#TIMEOUTS_BEFORE_LEDGER} times; zero lets it run as long as it
 *                              takes
 * @param metricsPerPartition   {@code admin.metrics-per-partition}: a write naming a partition counts under the
 *                              partition's name in the mirror's metrics, not under the root of its partition tree
 */
public record MirrorSettings(String instanceId, TargetConfig target, RetryConfig retry, boolean redactSql,
                             boolean markDualWriteStart, int maxGroupTransactions, long maxGroupBytes,
                             Duration groupLinger, Map<TableName, String> timeColumns, SourceConfig source,
                             TableFilter tables, Duration slowAnswer, Duration lockTimeout,
                             Duration statementTimeout, boolean metricsPerPartition) {

    public static final int DEFAULT_GROUP_TRANSACTIONS = 2048;
    public static final long DEFAULT_GROUP_BYTES = 8L << 20;
    public static final Duration ASYNC_GROUP_LINGER = Duration.ofMillis(5);
    public static final Duration SLOW_ANSWER = Duration.ofSeconds(30);

    public MirrorSettings {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(groupLinger, "groupLinger");
        Objects.requireNonNull(tables, "tables");
        Objects.requireNonNull(slowAnswer, "slowAnswer");
        Objects.requireNonNull(lockTimeout, "lockTimeout");
        Objects.requireNonNull(statementTimeout, "statementTimeout");
        timeColumns = Map.copyOf(timeColumns);
        if (maxGroupTransactions < 1 || maxGroupBytes < 1 || groupLinger.isNegative()) {
            throw new IllegalArgumentException("mirror group limits must be positive: " + maxGroupTransactions
                    + " transactions, " + maxGroupBytes + " bytes, linger " + groupLinger);
        }
    }

    public static MirrorSettings from(ProxyConfig config) {
        return new MirrorSettings(config.instanceId(), config.target(), config.mirror().retry(),
                config.logging().redactSql(), config.mirror().markDualWriteStart(), DEFAULT_GROUP_TRANSACTIONS,
                DEFAULT_GROUP_BYTES, config.mirror().mode() == MirrorMode.SYNC ? Duration.ZERO : ASYNC_GROUP_LINGER,
                config.verifier().timeColumns(), config.source(), config.mirror().tables(), SLOW_ANSWER,
                config.mirror().lockTimeout(), config.mirror().statementTimeout(),
                config.admin().metricsPerPartition());
    }
}
