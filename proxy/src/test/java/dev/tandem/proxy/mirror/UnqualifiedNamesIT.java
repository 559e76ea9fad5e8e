package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * An unqualified table name means the first table of that name along the session's {@code search_path}, as the
 * catalog has it: a schema that has no such table is passed over, and {@code $user} is the schema named after the
 * session's current user ({@code current_user}: the login user until a SET ROLE or SET SESSION AUTHORIZATION). The
 * proxy must decide what is mirrored, and the target must replay, the table the source wrote.
 */
class UnqualifiedNamesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    static final String ROLES = "DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD 'app';"
            + " EXCEPTION WHEN duplicate_object THEN END $$;"
            + " DO $$ BEGIN CREATE ROLE app_login LOGIN PASSWORD 'app_login'; CREATE ROLE tenant_a;"
            + " GRANT tenant_a TO app_login; EXCEPTION WHEN duplicate_object THEN END $$";

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "unqualified", started -> mirror = started)
            .prepared(db -> {
                PG.source().execute("postgres", ROLES);
                PG.target().execute("postgres", ROLES);
            })
            .tables("CREATE TABLE readings (id int PRIMARY KEY, v text);"
                    + " CREATE SCHEMA tenant; CREATE TABLE tenant.settings (k text);"
                    + " CREATE SCHEMA app AUTHORIZATION app; CREATE TABLE app.readings (id int PRIMARY KEY, v text);"
                    + " GRANT ALL ON readings TO app; GRANT ALL ON app.readings TO app;"
                    // an application that logs in as app_login and works as its tenant's role, in the tenant's schema
                    + " CREATE SCHEMA tenant_a AUTHORIZATION tenant_a;"
                    + " CREATE TABLE tenant_a.readings (id int PRIMARY KEY, v text);"
                    + " GRANT ALL ON tenant_a.readings TO tenant_a; GRANT ALL ON readings TO tenant_a, app_login;"
                    // a tenant's table that no schema of the default path has
                    + " CREATE TABLE tenant_a.alerts (id int PRIMARY KEY, v text)")
            .flags("--mirror-table", "public.readings", "--mirror-table", "app.readings",
                    "--mirror-table", "tenant_a.readings", "--mirror-table", "tenant_a.alerts")
            .emptiedBeforeEach("readings, app.readings, tenant_a.readings, tenant_a.alerts");

    @BeforeEach
    void emptyLedger() throws Exception {
        PG.target().execute(mirror.database, "DO $$ BEGIN DELETE FROM tandem.divergence;"
                + " EXCEPTION WHEN undefined_table THEN END $$"); // the mirror creates it with its first write
    }

    @Test
    void aSchemaOfThePathWithoutTheTableIsPassedOver() throws Exception {
        // schema-per-tenant: the tenant's own tables first, the shared ones in public
        try (Connection c = mirror.connect("options", "-c search_path=tenant,public");
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO readings VALUES (1, 'shared')");
            s.execute("SET search_path = tenant, public");
            s.execute("INSERT INTO readings VALUES (2, 'after a SET')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM readings")).isEqualTo("2");
        mirror.assertIdentical("readings");
        assertThat(PG.target().query(mirror.database, "SELECT * FROM tandem.divergence")).isEmpty();
    }

    @Test
    void dollarUserIsTheSchemaNamedAfterTheSessionsUser() throws Exception {
        try (Connection c = mirror.connect("user", "app", "password", "app"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO readings VALUES (1, 'the app schema''s')");
            s.execute("INSERT INTO public.readings VALUES (2, 'public''s')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT string_agg(v, ',') FROM app.readings"))
                .isEqualTo("the app schema's");
        mirror.assertIdentical("app.readings");
        mirror.assertIdentical("public.readings");
    }

    /**
     * {@code $user} follows the session's current user: after SET ROLE an unqualified name means the role's schema's
     * table on the source, and must on the target too. Before, the proxy took {@code $user} for the login user always
     * and mirrored these rows into public.readings.
     */
    @Test
    void dollarUserIsTheSchemaOfTheRoleTheSessionSet() throws Exception {
        try (Connection c = mirror.connect("user", "app_login", "password", "app_login", "prepareThreshold", "1");
             Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO readings VALUES (?, ?)")) {
            insert(insert, 1, "parsed and run as app_login");
            s.execute("SET ROLE tenant_a");
            s.execute("INSERT INTO readings VALUES (2, 'as tenant_a')");
            insert(insert, 3, "parsed as app_login, run as tenant_a");
            s.execute("RESET ROLE");
            insert(insert, 4, "as app_login again");
            s.execute("SET ROLE tenant_a; INSERT INTO readings VALUES (5, 'as tenant_a, same query string');"
                    + " SET ROLE NONE; INSERT INTO readings VALUES (6, 'as app_login, same query string')");
        }
        assertRowsIn("tenant_a.readings", "2", "3", "5");
        assertRowsIn("public.readings", "1", "4", "6");
        assertMirroredAndNothingLedgered();
    }

    /** A role asked for in the StartupMessage ({@code PGOPTIONS}, pgjdbc's {@code options}) is what RESET returns to. */
    @Test
    void aRoleFromTheStartupMessageIsWhatResetReturnsTo() throws Exception {
        try (Connection c = mirror.connect("user", "app_login", "password", "app_login",
                "options", "-c role=tenant_a"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO readings VALUES (1, 'started as tenant_a')");
            s.execute("SET ROLE NONE");
            s.execute("INSERT INTO readings VALUES (2, 'as app_login')");
            s.execute("RESET ROLE");
            s.execute("INSERT INTO readings VALUES (3, 'reset to tenant_a')");
        }
        assertRowsIn("tenant_a.readings", "1", "3");
        assertRowsIn("public.readings", "2");
        assertMirroredAndNothingLedgered();
    }

    /** SET LOCAL ends with its transaction, a SET that rolls back (to a savepoint, too) changes nothing. */
    @Test
    void aRoleFollowsTheTransactionRules() throws Exception {
        try (Connection c = mirror.connect("user", "app_login", "password", "app_login");
             Statement s = c.createStatement()) {
            s.execute("BEGIN; SET LOCAL ROLE tenant_a; INSERT INTO readings VALUES (1, 'local role'); COMMIT");
            s.execute("INSERT INTO readings VALUES (2, 'after the local role')");
            s.execute("BEGIN; SET ROLE tenant_a; ROLLBACK");
            s.execute("INSERT INTO readings VALUES (3, 'after a rolled back role')");
            s.execute("BEGIN; SET ROLE tenant_a; SAVEPOINT s; SET ROLE NONE; INSERT INTO readings VALUES (4, 'none');"
                    + " ROLLBACK TO SAVEPOINT s; INSERT INTO readings VALUES (5, 'tenant_a again'); COMMIT");
            s.execute("INSERT INTO readings VALUES (6, 'the role committed')");
            s.execute("RESET ALL"); // role is not among what RESET ALL resets
            s.execute("INSERT INTO readings VALUES (7, 'after RESET ALL')");
            s.execute("DISCARD ALL");
            s.execute("INSERT INTO readings VALUES (8, 'after DISCARD ALL')");
        }
        assertRowsIn("tenant_a.readings", "1", "5", "6", "7");
        assertRowsIn("public.readings", "2", "3", "8");
        assertMirroredAndNothingLedgered();
    }

    /** SET SESSION AUTHORIZATION (a superuser's) makes the current user its user, and ends a SET ROLE. */
    @Test
    void sessionAuthorizationChangesTheCurrentUser() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("SET SESSION AUTHORIZATION tenant_a");
            s.execute("INSERT INTO readings VALUES (1, 'session user tenant_a')");
            s.execute("RESET SESSION AUTHORIZATION");
            s.execute("INSERT INTO readings VALUES (2, 'the login user again')");
            s.execute("SET ROLE tenant_a; SET SESSION AUTHORIZATION app_login");
            s.execute("INSERT INTO readings VALUES (3, 'app_login, the role ended')");
            s.execute("SET ROLE tenant_a");
            s.execute("INSERT INTO readings VALUES (4, 'app_login as tenant_a')");
            s.execute("SET ROLE NONE");
            s.execute("INSERT INTO readings VALUES (5, 'app_login as itself')");
        }
        assertRowsIn("tenant_a.readings", "1", "4");
        assertRowsIn("public.readings", "2", "3", "5");
        assertMirroredAndNothingLedgered();
    }

    /**
     * A role set where the proxy cannot follow it (set_config) leaves {@code $user} unknown: a write whose name it
     * decides is ledgered with the reason, not replayed into a guessed table; a qualified one is mirrored as usual,
     * and a SET ROLE makes the role known again.
     */
    @Test
    void aRoleTheProxyCannotFollowLedgersTheWritesItDecides() throws Exception {
        try (Connection c = mirror.connect("user", "app_login", "password", "app_login");
             Statement s = c.createStatement()) {
            s.execute("SELECT set_config('role', 'tenant_a', false)");
            s.execute("INSERT INTO readings VALUES (1, 'unknown role')");
            s.execute("INSERT INTO tenant_a.readings VALUES (2, 'qualified')");
            s.execute("RESET ROLE");
            s.execute("INSERT INTO readings VALUES (3, 'known again')");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertRowsIn("tenant_a.readings", "1", "2");
        assertThat(PG.target().query(mirror.database, "SELECT id FROM tenant_a.readings")).containsExactly(List.of("2"));
        mirror.assertIdentical("public.readings");
        // one entry for each mirrored table the name may mean, the one the row went to among them
        List<List<String>> ledger = PG.target().query(mirror.database,
                "SELECT table_schema || '.' || table_name, message FROM tandem.divergence ORDER BY 1");
        assertThat(ledger).extracting(entry -> entry.get(0))
                .containsExactly("app.readings", "public.readings", "tenant_a.readings");
        assertThat(ledger).allSatisfy(entry -> assertThat(entry.get(1)).contains("current user", "set_config",
                "each has an entry like this one"));
    }

    /**
     * A search_path set where the proxy cannot follow it (set_config, as multi-tenant applications and ORMs switch
     * schemas; a DO block) leaves it unknown: an unqualified write is ledgered with the reason, not replayed into the
     * table the last path the proxy knew would mean; a qualified one is mirrored as usual; a SET, RESET or DISCARD ALL
     * makes the path known again, and a local set_config ends with its transaction. Before, the proxy kept resolving
     * under the last path it knew and mirrored tenant_a's rows into public.readings, and lost tenant_a.alerts' rows.
     * PostgreSQL 18 reports the path, and every write here is mirrored.
     */
    @Test
    void aSearchPathTheProxyCannotFollowLedgersTheUnqualifiedWrites() throws Exception {
        try (Connection c = mirror.connect("prepareThreshold", "1"); Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO readings VALUES (?, ?)")) {
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            insert(insert, 10, "prepared and run before");
            s.execute("SELECT set_config('search_path', 'tenant_a, public', false)");
            s.execute("INSERT INTO readings VALUES (1, 'after set_config')");
            copy.copyIn("COPY readings FROM STDIN", new ByteArrayInputStream("2\tcopied after set_config\n".getBytes()));
            s.execute("INSERT INTO alerts VALUES (1, 'a table of tenant_a only')");
            insert(insert, 11, "prepared before set_config, run after it");
            s.execute("INSERT INTO public.readings VALUES (3, 'qualified')");
            s.execute("SET search_path = tenant_a, public");
            s.execute("INSERT INTO readings VALUES (4, 'after a SET')");
            s.execute("RESET search_path");
            c.setAutoCommit(false);
            s.execute("SELECT set_config('search_path', 'tenant_a', true)");
            s.execute("INSERT INTO readings VALUES (5, 'after a local set_config')");
            c.commit();
            c.setAutoCommit(true);
            s.execute("INSERT INTO readings VALUES (6, 'the local path ended with its transaction')");
            s.execute("DO $$ BEGIN SET search_path = tenant_a, public; END $$");
            s.execute("INSERT INTO readings VALUES (7, 'after a DO block')");
            copy.copyIn("COPY readings FROM STDIN", new ByteArrayInputStream("8\tcopied after a DO block\n".getBytes()));
            s.execute("DISCARD ALL");
            s.execute("INSERT INTO readings VALUES (9, 'after DISCARD ALL')");
        }
        assertRowsIn("tenant_a.readings", "1", "2", "4", "5", "7", "8", "11");
        assertRowsIn("public.readings", "3", "6", "9", "10");
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.readings");
        List<List<String>> ledger = PG.target().query(mirror.database,
                "SELECT table_schema || '.' || table_name, message FROM tandem.divergence ORDER BY id");
        if (PG.source().majorVersion() >= 18) {
            // PostgreSQL 18 reports the path before the ReadyForQuery after each of those statements: the proxy knows
            // it again from there on, and every write above came in a later request
            mirror.assertIdentical("tenant_a.readings");
            mirror.assertIdentical("tenant_a.alerts");
            assertThat(ledger).isEmpty();
            return;
        }
        assertThat(PG.target().query(mirror.database, "SELECT id FROM tenant_a.readings")).containsExactly(List.of("4"));
        assertThat(PG.target().query(mirror.database, "SELECT id FROM tenant_a.alerts")).isEmpty();
        // each write of readings has an entry for each mirrored table of the name, the one its row went to among them
        // the table the proxy resolved the write to first, then the others by name
        List<String> readings = List.of("public.readings", "app.readings", "tenant_a.readings");
        List<String> expected = new ArrayList<>();
        for (int write = 0; write < 6; write++) {
            expected.addAll(readings);
            if (write == 1) {
                expected.add("tenant_a.alerts");
            }
        }
        assertThat(ledger).extracting(entry -> entry.get(0)).containsExactlyElementsOf(expected);
        assertThat(ledger).allSatisfy(entry -> assertThat(entry.get(1)).contains("search_path", "not known",
                "schema-qualify", "SET search_path", "each has an entry like this one"));
        assertThat(ledger.get(0).get(1)).contains("set_config");
        assertThat(ledger.get(ledger.size() - 4).get(1)).contains("DO block");
    }

    /**
     * A path a role sets for its sessions ({@code ALTER ROLE ... SET search_path}) is not in the StartupMessage:
     * PostgreSQL 18 reports it at start-up, and the proxy resolves the session's unqualified names under it. Older
     * servers do not report it (README), so the test needs 18.
     */
    @Test
    void aRolesOwnSearchPathIsFollowedWhereTheServerReportsIt() throws Exception {
        assumeTrue(PG.source().majorVersion() >= 18, "PostgreSQL before 18 does not report search_path");
        String alter = "ALTER ROLE app_login IN DATABASE " + mirror.database;
        PG.source().execute(mirror.database, alter + " SET search_path = tenant_a, public");
        try (Connection c = mirror.connect("user", "app_login", "password", "app_login");
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO readings VALUES (1, 'under the role''s own path')");
            s.execute("INSERT INTO public.readings VALUES (2, 'qualified')");
        } finally {
            PG.source().execute(mirror.database, alter + " RESET search_path");
        }
        assertRowsIn("tenant_a.readings", "1");
        assertMirroredAndNothingLedgered();
    }

    /**
     * A function or procedure that sets search_path inside its body (a {@code SET search_path} clause of the function
     * itself is undone as it returns) changes it where the proxy cannot see. PostgreSQL 18 reports the path before the
     * ReadyForQuery after it, also when the function put back what the server had reported before (then with no
     * report: the path in force is the one reported last), and the proxy takes the reported path over the one it had
     * followed for the writes of the next requests. Before, it kept its own path and mirrored these rows into the
     * other table of the name. On older servers this cannot be seen (README).
     */
    @Test
    void aPathAFunctionSetsIsTakenFromTheServersReport() throws Exception {
        assumeTrue(PG.source().majorVersion() >= 18, "PostgreSQL before 18 does not report search_path, so a path"
                + " changed inside a function cannot be seen (source " + PG.source().majorVersion() + ")");
        createPathFunctions();
        try (Connection c = mirror.connect("prepareThreshold", "1"); Statement s = c.createStatement();
             PreparedStatement insert = c.prepareStatement("INSERT INTO readings VALUES (?, ?)")) {
            s.execute("SET search_path = tenant_a, public; SELECT use_default_path()");
            s.execute("INSERT INTO readings VALUES (1, 'after a function put the path back')");
            insert(insert, 2, "prepared under the default path");
            s.execute("SELECT use_tenant_a()");
            s.execute("INSERT INTO readings VALUES (3, 'after a function set the path')");
            insert(insert, 4, "prepared before the function, run after it");
            s.execute("CALL use_default_path_procedure()");
            s.execute("INSERT INTO readings VALUES (5, 'after a procedure set the path')");
            c.setAutoCommit(false);
            s.execute("SELECT use_tenant_a_in_transaction()");
            s.execute("INSERT INTO readings VALUES (6, 'in the transaction a function set the path for')");
            c.commit();
            c.setAutoCommit(true);
            s.execute("INSERT INTO readings VALUES (7, 'after that transaction')");
        }
        assertRowsIn("tenant_a.readings", "3", "4", "6");
        assertRowsIn("public.readings", "1", "2", "5", "7");
        assertMirroredAndNothingLedgered();
    }

    /**
     * The writes of the request (query string or pipelined batch) at whose end the source reported a path other than
     * the one the proxy had followed were resolved under a path that was wrong from some point on: they are ledgered
     * with the reason, not replayed into a guessed table; the next request's are mirrored under the reported path.
     * Before, they were mirrored into public.readings while the source had written tenant_a.readings.
     */
    @Test
    void theWritesOfTheRequestThatChangedThePathUnseenAreLedgered() throws Exception {
        assumeTrue(PG.source().majorVersion() >= 18, "PostgreSQL before 18 does not report search_path, so a path"
                + " changed inside a function cannot be seen (source " + PG.source().majorVersion() + ")");
        createPathFunctions();
        try (Connection c = mirror.connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("SELECT use_tenant_a(); INSERT INTO readings VALUES (1, 'behind the function, one query')");
            s.execute("INSERT INTO readings VALUES (2, 'in the next query')");
        }
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.addBatch("CALL use_tenant_a_procedure()");
            s.addBatch("INSERT INTO readings VALUES (3, 'behind the procedure, one pipelined batch')");
            s.executeBatch();
            s.execute("INSERT INTO public.readings VALUES (4, 'qualified, in the next request')");
        }
        assertRowsIn("tenant_a.readings", "1", "2", "3");
        assertRowsIn("public.readings", "4");
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("public.readings");
        assertThat(PG.target().query(mirror.database, "SELECT id FROM tenant_a.readings"))
                .as("mirrored into tenant_a.readings").containsExactly(List.of("2"));
        List<List<String>> ledger = PG.target().query(mirror.database,
                "SELECT table_schema || '.' || table_name, message FROM tandem.divergence ORDER BY id");
        assertThat(ledger).extracting(entry -> entry.get(0)).containsExactly("public.readings", "public.readings");
        assertThat(ledger).allSatisfy(entry -> assertThat(entry.get(1)).contains(
                "reported tenant_a, public where the proxy had followed $user, public", "inside a function"));
    }

    /** Functions and procedures that set search_path where the proxy cannot see, on the source. */
    private static void createPathFunctions() {
        PG.source().execute(mirror.database, """
                CREATE OR REPLACE FUNCTION use_tenant_a() RETURNS void LANGUAGE plpgsql AS
                  $$ BEGIN PERFORM set_config('search_path', 'tenant_a, public', false); END $$;
                CREATE OR REPLACE FUNCTION use_tenant_a_in_transaction() RETURNS void LANGUAGE plpgsql AS
                  $$ BEGIN PERFORM set_config('search_path', 'tenant_a, public', true); END $$;
                CREATE OR REPLACE FUNCTION use_default_path() RETURNS void LANGUAGE plpgsql AS
                  $$ BEGIN SET search_path = "$user", public; END $$;
                CREATE OR REPLACE PROCEDURE use_tenant_a_procedure() LANGUAGE plpgsql AS
                  $$ BEGIN SET search_path = tenant_a, public; END $$;
                CREATE OR REPLACE PROCEDURE use_default_path_procedure() LANGUAGE plpgsql AS
                  $$ BEGIN SET search_path = "$user", public; END $$""");
    }

    private static void insert(PreparedStatement insert, int id, String v) throws Exception {
        insert.setInt(1, id);
        insert.setString(2, v);
        insert.executeUpdate();
    }

    private static void assertRowsIn(String table, String... ids) {
        List<List<String>> expected = Arrays.stream(ids).map(List::of).toList();
        assertThat(PG.source().query(mirror.database, "SELECT id FROM " + table + " ORDER BY id"))
                .as("what the source stored in %s", table).isEqualTo(expected);
    }

    private static void assertMirroredAndNothingLedgered() throws Exception {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("tenant_a.readings");
        mirror.assertIdentical("public.readings");
        assertThat(PG.target().query(mirror.database, "SELECT message FROM tandem.divergence")).isEmpty();
    }
}
