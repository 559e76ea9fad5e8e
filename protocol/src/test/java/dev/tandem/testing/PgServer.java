package dev.tandem.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * One running PostgreSQL server as a test sees it: where it listens, how to log in, and a few
 * helpers for the chores every integration test repeats (databases, SQL, queries).
 *
 * <p>Implementations: {@link EmbeddedPgServer} (zonky binaries from Maven Central, no Docker) and
 * {@link ContainerPgServer} (TimescaleDB in Testcontainers).
 */
public interface PgServer extends AutoCloseable {

    /** "source" or "target": used in messages so a failing test says which side it was. */
    String role();

    String host();

    int port();

    /** A superuser of this server. */
    String user();

    String password();

    default String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    default Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), user(), password());
    }

    /** Runs one or more statements (simple protocol, so multi-statement strings work). */
    default void execute(String database, String sql) {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(role() + ": " + e.getMessage() + "\n  in: " + sql, e);
        }
    }

    default void runSqlFile(String database, Path file) throws IOException {
        execute(database, Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Rows of a query as lists of column values in their text form; handy for whole-table comparisons. */
    default List<List<String>> query(String database, String sql) {
        try (Connection c = connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rows(rs);
        } catch (SQLException e) {
            throw new IllegalStateException(role() + ": " + e.getMessage() + "\n  in: " + sql, e);
        }
    }

    /** Every row of a result as lists of column values in their text form. */
    static List<List<String>> rows(ResultSet rs) throws SQLException {
        int n = rs.getMetaData().getColumnCount();
        List<List<String>> rows = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                row.add(rs.getString(i));
            }
            rows.add(row);
        }
        return rows;
    }

    /** The single value of a one-row, one-column query. */
    default String queryValue(String database, String sql) {
        List<List<String>> rows = query(database, sql);
        if (rows.size() != 1 || rows.get(0).size() != 1) {
            throw new IllegalStateException(role() + ": expected one value from " + sql + " but got " + rows);
        }
        return rows.get(0).get(0);
    }

    /**
     * The server's major version (17, 18): for the few assertions on behaviour a release changed, such as the
     * protocol version it offers or the settings it reports.
     */
    default int majorVersion() {
        return Integer.parseInt(queryValue("postgres", "SELECT current_setting('server_version_num')::int / 10000"));
    }

    /** Creates a database (dropping a leftover one of the same name first). */
    default void createDatabase(String name) {
        String quoted = "\"" + name.replace("\"", "\"\"") + "\"";
        execute("postgres", "DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)");
        execute("postgres", "CREATE DATABASE " + quoted);
    }

    /** Stops the server, keeping its data, so a test can exercise "server down". */
    void stop();

    /** Starts a stopped server again on the same port with the same data. */
    void start();

    boolean isRunning();

    @Override
    void close();
}
