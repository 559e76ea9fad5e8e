package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.TableName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the capture counts: statements by kind, writes to mirrored tables that are not mirrored, non-deterministic
 * INSERTs, upserts whose commit order is uncertain, prepared transactions, search_paths the source contradicted.
 * Each (table, kind) of an unmirrored write is also logged once, since each breaks an assumption of the dual-write
 * method. A write naming a partition counts under the root of its partition tree (the {@code rows} table the callers
 * pass), so thousands of partitions keep the series of one table, unless {@code admin.metrics-per-partition}; the log
 * names the partition.
 */
public final class CaptureMetrics {

    private static final Logger log = LoggerFactory.getLogger(CaptureMetrics.class);

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final Counter prepared;
    private final Counter pathContradicted;
    /** One counter per statement kind, made up front: this is counted for every statement of every session. */
    private final Map<ClassifiedStatement.Kind, Counter> statements = new EnumMap<>(ClassifiedStatement.Kind.class);
    private final boolean perPartition;

    /** Counting a partition's writes under the root of its partition tree. */
    public CaptureMetrics(MeterRegistry registry) {
        this(registry, false);
    }

    /** @param perPartition {@code admin.metrics-per-partition}: a partition's writes count under its own name */
    public CaptureMetrics(MeterRegistry registry, boolean perPartition) {
        this.registry = registry;
        this.perPartition = perPartition;
        this.prepared = Counter.builder("tandem.prepared.transactions")
                .description("PREPARE TRANSACTION seen: two-phase transactions are not mirrored").register(registry);
        this.pathContradicted = Counter.builder("tandem.search.path.contradicted")
                .description("ReadyForQuery at which the source (PostgreSQL 18 and later) reported a search_path"
                        + " other than the one the proxy had followed").register(registry);
        for (ClassifiedStatement.Kind kind : ClassifiedStatement.Kind.values()) {
            statements.put(kind, Counter.builder("tandem.statements").tag("kind", label(kind))
                    .description("Statements clients sent, by class").register(registry));
        }
    }

    void statement(ClassifiedStatement s) {
        statements.get(s.kind()).increment();
    }

    private static String label(ClassifiedStatement.Kind k) {
        return switch (k) {
            case INSERT -> "insert";
            case COPY_FROM_STDIN -> "copy_from";
            case COPY_FROM_SERVER -> "copy_from_file";
            case COPY_OTHER -> "copy_to";
            case SELECT -> "select";
            case UPDATE -> "update";
            case DELETE -> "delete";
            case TRUNCATE -> "truncate";
            case MERGE -> "merge";
            case DDL -> "ddl";
            case TRANSACTION -> "transaction";
            default -> "other";
        };
    }

    /** A write the mirror does not replay into a TimescaleDB chunk whose hypertable the proxy cannot name. */
    void unmirroredChunkWrite(TableName chunk, String kind, long times) {
        counter("tandem.unmirrored.writes", "table", chunk.toString(), "kind", kind).increment(times);
        if (warned.add(chunk + "/" + kind)) {
            log.warn("{} on TimescaleDB chunk {} is not mirrored to the target (the target's chunks have other names):"
                    + " if its hypertable is mirrored, the two will differ until 'tandem-backfill verify' and 'repair'"
                    + " (logged once per chunk and kind)", kind.toUpperCase(Locale.ROOT).replace('_', ' '), chunk);
        }
    }

    void unmirroredWrite(TableName table, String kind, long times) {
        unmirroredWrite(table, table, kind, times);
    }

    /** @param rows the table whose rows {@code table} holds: the root of its partition tree, or itself */
    void unmirroredWrite(TableName table, TableName rows, String kind, long times) {
        counter("tandem.unmirrored.writes", "table", counted(table, rows), "kind", kind).increment(times);
        if (!warned.add(table + "/" + kind)) {
            return;
        }
        if (kind.equals("unknown_prepared")) {
            log.warn("a prepared statement the proxy never saw being made (a PREPARE run inside a function or DO block,"
                    + " by EXECUTE format('PREPARE ...') say) wrote rows: the proxy cannot tell into which table, so"
                    + " they were not mirrored; if it is a mirrored table, the two will differ until 'tandem-backfill"
                    + " verify' and 'repair'. Counted in tandem_unmirrored_writes_total{table=\"?\","
                    + "kind=\"unknown_prepared\"} (logged once)");
        } else if (kind.equals("create_partition")) {
            log.warn("a partition of mirrored table {} was created on the source: create the same partition on the"
                    + " target (CREATE TABLE ... PARTITION OF) before rows reach it, or they are ledgered there"
                    + " (logged once per table)", table);
        } else if (kind.equals("ddl")) {
            log.warn("DDL on mirrored table {} (ALTER, DROP, CREATE INDEX, ...) is not mirrored to the target: make the"
                    + " same change there. Until then, mirrored rows that need it (a column added on the source only"
                    + " say) fail on the target and are ledgered in tandem.divergence; after the change,"
                    + " 'tandem-backfill repair' re-copies them (logged once per table)", table);
        } else {
            log.warn("{} on mirrored table {} is not mirrored to the target: the two will differ until "
                    + "'tandem-backfill verify' and 'repair' (logged once per table and kind)", described(kind),
                    table);
        }
    }

    /** An unmirrored write's kind as the log names it. */
    private static String described(String kind) {
        if (kind.equals("insert_select")) {
            // the kind applications are surprised by: a lookup in a VALUES row reads the table it runs against
            return "INSERT ... SELECT (or an INSERT whose VALUES hold a sub-SELECT: it would read the target's"
                    + " data)";
        }
        return kind.toUpperCase(Locale.ROOT).replace('_', ' ');
    }

    /** @param rows the table whose rows {@code table} holds: the root of its partition tree, or itself */
    void nonDeterministicInsert(TableName table, TableName rows, Set<String> functions, long times) {
        counter("tandem.nondeterministic.inserts", "table", counted(table, rows)).increment(times);
        if (warned.add(table + "/nondeterministic")) {
            log.warn("INSERT or COPY into mirrored table {} computes values on the server ({}): the target may store"
                    + " different values (logged once per table)", table, String.join(", ", functions));
        }
    }

    /** @param rows the table whose rows {@code table} holds: the root of its partition tree, or itself */
    void commitOrderUncertain(TableName table, TableName rows) {
        counter("tandem.mirror.commit.order.uncertain", "table", counted(table, rows)).increment();
        if (warned.add(table + "/commit-order")) {
            log.warn("sessions commit INSERT ... ON CONFLICT DO UPDATE into mirrored table {} at the same time: the proxy"
                    + " cannot tell which committed first on the source, so for a key several of them updated the"
                    + " target may keep another one's values; compare the table with 'tandem-backfill verify' before"
                    + " the cutover (counted in tandem_mirror_commit_order_uncertain_total, logged once per table)",
                    table);
        }
    }

    private String counted(TableName table, TableName rows) {
        return (perPartition ? table : rows).toString();
    }

    /** The source reported a search_path the session's writes were not resolved under (see {@link SessionCapture}). */
    void searchPathContradicted() {
        pathContradicted.increment();
    }

    void preparedTransaction() {
        prepared.increment();
        if (warned.add("prepared-transaction")) {
            log.warn("PREPARE TRANSACTION seen: two-phase transactions are not mirrored (logged once)");
        }
    }

    /**
     * Forgets the counters of tables dropped from the target ({@code table} label values), which the caller removed
     * from the registry: a table written again afterwards gets new ones instead of counting into removed ones.
     */
    public void forgetTables(Set<String> tables) {
        counters.values().removeIf(c -> tables.contains(c.getId().getTag("table")));
    }

    private Counter counter(String name, String... tags) {
        String key = name + String.join("|", tags);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).tags(tags).register(registry));
    }
}
