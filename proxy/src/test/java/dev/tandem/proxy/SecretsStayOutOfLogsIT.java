package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.EmbeddedPgServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * DESIGN.md's promise that passwords, SASL contents, Bind values and (redacted) SQL stay out of every log line and the
 * divergence ledger, checked on what a whole proxy really logs at TRACE: password-protected servers of their own
 * (so their pg_hba rules do not disturb the shared pair), sessions through the proxy with SCRAM and md5, a secret
 * literal, a secret bind value, a source error whose DETAIL carries the secret, and a mirrored transaction the
 * target rejects with the secret in its message.
 */
class SecretsStayOutOfLogsIT {

    private static final String DB = "secrets";
    private static final String APP_SCRAM_PASSWORD = "app-scram-PW-7f3a";
    private static final String APP_MD5_PASSWORD = "app-md5-PW-91cc";
    private static final String TARGET_PASSWORD = "target-PW-5e21";
    private static final String SOURCE_PASSWORD = "source-PW-0b7d";
    private static final String ADMIN_TOKEN = "admin-TOKEN-c4d8";
    private static final String LITERAL = "literal-SECRET-2219";
    private static final String BOUND = "bound-SECRET-8830";
    private static final String DUPLICATE = "duplicate-SECRET-4471";
    private static final String REJECTED = "rejected-SECRET-6602";

    private static final List<String> CREDENTIALS = List.of(APP_SCRAM_PASSWORD, APP_MD5_PASSWORD, TARGET_PASSWORD,
            SOURCE_PASSWORD, ADMIN_TOKEN);
    private static final List<String> VALUES = List.of(LITERAL, BOUND, DUPLICATE, REJECTED);

    @TempDir
    static Path tmp;

    static EmbeddedPgServer source;
    static EmbeddedPgServer target;
    static final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    static final Map<String, Level> previousLevels = new HashMap<>();

    @BeforeAll
    static void servers() {
        source = EmbeddedPgServer.start("secrets-source");
        target = EmbeddedPgServer.start("secrets-target");
        String table = "CREATE TABLE metrics (t timestamptz NOT NULL, id int PRIMARY KEY, note text UNIQUE)";
        source.execute("postgres", "CREATE DATABASE " + DB);
        target.execute("postgres", "CREATE DATABASE " + DB);
        source.execute(DB, table + "; SET password_encryption = 'scram-sha-256';"
                + " CREATE ROLE app_scram LOGIN PASSWORD '" + APP_SCRAM_PASSWORD + "';"
                + " CREATE ROLE verifier LOGIN SUPERUSER PASSWORD '" + SOURCE_PASSWORD + "';"
                + " SET password_encryption = 'md5'; CREATE ROLE app_md5 LOGIN PASSWORD '" + APP_MD5_PASSWORD + "';"
                + " GRANT ALL ON metrics TO app_scram, app_md5");
        // the target refuses one note the way a type or check mismatch does: with the value in the message
        target.execute(DB, table + "; SET password_encryption = 'scram-sha-256';"
                + " CREATE ROLE mirror LOGIN SUPERUSER PASSWORD '" + TARGET_PASSWORD + "';"
                + " CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.note LIKE 'rejected-%' THEN RAISE EXCEPTION USING ERRCODE = '23514',"
                + " MESSAGE = 'note ' || NEW.note || ' is not allowed', DETAIL = 'Failing row contains ' || NEW.note;"
                + " END IF; RETURN NEW; END $$;"
                + " CREATE TRIGGER refuse BEFORE INSERT ON metrics FOR EACH ROW EXECUTE FUNCTION refuse()");
        source.setHbaRules("host all app_scram 127.0.0.1/32 scram-sha-256", "host all app_md5 127.0.0.1/32 md5",
                "host all verifier 127.0.0.1/32 scram-sha-256");
        target.setHbaRules("host all mirror 127.0.0.1/32 scram-sha-256");

        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        for (String name : List.of("dev.tandem", "io.netty", "com.zaxxer.hikari")) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            previousLevels.put(name, logger.getLevel());
            logger.setLevel(Level.TRACE);
        }
        captured.setContext(root.getLoggerContext());
        captured.start();
        root.addAppender(captured);
    }

    @AfterAll
    static void stop() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(captured);
        captured.stop();
        previousLevels.forEach((name, level) -> ((Logger) LoggerFactory.getLogger(name)).setLevel(level));
        Stream.of(source, target).filter(Objects::nonNull).forEach(EmbeddedPgServer::close);
    }

    @Test
    void withRedactionNoLogEventAndNoLedgerRowHoldsASecret() throws Exception {
        List<ILoggingEvent> events = runWorkload(true, 1);
        assertThat(events).as("the proxy logged something at all").isNotEmpty();
        for (ILoggingEvent event : events) {
            String text = render(event);
            for (String secret : union(CREDENTIALS, VALUES)) {
                assertThat(text).as("log event %s", text).doesNotContain(secret);
            }
        }
        for (List<String> row : ledger()) {
            assertThat(String.join("|", row)).doesNotContain(REJECTED).doesNotContain(LITERAL).doesNotContain(BOUND);
        }
    }

    @Test
    void withoutRedactionSqlIsLoggedOnlyAtDebugAndCredentialsNever() throws Exception {
        List<ILoggingEvent> events = runWorkload(false, 1000);
        for (ILoggingEvent event : events) {
            String text = render(event);
            for (String secret : CREDENTIALS) {
                assertThat(text).as("log event %s", text).doesNotContain(secret);
            }
            assertThat(text).as("Bind value in log event %s", text).doesNotContain(BOUND);
            if (text.contains(LITERAL) || text.contains(DUPLICATE) || text.contains(REJECTED)) {
                assertThat(event.getLevel().toInt()).as("SQL in log event %s", text)
                        .isLessThanOrEqualTo(Level.DEBUG.toInt());
            }
        }
        // the same workload does reach the ledger: redaction, not chance, keeps the other test's rows clean
        assertThat(ledger()).anySatisfy(row -> assertThat(row.get(1) + row.get(2)).contains(REJECTED));
    }

    /** Runs the sessions against a fresh proxy and returns what it logged meanwhile. */
    private static List<ILoggingEvent> runWorkload(boolean redact, int ids) throws Exception {
        captured.list.clear();
        target.execute(DB, "DROP SCHEMA IF EXISTS tandem CASCADE; TRUNCATE metrics");
        source.execute(DB, "TRUNCATE metrics");
        Path spool = tmp.resolve("spool-" + redact);
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0",
                "--source", "127.0.0.1:" + source.port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + target.port(), "--target-user", "mirror", "--target-tls", "disable",
                "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0", "--mirror-table", "public.metrics",
                "--set", "source.user=verifier", "--set", "verifier.enabled=true", "--set", "verifier.interval=1s",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms",
                "--set", "logging.redact-sql=" + redact));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs(args.toArray(String[]::new));
        Map<String, String> env = Map.of("TANDEM_TARGET_PASSWORD", TARGET_PASSWORD,
                "TANDEM_SOURCE_PASSWORD", SOURCE_PASSWORD, "TANDEM_ADMIN_TOKEN", ADMIN_TOKEN);
        try (ProxyApplication app = new ProxyApplication(options.load(env)).start(Transport.choose("auto"))) {
            int port = app.relayAddress().getPort();
            try (Connection c = connect(port, "app_scram", APP_SCRAM_PASSWORD); Statement s = c.createStatement()) {
                s.execute("INSERT INTO metrics VALUES (now(), " + ids + ", '" + LITERAL + "')");
                try (ResultSet rs = s.executeQuery("SELECT note FROM metrics WHERE note = '" + LITERAL + "'")) {
                    assertThat(rs.next()).isTrue();
                }
                assertThatThrownBy(() -> s.execute("INSERT INTO metrics VALUES (now(), " + (ids + 1) + ", '"
                        + LITERAL + "'); SELECT '" + DUPLICATE + "'")).isInstanceOf(SQLException.class);
                s.execute("INSERT INTO metrics VALUES (now(), " + (ids + 2) + ", '" + REJECTED + "')");
            }
            try (Connection c = connect(port, "app_md5", APP_MD5_PASSWORD);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (now(), ?, ?)")) {
                for (int i = 0; i < 6; i++) { // past prepareThreshold, so the named-statement path is taken too
                    ps.setInt(1, ids + 10 + i);
                    ps.setString(2, BOUND + "-" + i);
                    ps.executeUpdate();
                }
                ps.setInt(1, ids + 20);
                ps.setString(2, LITERAL);
                assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class)
                        .hasMessageContaining(LITERAL);
            }
            assertThatThrownBy(() -> connect(port, "app_scram", "wrong-" + APP_SCRAM_PASSWORD))
                    .isInstanceOf(SQLException.class);
            awaitLedgered(ids + 2);
            awaitCaughtUp(app);
        }
        return List.copyOf(captured.list);
    }

    private static Connection connect(int port, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + DB, p);
    }

    private static void awaitLedgered(int id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (ledger().stream().noneMatch(row -> row.get(0).equals("23514"))
                || !target.queryValue(DB, "SELECT count(*) FROM metrics WHERE id > " + id).equals("6")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the rejected transaction was not ledgered within 30 s: " + ledger());
            }
            Thread.sleep(50);
        }
    }

    private static void awaitCaughtUp(ProxyApplication app) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!app.mirrorCaughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the mirror did not catch up within 30 s");
            }
            Thread.sleep(20);
        }
    }

    private static List<List<String>> ledger() {
        try {
            return target.query(DB, "SELECT sqlstate, coalesce(message, ''), coalesce(statement, '')"
                    + " FROM tandem.divergence");
        } catch (IllegalStateException e) {
            return List.of(); // the ledger table is created when the mirror first connects
        }
    }

    /** Everything a layout or an appender could print of the event: message, arguments and the throwable chain. */
    private static String render(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(event.getLevel() + " " + event.getLoggerName() + " "
                + event.getFormattedMessage());
        if (event.getArgumentArray() != null) {
            for (Object argument : event.getArgumentArray()) {
                text.append(" | ").append(argument);
            }
        }
        for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
            text.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
            for (IThrowableProxy suppressed : t.getSuppressed()) {
                text.append(" | ").append(suppressed.getClassName()).append(": ").append(suppressed.getMessage());
            }
        }
        return text.toString();
    }

    private static List<String> union(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
