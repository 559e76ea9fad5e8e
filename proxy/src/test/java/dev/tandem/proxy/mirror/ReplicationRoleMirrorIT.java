package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * A session that writes under {@code session_replication_role = replica} (what bulk loaders do to skip triggers and
 * foreign-key checks) is replayed under it on the target, through the whole proxy: a BEFORE trigger that changes the
 * row fires on neither side, a foreign key to a parent without rows is checked on neither. Before, the target
 * replayed every write under its own origin: the trigger changed the target's rows only, and the foreign key had the
 * transaction ledgered.
 */
class ReplicationRoleMirrorIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** A trigger that changes the row, and a foreign key whose parent table stays empty. */
    static final String TABLES = "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " NEW.note := 'stamped by trigger'; RETURN NEW; END $$;"
            + " CREATE TABLE stamped (id int PRIMARY KEY, t timestamptz NOT NULL, note text);"
            + " CREATE TRIGGER stamp BEFORE INSERT ON stamped FOR EACH ROW EXECUTE FUNCTION stamp();"
            + " CREATE TABLE parent (id int PRIMARY KEY);"
            + " CREATE TABLE children (id int PRIMARY KEY, parent int NOT NULL REFERENCES parent, note text)";

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "replication_role",
                    started -> mirror = started)
            .tables(TABLES)
            .flags("--mirror-table", "public.stamped", "--mirror-table", "public.children")
            .emptiedBeforeEach("stamped, children");

    private static void assertIdenticalAndNothingLedgered(RunningMirrorProxy proxy) throws Exception {
        proxy.awaitCaughtUp(Duration.ofSeconds(30));
        proxy.assertIdentical("stamped");
        proxy.assertIdentical("children");
        assertThat(PG.target().queryValue(proxy.database, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    @Test
    void aSessionThatSetsReplicaIsReplayedUnderReplica() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("SET session_replication_role = replica");
            s.execute("INSERT INTO stamped VALUES (1, '2026-03-01', 'as sent')");
            s.execute("INSERT INTO children VALUES (1, 42, 'no parent')");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO stamped VALUES (?, '2026-03-02', ?)")) {
                for (int id = 2; id <= 4; id++) {
                    ps.setInt(1, id);
                    ps.setString(2, "prepared " + id);
                    ps.executeUpdate();
                }
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY children FROM STDIN", new ByteArrayInputStream(
                    "2\t43\tcopied\n".getBytes(StandardCharsets.UTF_8)));
            // back to origin: the trigger fires again, on both sides
            s.execute("RESET session_replication_role; INSERT INTO stamped VALUES (5, '2026-03-03', 'as sent')");
        }
        assertThat(PG.source().query(mirror.database, "SELECT id, note FROM stamped ORDER BY id"))
                .as("what the source stored").containsExactly(List.of("1", "as sent"), List.of("2", "prepared 2"),
                        List.of("3", "prepared 3"), List.of("4", "prepared 4"), List.of("5", "stamped by trigger"));
        assertIdenticalAndNothingLedgered(mirror);
    }

    /** A loader that asks for replica in its StartupMessage ({@code PGOPTIONS}, pgjdbc's {@code options}). */
    @Test
    void aSessionThatStartsUnderReplicaIsReplayedUnderReplica() throws Exception {
        try (Connection c = mirror.connect("options", "-c session_replication_role=replica");
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO stamped VALUES (1, '2026-03-01', 'as sent')");
            s.execute("INSERT INTO children VALUES (1, 42, 'no parent')");
        }
        assertThat(PG.source().queryValue(mirror.database, "SELECT note FROM stamped")).isEqualTo("as sent");
        assertIdenticalAndNothingLedgered(mirror);
    }

    /**
     * A SET in a transaction that rolls back (to a savepoint taken before it, too) changes nothing: the writes after it
     * run under the value from before, on the source and on the target.
     */
    @Test
    void aSetThatRollsBackChangesNothing() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("BEGIN");
            s.execute("SET session_replication_role = replica");
            s.execute("INSERT INTO stamped VALUES (1, '2026-03-01', 'rolled back')");
            s.execute("ROLLBACK");
            s.execute("INSERT INTO stamped VALUES (2, '2026-03-01', 'under origin')");
            s.execute("SET session_replication_role = replica");
            s.execute("INSERT INTO stamped VALUES (3, '2026-03-01', 'under replica')");
            s.execute("BEGIN");
            s.execute("SET session_replication_role = origin");
            s.execute("ROLLBACK");
            s.execute("INSERT INTO stamped VALUES (4, '2026-03-01', 'under replica again')");
            s.execute("BEGIN");
            s.execute("SAVEPOINT before_set");
            s.execute("SET session_replication_role = origin");
            s.execute("ROLLBACK TO SAVEPOINT before_set");
            s.execute("INSERT INTO stamped VALUES (5, '2026-03-01', 'still under replica')");
            s.execute("INSERT INTO children VALUES (5, 42, 'no parent')");
            s.execute("COMMIT");
        }
        assertThat(PG.source().query(mirror.database, "SELECT id, note FROM stamped ORDER BY id"))
                .containsExactly(List.of("2", "stamped by trigger"), List.of("3", "under replica"),
                        List.of("4", "under replica again"), List.of("5", "still under replica"));
        assertIdenticalAndNothingLedgered(mirror);
    }

    /**
     * A target user that may not set session_replication_role: the transaction is ledgered once, with a message that
     * says which GRANT fixes it and with the range of its rows for repair, and the mirror moves on. Once granted, the
     * next one applies.
     */
    @Test
    void aTargetUserThatMayNotSetItGetsTheTransactionLedgeredWithTheGrantThatFixesIt(@TempDir Path ownSpool)
            throws Exception {
        String db = PG.pair().freshDatabase("replication_role_plain");
        PG.pair().executeOnBoth(db, TABLES);
        PG.target().execute(db, "CREATE ROLE tandem_plain LOGIN; ALTER DATABASE " + db + " OWNER TO tandem_plain;"
                + " GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO tandem_plain");
        try (RunningMirrorProxy plain = RunningMirrorProxy.startAs("tandem_plain", PG.pair(), db, ownSpool,
                "--mirror-table", "public.stamped", "--set", "verifier.time-columns.public.stamped=t")) {
            try (Connection c = plain.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO stamped VALUES (1, '2026-03-01', 'under origin')");
                s.execute("SET session_replication_role = replica");
                s.execute("INSERT INTO stamped VALUES (2, '2026-03-02', 'under replica')");
                s.execute("RESET session_replication_role");
                s.execute("INSERT INTO stamped VALUES (3, '2026-03-03', 'under origin')");
            }
            plain.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().query(db, "SELECT id FROM stamped ORDER BY id"))
                    .containsExactly(List.of("1"), List.of("3"));
            assertThat(PG.target().query(db, "SELECT table_name, sqlstate, range_start IS NOT NULL, message"
                    + " FROM tandem.divergence")).singleElement().satisfies(entry -> {
                        assertThat(entry.subList(0, 3)).containsExactly("stamped", "42501", "t");
                        assertThat(entry.get(3)).startsWith("the source session wrote this transaction under"
                                + " session_replication_role = replica").contains("GRANT SET ON PARAMETER"
                                + " session_replication_role TO \"tandem_plain\"");
                    });

            // the right to set it: granted from PostgreSQL 15 on, a superuser's before
            PG.target().execute(db, PG.target().majorVersion() >= 15
                    ? "GRANT SET ON PARAMETER session_replication_role TO tandem_plain"
                    : "ALTER ROLE tandem_plain SUPERUSER");
            try (Connection c = plain.connect("options", "-c session_replication_role=replica");
                 Statement s = c.createStatement()) {
                s.execute("INSERT INTO stamped VALUES (4, '2026-03-04', 'under replica')");
            }
            plain.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().queryValue(db, "SELECT note FROM stamped WHERE id = 4")).isEqualTo("under replica");
        }
    }

    /**
     * An operator may have given the mirror's user replica as its own ({@code ALTER ROLE ... SET}, which a superuser
     * can do for a user that may not set it itself): writes under replica need no SET then, and are applied.
     */
    @Test
    void aTargetUserWhoseOwnValueIsReplicaNeedsNoRightToSetIt(@TempDir Path ownSpool) throws Exception {
        String db = PG.pair().freshDatabase("replication_role_own");
        PG.pair().executeOnBoth(db, TABLES);
        PG.target().execute(db, "CREATE ROLE tandem_replica LOGIN; ALTER DATABASE " + db + " OWNER TO tandem_replica;"
                + " GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO tandem_replica;"
                + " ALTER ROLE tandem_replica SET session_replication_role = replica");
        try (RunningMirrorProxy own = RunningMirrorProxy.startAs("tandem_replica", PG.pair(), db, ownSpool,
                "--mirror-table", "public.stamped", "--mirror-table", "public.children")) {
            try (Connection c = own.connect(); Statement s = c.createStatement()) {
                s.execute("SET session_replication_role = replica");
                s.execute("INSERT INTO stamped VALUES (1, '2026-03-01', 'as sent')");
                s.execute("INSERT INTO children VALUES (1, 42, 'no parent')");
            }
            assertIdenticalAndNothingLedgered(own);
        }
    }
}
