package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Committed source transactions the mirror could not keep (spool full in {@code shed} mode, or the spool failed):
 * each is written to the target's divergence ledger so {@code tandem-backfill repair} can re-copy, and is never lost
 * silently. Gaps wait in memory until the target takes them; the ledger rows carry the commit time so an operator
 * can find the range.
 */
public final class ShedLedger implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ShedLedger.class);

    /** One transaction that did not reach the spool. */
    record Gap(String targetDatabase, CapturedTransaction transaction, String reason) {
    }

    private final TargetConfig target;
    private final String instanceId;
    private final MeterRegistry registry;
    private final Counter shed;
    private final ConcurrentLinkedQueue<Gap> gaps = new ConcurrentLinkedQueue<>();
    /** Gaps recorded and not yet in the ledger, including those being written right now. */
    private final AtomicInteger unwritten = new AtomicInteger();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tandem-shed-ledger");
        t.setDaemon(true);
        return t;
    });

    public ShedLedger(TargetConfig target, String instanceId, MeterRegistry registry, Duration flushInterval) {
        this.target = target;
        this.instanceId = instanceId;
        this.registry = registry;
        this.shed = Counter.builder("tandem.spool.shed.transactions")
                .description("Committed transactions dropped because the spool was full (on-full: shed) or failed")
                .register(registry);
        writer.scheduleWithFixedDelay(this::flush, flushInterval.toMillis(), flushInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Records a transaction the spool did not take; returns at once (callers may be on an event loop). */
    public void record(CapturedTransaction tx, String reason) {
        shed.increment();
        unwritten.incrementAndGet();
        gaps.add(new Gap(target.targetDatabase(tx.database()), tx, reason));
        log.error("a committed transaction of session {} ({} statement(s) into {}) was not spooled: {}; it is recorded in"
                + " the divergence ledger for tandem-backfill repair", tx.sessionId(), tx.statements().size(),
                tables(tx), reason);
    }

    public int waiting() {
        return unwritten.get();
    }

    /** Writes waiting gaps to the target; those it cannot write wait for the next round. */
    public synchronized void flush() {
        List<Gap> batch = new ArrayList<>();
        Gap g;
        while ((g = gaps.poll()) != null) {
            batch.add(g);
        }
        List<Gap> failed = new ArrayList<>();
        for (Gap gap : batch) {
            try {
                write(gap);
                unwritten.decrementAndGet();
            } catch (SQLException e) {
                failed.add(gap);
                log.debug("cannot write a ledger entry to target database {} yet: {}", gap.targetDatabase(), e.getMessage());
            }
        }
        gaps.addAll(failed);
    }

    private void write(Gap gap) throws SQLException {
        try (Connection c = ServerJdbc.target(target, gap.targetDatabase())) {
            try (Statement s = c.createStatement()) {
                s.execute(TandemSchema.ddl());
            }
            c.setAutoCommit(false);
            Set<TableName> tables = tableSet(gap.transaction());
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO tandem.divergence (recorded_at, instance_id,"
                    + " database, session, table_schema, table_name, sqlstate, message, statement)"
                    + " VALUES (to_timestamp(? / 1000.0), ?, ?, ?, ?, ?, NULL, ?, NULL)")) {
                for (TableName table : tables) {
                    insert.setLong(1, gap.transaction().committedAt());
                    insert.setString(2, instanceId);
                    insert.setString(3, gap.targetDatabase());
                    insert.setString(4, Long.toString(gap.transaction().sessionId()));
                    insert.setString(5, table.schema());
                    insert.setString(6, table.name());
                    insert.setString(7, "not mirrored: " + gap.reason() + " (committed on the source at this time)");
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            c.commit();
        }
        // counted once committed: a write that fails is retried, and must not count its rows again
        for (TableName table : tables) {
            Counter.builder("tandem.ledger.entries").tag("table", table.toString()).tag("reason", "shed")
                    .register(registry).increment();
        }
    }

    private static Set<TableName> tableSet(CapturedTransaction tx) {
        Set<TableName> tables = new LinkedHashSet<>();
        tx.statements().forEach(s -> tables.add(s.table()));
        return tables;
    }

    private static String tables(CapturedTransaction tx) {
        return tableSet(tx).toString();
    }

    @Override
    public void close() {
        writer.shutdown();
        flush();
        if (!gaps.isEmpty()) {
            log.error("{} committed transaction(s) that were not spooled could not be written to the divergence ledger"
                    + " before shutdown; run tandem-backfill verify over the affected tables", gaps.size());
        }
    }
}
