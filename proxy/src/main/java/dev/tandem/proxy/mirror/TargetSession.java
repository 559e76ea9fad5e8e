package dev.tandem.proxy.mirror;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.client.PgConnection;
import dev.tandem.protocol.client.PgException;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.SearchPath;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
import dev.tandem.protocol.state.Hypertables;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.capture.ChunkNames;
import dev.tandem.proxy.capture.ReplicationRole;
import dev.tandem.proxy.spool.SpoolPosition;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The applier's connection to one target database and what it knows about that database: how far this instance's
 * records were applied there ({@link #appliedBefore()}) and whether {@code tandem.dual_write} already has its
 * first-mirrored time and mark. Used by the applier thread only; every method blocks.
 */
final class TargetSession {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);

    private static final int MAX_PREPARED = 256;
    private static final long TIME_COLUMN_RETRY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String database;
    private final PgConnection connection;
    private final Duration slowAnswer;
    private final Duration lockTimeout;
    private final Duration statementTimeout;
    private SpoolPosition appliedBefore;
    /** The spool epoch of the last applied record; null for none, or stored by a proxy that kept no epochs. */
    private Long appliedEpoch;
    private long appliedSequence;
    private boolean firstMirroredKnown;
    private boolean markKnown;
    private String defaultSearchPath;
    /** {@link #defaultSearchPath} as schema names; null when it does not parse. */
    private List<String> defaultSearchPathSchemas;
    /** The mirror's user here, whose schema {@code $user} means in a path. */
    private String user;
    /** {@link MirrorSchema#FIXED_STATE} as read when the connection opened. */
    private String fixedState;
    /** The connection's {@code session_replication_role} outside any transaction: the mirror's user's own. */
    private ReplicationRole ownReplicationRole;
    /** {@link System#nanoTime()} when this database's {@code caught_up_to} was last moved. */
    private long caughtUpNotedAt = System.nanoTime();
    /** Per table: its time column once found. */
    private final Map<TableName, TimeColumns.Column> timeColumns = new HashMap<>();
    /** Per table without a known time column: when that was last asked ({@link System#nanoTime()}). */
    private final Map<TableName, Long> timeColumnsMissing = new HashMap<>();
    /** Tables whose INSERTs this database refuses to run wrapped to count late rows ({@link LateRows}). */
    private final Set<TableName> lateRowsRefused = new HashSet<>();
    /** Quoted qualified type name -> its OID here, for the user-defined types replayed parameters use. */
    private final Map<String, Integer> typeOids = new HashMap<>();
    /** Per table asked about: whether it is a TimescaleDB hypertable of this database. */
    private final Map<TableName, Boolean> hypertables = new HashMap<>();
    private final Map<TableName, Optional<TableName>> partitionRoots = new HashMap<>();
    private Boolean hasPartitionRoot;
    private final Map<TableName, Boolean> existing = new HashMap<>();
    /** Whether this database has TimescaleDB's catalog views; null until asked. */
    private Boolean timescale;
    /** Per table asked about: whether it is named as a TimescaleDB chunk here ({@link ChunkNames}). */
    private final Map<TableName, Boolean> chunks = new HashMap<>();
    /** The shape of this database's TimescaleDB catalog of chunks, empty without TimescaleDB; null until asked. */
    private Optional<ChunkCatalog> chunkCatalog;
    /** The database's dual-write mark as a timestamptz literal, or null; and when it was read. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private String markLiteral;
    /** The same mark as Unix epoch microseconds, or null. */
    private Long markMicros;
    /** Table -> its columns in the order a COPY without a column list takes them. */
    private final Map<TableName, List<String>> copyColumns = new HashMap<>();
    /** Table -> how the source's order of its columns compares with this database's ({@link ColumnOrders}). */
    private final Map<TableName, ColumnOrders.Order> columnOrders = new HashMap<>();
    private long markReadAt = Long.MIN_VALUE;
    /** Named statements prepared on this connection, by SQL text and parameter types. */
    private final Map<String, String> prepared = new HashMap<>();
    /** Named statements parsed by the exchange being built; prepared for good only if it succeeds. */
    private final Map<String, String> parsing = new HashMap<>();

    private TargetSession(String database, PgConnection connection, Duration slowAnswer, Duration lockTimeout,
                          Duration statementTimeout) {
        this.database = database;
        this.connection = connection;
        this.slowAnswer = slowAnswer;
        this.lockTimeout = lockTimeout;
        this.statementTimeout = statementTimeout;
    }

    /**
     * Connects, creates the state tables if needed and reads this instance's progress.
     *
     * @param slowAnswer  how long to wait for an exchange's answer before saying so in the log, and again each time
     * @param lockTimeout the connection's {@code lock_timeout} ({@code mirror.lock-timeout}), zero for none
     * @param statementTimeout the connection's {@code statement_timeout} ({@code mirror.statement-timeout}), zero for
     *                         none
     */
    static TargetSession open(TargetConnector connector, String database, String instanceId, Duration slowAnswer,
                              Duration lockTimeout, Duration statementTimeout) {
        PgConnection connection = await(connector.connect(database));
        TargetSession session = new TargetSession(database, connection, slowAnswer, lockTimeout, statementTimeout);
        try {
            session.readState(instanceId, connector.run());
            return session;
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private void readState(String instanceId, ApplierRun run) {
        checked(await(connection.simpleQuery(timeouts())));
        checked(await(connection.simpleQuery(MirrorSchema.ddl())));
        lockInstance(instanceId, run);
        Pipeline<Void> read = new Pipeline<>(ByteBufAllocator.DEFAULT);
        read.execute(null, MirrorSchema.REGISTER, instanceId);
        read.execute(null, MirrorSchema.READ_PROGRESS, instanceId);
        read.execute(null, MirrorSchema.READ_DUAL_WRITE, database);
        read.execute(null, "SELECT current_setting('search_path'), current_user,"
                + " current_setting('session_replication_role'), " + MirrorSchema.FIXED_STATE);
        List<BackendMessage> reply = exchange(read);
        checked(reply);
        List<DataRow> rows = reply.stream().filter(DataRow.class::isInstance).map(DataRow.class::cast)
                .collect(Collectors.toCollection(ArrayList::new));
        appliedBefore = SpoolPosition.ORIGIN;
        DataRow own = rows.remove(rows.size() - 1);
        defaultSearchPath = text(own, 0);
        defaultSearchPathSchemas = SearchPath.parseSetting(defaultSearchPath);
        user = text(own, 1);
        // a value this version does not know, which only a later PostgreSQL could add, is taken for origin
        ownReplicationRole = Objects.requireNonNullElse(ReplicationRole.parse(text(own, 2)), ReplicationRole.ORIGIN);
        fixedState = text(own, 3);
        int next = 0;
        if (!rows.isEmpty() && rows.get(0).columns().size() == 4) {
            DataRow progress = rows.get(next++);
            appliedSequence = Long.parseLong(text(progress, 0));
            appliedBefore = new SpoolPosition(Long.parseLong(text(progress, 1)), Long.parseLong(text(progress, 2)));
            String epoch = text(progress, 3);
            appliedEpoch = epoch == null ? null : Long.valueOf(epoch);
        }
        if (next < rows.size()) {
            DataRow dualWrite = rows.get(next);
            firstMirroredKnown = "t".equals(text(dualWrite, 0));
            markKnown = "t".equals(text(dualWrite, 1));
        }
    }

    /**
     * Turns off, for this connection, the timeouts the target may give the mirror's user ({@code ALTER ROLE} or
     * {@code ALTER DATABASE ... SET}, its configuration): they are meant for applications. A replay that runs long
     * would be cancelled (57014) or lose its connection (25P03, 25P04), and would meet the same timeout on every retry,
     * or be ledgered and its rows, which the source committed, never reach the target. Held by an idle mirror, the
     * connection keeps the instance's applier lock: an idle timeout (57P05) would only make it connect again.
     * {@code lock_timeout} and {@code statement_timeout} are the mirror's own instead ({@code mirror.lock-timeout},
     * {@code mirror.statement-timeout}): one applier thread serves every target database, so a group waiting for a
     * lock another session holds in one of them, or replaying a slow statement there, would hold up all; failing with
     * 55P03 or 57014, the group's database is parked and retried while the others go on.
     */
    private String timeouts() {
        StringBuilder sql = new StringBuilder("SET statement_timeout = ").append(statementTimeout.toMillis())
                .append("; SET lock_timeout = ").append(lockTimeout.toMillis())
                .append("; SET idle_in_transaction_session_timeout = 0");
        int major = serverMajorVersion();
        if (major >= 14) {
            sql.append("; SET idle_session_timeout = 0");
        }
        if (major >= 17) {
            sql.append("; SET transaction_timeout = 0");
        }
        return sql.toString();
    }

    /**
     * Takes {@link MirrorSchema#TRY_LOCK} before progress is read, ending an earlier connection of this instance
     * that still holds it: otherwise a group that connection commits after this one read the progress would be
     * applied twice. A holder of a run started after this one is another proxy with this instance-id: it is left
     * alone, and this connection fails with {@link InstanceIdConflict} (see {@link ApplierRun}).
     */
    private void lockInstance(String instanceId, ApplierRun run) {
        List<String> taken = queryRow(MirrorSchema.TRY_LOCK, instanceId);
        if (taken != null && "true".equals(taken.get(0))) {
            return;
        }
        List<String> later = queryRow(MirrorSchema.LATER_LOCK_HOLDERS, instanceId, Long.toString(run.startedMillis()),
                ApplierRun.PREFIX);
        if (later != null && later.get(0) != null) {
            throw new InstanceIdConflict("another proxy with instance-id '" + instanceId + "' mirrors into target"
                    + " database " + database + " (" + later.get(0) + "), started after this one (at " + run.started()
                    + "): two proxies with one instance-id end each other's connections and overwrite each other's"
                    + " progress with positions of another spool, which applies transactions twice, so this one"
                    + " leaves the database to it and keeps its transactions in its spool. Give each proxy its own"
                    + " instance-id and spool (docs/migration.md, step 3), and restart the one started with the wrong"
                    + " id");
        }
        List<String> ended = queryRow(MirrorSchema.END_LOCK_HOLDERS, instanceId);
        LOG.warn("mirror: an earlier connection of instance {} to target database {} still holds its applier lock"
                + " (of this proxy, or of one killed or cut off; or of another proxy started earlier with the same"
                + " instance-id, which then says so); ended {}: {}", instanceId, database, ended == null ? "none (not allowed?)" : ended.get(0),
                ended == null ? "" : ended.get(1));
        if (queryRow(MirrorSchema.LOCK, instanceId) == null) {
            throw new IllegalStateException("target database " + database + " did not grant instance " + instanceId
                    + " its applier lock");
        }
    }

    private static String text(DataRow row, int column) {
        byte[] value = row.columns().get(column);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    private static void checked(List<BackendMessage> reply) {
        for (BackendMessage m : reply) {
            if (m instanceof ErrorResponse e) {
                throw PgException.of(e);
            }
        }
    }

    /**
     * Runs one statement with text parameters and returns the first row's columns as text: null when there is no
     * row or the statement failed (the failure leaves the connection usable: no transaction is open).
     */
    List<String> queryRow(String sql, String... parameters) {
        Pipeline<Object> p = new Pipeline<>(ByteBufAllocator.DEFAULT);
        try {
            p.execute(null, sql, parameters);
        } catch (RuntimeException e) {
            p.discard();
            throw e;
        }
        Reply reply = Reply.of(exchange(p));
        if (!reply.ok() || reply.firstRows().isEmpty() || reply.firstRows().get(0) == null) {
            return null;
        }
        return texts(reply.firstRows().get(0));
    }

    /** A row's columns as text (null for SQL NULL), as a text-format result gives them. */
    static List<String> texts(DataRow row) {
        List<String> values = new ArrayList<>(row.columns().size());
        for (byte[] value : row.columns()) {
            values.add(value == null ? null : new String(value, StandardCharsets.UTF_8));
        }
        return values;
    }

    /**
     * The table's time column by {@link dev.tandem.proxy.timecolumn.TimeColumnRule} ({@code configured} being
     * {@code verifier.time-columns}). Found once per connection; while none is found, asked again at most every minute
     * (a plan may be staged later).
     */
    Optional<TimeColumns.Column> timeColumn(TableName table, Map<TableName, String> configured) {
        TimeColumns.Column known = timeColumns.get(table);
        if (known != null) {
            return Optional.of(known);
        }
        Long askedAt = timeColumnsMissing.get(table);
        long now = System.nanoTime();
        if (askedAt != null && now - askedAt < TIME_COLUMN_RETRY_NANOS) {
            return Optional.empty();
        }
        Optional<TimeColumns.Column> found = TimeColumns.of(this, table, configured);
        if (found.isPresent()) {
            timeColumns.put(table, found.get());
            timeColumnsMissing.remove(table);
        } else {
            timeColumnsMissing.put(table, now);
        }
        return found;
    }

    /**
     * The OID of the named type in this database, or null when it has none (not remembered: it may be created). Asked
     * once per connection and type, not per replayed statement.
     */
    Integer typeOid(String quotedName) {
        Integer known = typeOids.get(quotedName);
        if (known != null) {
            return known;
        }
        String found = answer("the OID of type " + quotedName, "SELECT to_regtype($1)::oid::text", quotedName);
        if (found == null) {
            return null;
        }
        int oid = Integer.parseInt(found);
        typeOids.put(quotedName, oid);
        return oid;
    }

    /**
     * Whether the table is a TimescaleDB hypertable of this database (false without TimescaleDB): asked once per
     * connection and table. Only transactions captured before the proxy knew the hypertables ask.
     */
    boolean isHypertable(TableName table) {
        Boolean known = hypertables.get(table);
        if (known != null) {
            return known;
        }
        if (timescale == null) {
            timescale = "true".equals(answer("whether " + table + " is a hypertable",
                    "SELECT (" + Hypertables.PRESENT + ")::text"));
        }
        boolean hypertable = timescale && "true".equals(answer("whether " + table + " is a hypertable",
                "SELECT EXISTS (SELECT 1 FROM " + Hypertables.PRIMARY_DIMENSIONS + " h WHERE h.hypertable_schema = $1"
                        + " AND h.hypertable_name = $2)::text", table.schema(), table.name()));
        hypertables.put(table, hypertable);
        return hypertable;
    }

    /**
     * Whether the table is named as a TimescaleDB chunk in this database's catalog, a clone of the source's: the default
     * form without asking, any other asked once per connection and table. Only transactions with tables the capture
     * could not decide ask.
     */
    boolean isChunk(TableName table) {
        if (ChunkNames.DEFAULT.isChunk(table)) {
            return true;
        }
        Boolean known = chunks.get(table);
        if (known != null) {
            return known;
        }
        if (chunkCatalog == null) {
            chunkCatalog = ChunkCatalog.of(answer("whether " + table + " is a chunk", ChunkCatalog.COLUMNS));
        }
        boolean chunk = chunkCatalog.isPresent() && "true".equals(answer("whether " + table + " is a chunk",
                ChunkNames.isChunkQuery(chunkCatalog.get()), table.schema(), table.name()));
        chunks.put(table, chunk);
        return chunk;
    }

    /**
     * The root of the partition tree {@code table} is a partition of in this database, or empty when it is not a
     * partition: asked once per connection and table, by the mirror's metrics (which count a partition's rows under its
     * root) and by transactions captured before the proxy knew the target's partitions.
     */
    Optional<TableName> partitionRoot(TableName table) {
        Optional<TableName> known = partitionRoots.get(table);
        if (known != null) {
            return known;
        }
        if (hasPartitionRoot == null) {
            // pg_partition_root came with PostgreSQL 12: before, partitions are not told apart (a documented limit)
            hasPartitionRoot = "true".equals(answer("whether the server has pg_partition_root",
                    "SELECT (to_regproc('pg_catalog.pg_partition_root') IS NOT NULL)::text"));
        }
        if (!hasPartitionRoot) {
            return Optional.empty();
        }
        // one row whatever the table is: no row means the query failed, which must not pass for "not a partition"
        List<String> row = queryRow("SELECT rn.nspname::text, r.relname::text, (x.t IS NOT NULL)::text"
                + " FROM (SELECT to_regclass(format('%I.%I', $1::text, $2::text)) AS t) x"
                + " LEFT JOIN pg_class p ON p.oid = x.t AND p.relispartition"
                + " LEFT JOIN pg_class r ON r.oid = pg_partition_root(p.oid)"
                + " LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace", table.schema(), table.name());
        if (row == null) {
            throw new IllegalStateException("target database " + database + " did not answer whether " + table
                    + " is a partition");
        }
        Optional<TableName> root = row.get(0) == null ? Optional.empty()
                : Optional.of(new TableName(row.get(0), row.get(1)));
        partitionRoots.put(table, root);
        existing.put(table, "true".equals(row.get(2))); // asked next for the same table: no second round trip
        return root;
    }

    /**
     * Whether the table exists in this database: asked once per connection and table (or learnt with
     * {@link #partitionRoot}), for undecided tables only.
     */
    boolean exists(TableName table) {
        return existing.computeIfAbsent(table, t -> "true".equals(answer("whether " + t + " exists",
                "SELECT (to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL)::text", t.schema(), t.name())));
    }

    /**
     * The one value (maybe null) a catalog query answers about {@code what}; an error is retried like a lost
     * connection, never taken for "no" or "none".
     */
    private String answer(String what, String sql, String... parameters) {
        List<String> row = queryRow(sql, parameters);
        if (row == null) {
            throw new IllegalStateException("target database " + database + " did not answer " + what);
        }
        return row.get(0);
    }

    /**
     * The quoted time column to count late rows of {@code table} by: only a timestamptz one, and none for a table
     * whose INSERTs {@link #refuseLateRowCount refuse} to be counted.
     */
    Optional<String> lateColumn(TableName table, Map<TableName, String> configured) {
        if (lateRowsRefused.contains(table)) {
            return Optional.empty();
        }
        return timeColumn(table, configured).filter(c -> c.type().equals("timestamp with time zone"))
                .map(c -> Identifiers.quoteIdentifier(c.name()));
    }

    /**
     * Stops ({@code refused}) or resumes counting the late rows of {@code table} on this connection: the target may
     * refuse an INSERT inside {@code WITH ... RETURNING}, which the count needs, and take it alone
     * ({@link LateRows#refusal}).
     */
    void refuseLateRowCount(TableName table, boolean refused) {
        if (refused) {
            lateRowsRefused.add(table);
        } else {
            lateRowsRefused.remove(table);
        }
    }

    /** The target server's major version, from the {@code server_version} it reported (0 if it reported none). */
    int serverMajorVersion() {
        String version = connection.parameters().getOrDefault("server_version", "");
        int end = 0;
        while (end < version.length() && Character.isDigit(version.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(version.substring(0, end));
    }

    /**
     * The dual-write mark as a timestamptz literal, or null; read again when older than {@code maxAgeNanos}. Written
     * in ISO 8601 in UTC: it is read inside group transactions under the source sessions' TimeZone and DateStyle.
     */
    String markLiteral(long maxAgeNanos) {
        long now = System.nanoTime();
        if (markReadAt == Long.MIN_VALUE || now - markReadAt > maxAgeNanos) {
            List<String> mark = queryRow("SELECT " + TimeType.TIMESTAMPTZ.positionOf("marked_at") + "::text"
                    + " FROM tandem.dual_write WHERE database = $1", database);
            markMicros = mark == null || mark.get(0) == null ? null : Long.valueOf(mark.get(0));
            markLiteral = markMicros == null ? null : TimeType.TIMESTAMPTZ.literal(markMicros);
            markReadAt = now;
        }
        return markLiteral;
    }

    /** The mark {@link #markLiteral} last read, as Unix epoch microseconds; null when there is none. */
    Long markMicros() {
        return markMicros;
    }

    /**
     * The table's columns in the order a COPY without a column list reads them (generated columns left out), asked once
     * per connection; empty when the table is not there.
     */
    List<String> copyColumns(TableName table) {
        return copyColumns.computeIfAbsent(table, t -> columns(t, " AND attgenerated = ''"));
    }

    /** The table's columns in their order here, generated ones included; empty when the table is not there. */
    List<String> columnNames(TableName table) {
        return columns(table, "");
    }

    /** The table's columns in their order, those {@code condition} (on {@code pg_attribute}) leaves; empty when none. */
    private List<String> columns(TableName table, String condition) {
        List<String> row = queryRow("SELECT coalesce(array_to_json(array_agg(attname::text ORDER BY attnum)), '[]')"
                + "::text FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', $1::text, $2::text))"
                + " AND attnum > 0 AND NOT attisdropped" + condition, table.schema(), table.name());
        if (row == null || row.get(0) == null) {
            return List.of();
        }
        try {
            return List.of(JSON.readValue(row.get(0), String[].class));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable column list of " + table + ": " + row.get(0), e);
        }
    }

    /** Per table, what {@link ColumnOrders} found comparing its columns' order here and on the source: per connection. */
    Map<TableName, ColumnOrders.Order> columnOrders() {
        return columnOrders;
    }

    /** Sends the pipeline's frames and waits for the reply; the pipeline's buffers are handed over in every case. */
    List<BackendMessage> exchange(Pipeline<?> pipeline) {
        List<BackendMessage> reply = awaitSaying(connection.exchange(pipeline.finish()));
        // no COPY TO in a mirror exchange, but release whatever is reference-counted all the same
        reply.forEach(ReferenceCountUtil::release);
        return reply;
    }

    /**
     * The named statement to use for an extended-protocol statement, so that a statement the application repeats is
     * parsed and planned once per connection, as the application's own driver does on the source.
     *
     * @return {@code [name, "parse"]} when the exchange must Parse it first, {@code [name]} when it is prepared, or
     *     {@code [""]} (the unnamed statement, parsed every time) once the cache is full
     */
    String[] statementFor(String sql, int[] types) {
        return statementFor(Arrays.toString(types) + sql);
    }

    /**
     * {@link #statementFor(String, int[])} of a replayed statement, to run under the input settings {@code inForce}
     * ({@link TargetInputSettings#inForce}): the server reads a statement's constants when it parses it, so a
     * statement parsed for a session of another TimeZone, DateStyle, IntervalStyle or standard_conforming_strings
     * would keep that session's instants, dates and strings. NUL separates the parts: no setting or SQL text holds it.
     */
    String[] statementFor(String sql, int[] types, List<String> inForce) {
        return statementFor(String.join("\0", inForce) + '\0' + Arrays.toString(types) + sql);
    }

    private String[] statementFor(String key) {
        String name = prepared.get(key);
        if (name != null) {
            return new String[] {name};
        }
        name = parsing.get(key);
        if (name != null) {
            return new String[] {name};
        }
        if (prepared.size() + parsing.size() >= MAX_PREPARED) {
            return new String[] {""};
        }
        name = "tandem_" + (prepared.size() + parsing.size() + 1);
        parsing.put(key, name);
        return new String[] {name, "parse"};
    }

    /** The exchange being built was sent and committed: its Parses took effect. */
    void exchangeSucceeded() {
        prepared.putAll(parsing);
        parsing.clear();
    }

    /** The exchange being built was never sent. */
    void exchangeAbandoned() {
        parsing.clear();
    }

    /**
     * After a failed exchange: leaves the failed explicit transaction and forgets the exchange's named statements
     * (some of its Parses may have run before the error) so the connection can be used again.
     */
    void recoverFromFailedExchange() {
        switch (connection.transactionStatus()) {
            case FAILED, IN_TRANSACTION -> checked(await(connection.simpleQuery("ROLLBACK")));
            default -> {
            }
        }
        if (!parsing.isEmpty()) {
            checked(await(connection.simpleQuery("DEALLOCATE ALL")));
            parsing.clear();
            prepared.clear();
        }
    }

    String database() {
        return database;
    }

    /** Records starting before this position were applied (or ledgered) on this database already. */
    SpoolPosition appliedBefore() {
        return appliedBefore;
    }

    long appliedSequence() {
        return appliedSequence;
    }

    /** The spool epoch of the last applied record (see {@link #appliedBefore()}); null when none was stored. */
    Long appliedEpoch() {
        return appliedEpoch;
    }

    void applied(long sequence, SpoolPosition next, long epoch, boolean mirroredRows) {
        appliedSequence = sequence;
        appliedBefore = next;
        appliedEpoch = epoch;
        if (mirroredRows) {
            firstMirroredKnown = true;
            markKnown = true;
        }
    }

    /** The input settings of a new target transaction on this connection: its own, until a statement's are set. */
    TargetInputSettings inputSettings() {
        return new TargetInputSettings(connection.parameters(), ownReplicationRole);
    }

    /**
     * The parameters of {@link MirrorSchema#CHECK_SESSION} for a group that set {@code searchPath},
     * {@code replicationRole} and {@code clientEncoding} (null for the connection's UTF8) last, or left the
     * connection's own in force, and whose input settings are {@code inputSettings} (which the check takes only
     * when the group set none: the connection's own, as the target reported them).
     */
    String[] sessionState(String searchPath, ReplicationRole replicationRole, String clientEncoding,
                          List<String> inputSettings) {
        return new String[] {
            String.join("\u001f", fixedState, searchPath, replicationRole.setting(),
                    clientEncoding == null ? "UTF8" : clientEncoding),
            String.join("\u001f", inputSettings)};
    }

    /** The connection's {@code search_path} outside any transaction: the target's default for the mirror's user. */
    String defaultSearchPath() {
        return defaultSearchPath;
    }

    /** {@link #defaultSearchPath} as schema names ({@code $user} as it is); null when it does not parse. */
    List<String> defaultSearchPathSchemas() {
        return defaultSearchPathSchemas;
    }

    /** The user the mirror replays as here. */
    String user() {
        return user;
    }

    long caughtUpNotedAt() {
        return caughtUpNotedAt;
    }

    void caughtUpNoted(long nanoTime) {
        caughtUpNotedAt = nanoTime;
    }

    boolean firstMirroredKnown() {
        return firstMirroredKnown;
    }

    boolean markKnown() {
        return markKnown;
    }

    CompletableFuture<Void> close() {
        return connection.close();
    }

    /** Waits for a future of the client, unwrapping its failure (a {@link PgException} or another runtime error). */
    /**
     * {@link #await}, saying in the log each time {@link #slowAnswer} passes without the target's answer: a group
     * waiting for a lock on a mirrored table, held by another session, fails nothing and holds the mirror back.
     */
    private <T> T awaitSaying(CompletableFuture<T> future) {
        long started = System.nanoTime();
        while (true) {
            try {
                return future.get(slowAnswer.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                LOG.warn("mirror: target database {} has not answered the mirror for {} s and it still waits: a lock on"
                        + " a mirrored table held by another session holds it back (look for application_name"
                        + " 'tandem-mirror run ...' waiting in pg_stat_activity there), or a large group or an overloaded"
                        + " target takes this long; the mirror lag grows meanwhile", database,
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw PgException.connectionLost("interrupted while waiting for the target", e);
            } catch (ExecutionException e) {
                throw failure(e);
            }
        }
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw PgException.connectionLost("interrupted while waiting for the target", e);
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    private static RuntimeException failure(ExecutionException e) {
        Throwable cause = e.getCause();
        return cause instanceof RuntimeException runtime ? runtime
                : PgException.connectionLost("target request failed: " + cause, cause);
    }
}
