package dev.tandem.proxy.mirror;

import dev.tandem.proxy.mirror.SoakHistory.Outcome;
import dev.tandem.proxy.mirror.SoakHistory.RowId;
import dev.tandem.proxy.mirror.SoakHistory.Tx;
import dev.tandem.proxy.relay.WireClient;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;

/**
 * One application connection of the soak, through the proxy with pgjdbc: a random mix of the write patterns the
 * mirror must get right, each recorded in the {@link SoakHistory} with how it ended as this client saw it. Every row
 * has a unique id (client, seq); a failure and rollback reuse no id. When the connection breaks (the proxy was killed)
 * the transaction's fate is unknown; the client reconnects and goes on.
 *
 * <p>Tables: {@code events} has no key on either side, so a row applied twice shows as a duplicate; {@code keyed} has
 * the primary key (client, seq) on both sides, for unique violations and {@code ON CONFLICT DO NOTHING}.
 */
final class SoakClient implements Runnable {

    private static final String EVENT = "INSERT INTO events (client, seq, tx, op, payload) VALUES (?, ?, ?, ?, ?)";
    private static final String KEYED = "INSERT INTO keyed (client, seq, tx, payload) VALUES (?, ?, ?, ?)";
    private static final String COPY_COLUMNS = " (client, seq, tx, op, payload) FROM STDIN";
    /** Characters that need quoting or escaping in SQL literals, COPY text and CSV. */
    private static final String[] SPICE = {"", ",", "\"", "\\", "'", " ", "é", "|", "a\"\"b", ",\\N,"};

    private final int id;
    private final Random random;
    private final int port;
    private final String database;
    private final String url;
    private final Properties properties = new Properties();
    private final SoakHistory history;
    private final AtomicBoolean stop;
    private final boolean simple;
    private final List<Integer> acknowledgedKeys = new ArrayList<>();
    private Connection connection;
    private int seq;
    private int txNumber;

    SoakClient(int id, long seed, int port, String database, SoakHistory history, AtomicBoolean stop) {
        this.id = id;
        this.random = new Random(seed);
        this.port = port;
        this.database = database;
        this.url = "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
        this.history = history;
        this.stop = stop;
        properties.setProperty("user", "postgres");
        properties.setProperty("ApplicationName", "soak-" + id);
        // some clients in the simple protocol (one Query per statement), the others extended
        simple = id % 4 == 3;
        properties.setProperty("preferQueryMode", simple ? "simple" : "extended");
        properties.setProperty("reWriteBatchedInserts", Boolean.toString(id % 2 == 0));
        properties.setProperty("connectTimeout", "5");
        // a commit held for good (a spool that never syncs) fails the client instead of hanging the soak
        properties.setProperty("socketTimeout", "120");
    }

    @Override
    public void run() {
        try {
            while (!stop.get()) {
                if (!connected()) {
                    continue;
                }
                Tx tx = history.begin(id, ++txNumber, pickKind());
                try {
                    runTransaction(tx);
                } catch (SQLException e) {
                    failed(tx, e);
                } catch (IOException | RuntimeException e) {
                    tx.end(Outcome.UNKNOWN, e.toString());
                    history.unexpected.add("client " + id + ": " + tx + ": " + e);
                    drop();
                }
                // a pace the 2-core machine keeps up with beside two servers and the proxy
                Thread.sleep(10 + random.nextInt(40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            drop();
        }
    }

    /** Connects if needed; false (after a short pause) while the proxy does not take connections. */
    private boolean connected() throws InterruptedException {
        if (connection != null) {
            return true;
        }
        try {
            connection = DriverManager.getConnection(url, properties);
            return true;
        } catch (SQLException e) {
            Thread.sleep(100 + random.nextInt(200));
            return false;
        }
    }

    private void drop() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it is broken already
            }
            connection = null;
        }
    }

    private String pickKind() {
        int n = random.nextInt(100);
        if (n < 14) {
            return "single";
        } else if (n < 24) {
            return "multi_row";
        } else if (n < 36) {
            return "commit";
        } else if (n < 43) {
            return "rollback";
        } else if (n < 51) {
            return "savepoint";
        } else if (n < 56) {
            return "failed";
        } else if (n < 60) {
            return "failed_implicit";
        } else if (n < 72) {
            return "batch";
        } else if (n < 78) {
            return "copy_text";
        } else if (n < 84) {
            return "copy_csv";
        } else if (n < 90) {
            return "on_conflict";
        } else if (n < 95) {
            return "copy_in_transaction";
        } else if (n < 96) {
            return "copy_big";
        } else if (n < 98) {
            return "abandoned";
        }
        return "rejected";
    }

    /** Ends the explicit transaction {@code tx}: committed (acknowledged when that returns) or rolled back. */
    private void end(Connection c, Tx tx, boolean commit) throws SQLException {
        if (commit) {
            c.commit();
            acknowledged(tx);
        } else {
            c.rollback();
            tx.end(Outcome.ROLLED_BACK, null);
        }
        c.setAutoCommit(true);
    }

    private void runTransaction(Tx tx) throws SQLException, IOException {
        Connection c = connection;
        switch (tx.kind) {
            case "single" -> {
                if (random.nextBoolean()) {
                    event(c, tx, tx.rows);
                } else {
                    keyed(c, tx, nextSeq(), tx.rows);
                }
                acknowledged(tx);
            }
            case "multi_row" -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate(multiRowInsert(tx, 2 + random.nextInt(9), tx.rows));
                }
                acknowledged(tx);
            }
            case "commit", "rollback" -> {
                c.setAutoCommit(false);
                int n = 1 + random.nextInt(6);
                for (int i = 0; i < n; i++) {
                    anyInsert(c, tx, tx.rows);
                }
                end(c, tx, tx.kind.equals("commit"));
            }
            case "savepoint" -> savepoint(c, tx);
            case "failed" -> {
                c.setAutoCommit(false);
                int n = 1 + random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    anyInsert(c, tx, tx.rows);
                }
                expectUniqueViolation(() -> duplicateKey(c, tx));
                c.rollback();
                c.setAutoCommit(true);
                tx.end(Outcome.FAILED, null);
            }
            case "failed_implicit" -> {
                // one statement string, one implicit transaction: the failing second INSERT takes the first one along
                List<RowId> rows = new ArrayList<>();
                String sql = multiRowInsert(tx, 1 + random.nextInt(3), rows) + "; " + duplicateKeySql(tx);
                tx.rows.addAll(rows);
                try (Statement s = c.createStatement()) {
                    expectUniqueViolation(() -> s.execute(sql));
                }
                tx.end(Outcome.FAILED, null);
            }
            case "batch" -> {
                // In the simple protocol pgjdbc sends each entry as a Query of its own: in autocommit, one transaction
                // per entry, and the soak judges a batch as one transaction. Extended: all entries, one Sync.
                boolean explicit = simple || random.nextBoolean();
                c.setAutoCommit(!explicit);
                try (PreparedStatement ps = c.prepareStatement(EVENT)) {
                    int n = 2 + random.nextInt(29);
                    for (int i = 0; i < n; i++) {
                        bindEvent(ps, tx, nextSeq(), "batch", tx.rows);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                if (explicit) {
                    c.commit();
                }
                acknowledged(tx);
                c.setAutoCommit(true);
            }
            case "copy_text", "copy_csv" -> {
                copy(c, tx, "events", tx.kind.equals("copy_csv"), 1 + random.nextInt(40), tx.rows);
                acknowledged(tx);
            }
            case "copy_big" -> {
                // a spool record larger than the soak's 256 KiB segments, into a table judged by per-transaction sums
                // (its rows, listed one by one, would not fit the test's heap in a long run)
                tx.bulkRows = 2_000 + random.nextInt(500);
                copy(c, tx, "bulk", random.nextBoolean(), tx.bulkRows, new ArrayList<>());
                acknowledged(tx);
            }
            case "copy_in_transaction" -> {
                c.setAutoCommit(false);
                anyInsert(c, tx, tx.rows);
                copy(c, tx, "events", random.nextBoolean(), 1 + random.nextInt(40), tx.rows);
                anyInsert(c, tx, tx.rows);
                end(c, tx, random.nextInt(4) > 0);
            }
            case "on_conflict" -> onConflict(c, tx);
            case "abandoned" -> abandon(tx);
            case "rejected" -> {
                // the target's CHECK (op <> 'reject') refuses the last statement: a ledger entry, named by its payload
                tx.rejectedByTarget = true;
                c.setAutoCommit(false);
                anyInsert(c, tx, tx.rows);
                int s = nextSeq();
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO events (client, seq, tx, op, payload) VALUES (" + id + ", " + s + ", "
                            + tx.number + ", 'reject', " + literal(rejectionMark(id, tx.number)) + ")");
                }
                tx.rows.add(new RowId("events", id, s));
                c.commit();
                acknowledged(tx);
                c.setAutoCommit(true);
            }
            default -> throw new IllegalStateException(tx.kind);
        }
    }

    /**
     * Rows before the savepoint stay; the rows after it (sometimes ended by a failing statement) are rolled back to
     * it; the transaction goes on and commits.
     */
    private void savepoint(Connection c, Tx tx) throws SQLException {
        c.setAutoCommit(false);
        anyInsert(c, tx, tx.rows);
        Savepoint sp = c.setSavepoint();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            anyInsert(c, tx, tx.undone);
        }
        if (random.nextBoolean()) {
            expectUniqueViolation(() -> duplicateKey(c, tx));
        }
        c.rollback(sp);
        anyInsert(c, tx, tx.rows);
        c.commit();
        acknowledged(tx);
        c.setAutoCommit(true);
    }

    /** The payload of a rejected transaction's refused row: the ledger entry's statement names the transaction. */
    static String rejectionMark(int client, int tx) {
        return "reject c" + client + " t" + tx + ";";
    }

    /**
     * A client of its own that sends a write and goes away without reading the answer (closing or resetting its
     * connection): the proxy must read the source's answer anyway to learn whether it committed. Autocommit, a whole
     * BEGIN ... COMMIT in one Query, or a BEGIN ... left open, which the source rolls back.
     */
    private void abandon(Tx tx) {
        WireClient raw;
        try {
            raw = new WireClient(port);
            raw.login("postgres", database);
        } catch (IOException e) {
            tx.end(Outcome.ROLLED_BACK, "nothing sent: " + e); // the proxy is down
            return;
        }
        int variant = random.nextInt(3);
        try (raw) {
            String insert = multiRowInsert(tx, 1 + random.nextInt(5), tx.rows);
            raw.send(WireClient.query(switch (variant) {
                case 0 -> insert;
                case 1 -> "BEGIN; " + insert + "; COMMIT";
                default -> "BEGIN; " + insert;
            }));
            if (random.nextBoolean()) {
                raw.reset();
            }
        } catch (IOException e) {
            // the proxy went down as the query went out: its fate is unknown either way
        }
        if (variant == 2) {
            tx.end(Outcome.ROLLED_BACK, null);
        } else {
            tx.end(Outcome.UNKNOWN, "the client left without reading the answer");
            // the source commits it after the client left: only a proxy restart within that time may lose it
            tx.settledNanos = tx.endNanos + TimeUnit.SECONDS.toNanos(10);
        }
    }

    /** New rows and rows of this client's earlier, acknowledged transactions, which the source keeps as they were. */
    private void onConflict(Connection c, Tx tx) throws SQLException {
        StringBuilder sql = new StringBuilder("INSERT INTO keyed (client, seq, tx, payload) VALUES ");
        int n = 1 + random.nextInt(4);
        List<Integer> fresh = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int s = nextSeq();
            fresh.add(s);
            sql.append(i == 0 ? "" : ", ").append(keyedValues(tx, s));
        }
        if (!acknowledgedKeys.isEmpty()) {
            int old = acknowledgedKeys.get(random.nextInt(acknowledgedKeys.size()));
            sql.append(", ").append(keyedValues(tx, old));
        }
        sql.append(" ON CONFLICT DO NOTHING");
        fresh.forEach(s -> tx.rows.add(new RowId("keyed", id, s)));
        try (Statement s = c.createStatement()) {
            s.executeUpdate(sql.toString());
        }
        acknowledged(tx);
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    private void expectUniqueViolation(SqlAction action) throws SQLException {
        try {
            action.run();
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return;
            }
            throw e;
        }
        throw new SQLException("a unique violation was expected but the statement succeeded", "XXSOK");
    }

    /** A keyed row whose key this client committed before (or, before it has any, a new key inserted twice). */
    private void duplicateKey(Connection c, Tx tx) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate(duplicateKeySql(tx));
        }
    }

    private String duplicateKeySql(Tx tx) {
        if (acknowledgedKeys.isEmpty()) {
            int s = nextSeq();
            return "INSERT INTO keyed (client, seq, tx, payload) VALUES " + keyedValues(tx, s) + ", "
                    + keyedValues(tx, s);
        }
        int old = acknowledgedKeys.get(random.nextInt(acknowledgedKeys.size()));
        return "INSERT INTO keyed (client, seq, tx, payload) VALUES " + keyedValues(tx, old);
    }

    private void anyInsert(Connection c, Tx tx, List<RowId> into) throws SQLException {
        if (random.nextInt(3) == 0) {
            keyed(c, tx, nextSeq(), into);
        } else {
            event(c, tx, into);
        }
    }

    private void event(Connection c, Tx tx, List<RowId> into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(EVENT)) {
            bindEvent(ps, tx, nextSeq(), tx.kind, into);
            ps.executeUpdate();
        }
    }

    private void bindEvent(PreparedStatement ps, Tx tx, int s, String op, List<RowId> into) throws SQLException {
        ps.setInt(1, id);
        ps.setInt(2, s);
        ps.setInt(3, tx.number);
        ps.setString(4, op);
        ps.setString(5, payload());
        into.add(new RowId("events", id, s));
    }

    private void keyed(Connection c, Tx tx, int s, List<RowId> into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(KEYED)) {
            ps.setInt(1, id);
            ps.setInt(2, s);
            ps.setInt(3, tx.number);
            ps.setString(4, payload());
            into.add(new RowId("keyed", id, s));
            ps.executeUpdate();
        }
    }

    private String multiRowInsert(Tx tx, int rows, List<RowId> into) {
        StringBuilder sql = new StringBuilder("INSERT INTO events (client, seq, tx, op, payload) VALUES ");
        for (int i = 0; i < rows; i++) {
            int s = nextSeq();
            sql.append(i == 0 ? "" : ", ").append('(').append(id).append(", ").append(s).append(", ").append(tx.number)
                    .append(", ").append(literal(tx.kind)).append(", ").append(literal(payload())).append(')');
            into.add(new RowId("events", id, s));
        }
        return sql.toString();
    }

    private String keyedValues(Tx tx, int s) {
        return "(" + id + ", " + s + ", " + tx.number + ", " + literal(payload()) + ")";
    }

    private void copy(Connection c, Tx tx, String table, boolean csv, int n, List<RowId> into)
            throws SQLException, IOException {
        StringBuilder data = new StringBuilder();
        String op = (csv ? "copy_csv" : "copy_text") + (n > 100 ? " " + "x".repeat(100) : "");
        for (int i = 0; i < n; i++) {
            int s = nextSeq();
            String payload = payload();
            if (csv) {
                data.append(id).append(',').append(s).append(',').append(tx.number).append(',').append(op).append(',')
                        .append(payload == null ? "" : "\"" + payload.replace("\"", "\"\"") + "\"").append('\n');
            } else {
                data.append(id).append('\t').append(s).append('\t').append(tx.number).append('\t').append(op)
                        .append('\t').append(payload == null ? "\\N" : payload.replace("\\", "\\\\")).append('\n');
            }
            into.add(new RowId(table, id, s));
        }
        c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + table + COPY_COLUMNS + (csv ? " (FORMAT csv)" : ""),
                new StringReader(data.toString()));
    }

    private String payload() {
        if (random.nextInt(20) == 0) {
            return null;
        }
        return "p" + random.nextInt(1_000_000) + SPICE[random.nextInt(SPICE.length)];
    }

    private static String literal(String s) {
        return s == null ? "NULL" : "'" + s.replace("'", "''") + "'";
    }

    private int nextSeq() {
        return ++seq;
    }

    private void acknowledged(Tx tx) {
        tx.end(Outcome.ACKNOWLEDGED, null);
        if (tx.rejectedByTarget) {
            return; // its keys are not on the target: ON CONFLICT DO NOTHING on them would insert there only
        }
        for (RowId row : tx.rows) {
            if (row.table().equals("keyed")) {
                acknowledgedKeys.add(row.seq());
            }
        }
    }

    /**
     * A broken connection leaves the transaction's fate unknown: the source may have committed it before the proxy
     * died. Any other error is one no scenario asked for.
     */
    private void failed(Tx tx, SQLException e) {
        String state = e.getSQLState();
        boolean broken = state == null || state.startsWith("08") || state.startsWith("57P") || isClosed();
        if (tx.outcome == null) {
            tx.end(Outcome.UNKNOWN, state + " " + e.getMessage());
        } // else the client had its answer and the connection broke after it: the answer stands
        if (!broken) {
            history.unexpected.add("client " + id + ": " + tx + ": SQLSTATE " + state + ": " + e.getMessage());
            try {
                connection.rollback();
                connection.setAutoCommit(true);
                return;
            } catch (SQLException again) {
                // fall through: start over on a new connection
            }
        }
        drop();
    }

    private boolean isClosed() {
        try {
            return connection.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
