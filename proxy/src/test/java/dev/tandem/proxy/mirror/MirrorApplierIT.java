package dev.tandem.proxy.mirror;

import static dev.tandem.proxy.mirror.MirrorFixture.COMMITTED_AT;
import static dev.tandem.proxy.mirror.MirrorFixture.INSTANCE;
import static dev.tandem.proxy.mirror.MirrorFixture.simple;
import static dev.tandem.proxy.mirror.MirrorFixture.tx;
import static dev.tandem.proxy.mirror.MirrorFixture.utf8;
import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.LoggedWarnings;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.InputSettings;
import dev.tandem.proxy.capture.ReplicationRole;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class MirrorApplierIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final Instant TS = Instant.parse("2024-01-02T03:04:05.123456Z");
    private static final String TS_TEXT = "2024-01-02 03:04:05.123456";
    private static final String MIRRORED = "tandem.mirror.transactions";

    @TempDir
    Path spoolDir;
    private String db;

    @BeforeEach
    void createDatabase() {
        db = PG.pair().freshDatabase("mirror");
        PG.target().execute(db,
                "CREATE TABLE m (id int, ts timestamptz, v text, tx xid8 DEFAULT pg_current_xact_id())");
    }

    private List<List<String>> rows() {
        return PG.target().query(db, "SELECT id, (ts AT TIME ZONE 'UTC')::text, v FROM m ORDER BY id, v");
    }

    private List<List<String>> ledger() {
        return PG.target().query(db, "SELECT instance_id, database, session, table_schema, table_name, sqlstate,"
                + " statement FROM tandem.divergence ORDER BY id");
    }

    @Test
    void replaysSimpleExtendedAndCopyStatementsByteForByte() throws Exception {
        CapturedStatement binaryParameters = new CapturedStatement.Extended(new TableName("public", "m"), 1,
                "INSERT INTO m (id, ts, v) VALUES ($1, $2, $3)", new int[] {23, 1184, 25}, new short[] {1, 1, 0},
                new byte[][] {int4(2), timestamptz(TS), utf8("extended binary")});
        CapturedStatement textWithNulls = new CapturedStatement.Extended(new TableName("public", "m"), 1,
                "INSERT INTO m (id, ts, v) VALUES ($1, $2, $3)", new int[0], new short[] {0},
                new byte[][] {utf8("3"), null, null});
        CapturedStatement copyText = new CapturedStatement.Copy(new TableName("public", "m"), 2,
                "COPY m (id, ts, v) FROM STDIN", List.of(utf8("10\t2024-01-02 03:04:05.123456+00\tcopy a\n11\t\\N\tco"),
                utf8("py b\n")));
        CapturedStatement copyCsv = new CapturedStatement.Copy(new TableName("public", "m"), 1,
                "COPY m (id, ts, v) FROM STDIN (FORMAT csv)", List.of(utf8("20,,\"csv, quoted\"\n")));
        CapturedStatement copyBinary = new CapturedStatement.Copy(new TableName("public", "m"), 1,
                "COPY m (id, ts, v) FROM STDIN (FORMAT binary)", List.of(binaryCopy(30, TS, "copy binary")));
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, ts, v) VALUES (1, '2024-01-02 03:04:05.123456+00',"
                    + " 'simple')")));
            f.append(tx(db, binaryParameters, textWithNulls));
            f.append(tx(db, copyText));
            f.append(tx(db, copyCsv));
            f.awaitApplied(f.append(tx(db, copyBinary)));

            assertThat(rows()).containsExactly(
                    List.of("1", TS_TEXT, "simple"),
                    List.of("2", TS_TEXT, "extended binary"),
                    row("3", null, null),
                    List.of("10", TS_TEXT, "copy a"),
                    row("11", null, "copy b"),
                    row("20", null, "csv, quoted"),
                    List.of("30", TS_TEXT, "copy binary"));
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "applied")).isEqualTo(5);
            assertThat(f.counter("tandem.mirror.rows", "table", "public.m", "outcome", "applied")).isEqualTo(7);
            assertThat(f.counter("tandem.source.rows", "table", "public.m")).isEqualTo(7);
            assertThat(f.counter("tandem.target.rows", "table", "public.m")).isEqualTo(7);
            assertThat(f.counter("tandem.mirror.row.count.mismatches", "table", "public.m")).isZero();
            assertThat(f.gauge("tandem.mirror.target.up")).isEqualTo(1);
            eventually("no lag once applied", () -> f.gauge("tandem.mirror.lag.seconds") == 0);
            assertThat(f.gauge("tandem.mirror.lag.bytes")).isZero();
            assertThat(f.gauge("tandem.spool.records")).isZero();
            assertThat(f.gauge("tandem.spool.bytes")).isPositive();
            assertThat(f.gauge("tandem.spool.max.bytes")).isEqualTo(64L << 20);
            assertThat(f.applier.appliedSequence()).isEqualTo(5);
        }
        assertThat(PG.target().query(db, "SELECT sequence, applied_at IS NOT NULL FROM tandem.mirror_progress"
                + " WHERE instance_id = '" + INSTANCE + "'")).containsExactly(List.of("5", "t"));
        assertThat(PG.target().query(db, "SELECT first_mirrored_at = to_timestamp(" + COMMITTED_AT + " / 1000.0),"
                + " marked_at IS NULL FROM tandem.dual_write WHERE database = '" + db + "'"))
                .containsExactly(List.of("t", "t"));
    }

    @Test
    void setsEachMembersSearchPathWithQuotedSchemas() throws Exception {
        PG.target().execute(db, "CREATE SCHEMA \"Odd Schema\"; CREATE TABLE \"Odd Schema\".m (id int, v text)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.pause();
            f.append(tx(db, List.of("Odd Schema", "public"),
                    simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'odd')")));
            SpoolPosition last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'default')")));
            f.applier.start();
            f.applier.resume();
            f.awaitApplied(last);
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM \"Odd Schema\".m")).containsExactly(List.of("1", "odd"));
        // set_config(..., true) is local to the target transaction: the next member of the group is not affected
        assertThat(PG.target().query(db, "SELECT id, v FROM public.m")).containsExactly(List.of("2", "default"));
    }

    /**
     * A source session may list its own schema before pg_catalog. Its statements run under that path, as on the
     * source, but the mirror's own statements between and after them must not: a schema there holding functions named
     * as the built-ins would run them as the mirror's user (set_config before the next member's path, now() in the
     * progress write).
     */
    @Test
    void theMirrorsOwnStatementsDoNotCallFunctionsOfASchemaTheSessionListsBeforePgCatalog() throws Exception {
        PG.target().execute(db, "CREATE SCHEMA shadow; CREATE TABLE shadow.calls (fn text, by_user text);"
                + " CREATE FUNCTION shadow.set_config(text, text, boolean) RETURNS text LANGUAGE sql AS $f$"
                + " INSERT INTO shadow.calls VALUES ('set_config', current_user);"
                + " SELECT pg_catalog.set_config($1, $2, $3) $f$;"
                + " CREATE FUNCTION shadow.now() RETURNS timestamptz LANGUAGE sql AS $f$"
                + " INSERT INTO shadow.calls VALUES ('now', current_user); SELECT pg_catalog.now() $f$;"
                // the range's query runs in a transaction rolled back: a sequence keeps the trace of a call
                + " CREATE SEQUENCE shadow.isfinite_calls;"
                + " CREATE FUNCTION shadow.isfinite(timestamptz) RETURNS boolean LANGUAGE sql AS $f$"
                + " SELECT pg_catalog.nextval('shadow.isfinite_calls'); SELECT pg_catalog.isfinite($1) $f$;"
                + " CREATE TABLE up (ts timestamptz NOT NULL, id int PRIMARY KEY);"
                + " INSERT INTO up VALUES ('2024-01-01 00:00:00+00', 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE IF NOT EXISTS tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'up', 'ts')");
        List<String> shadowFirst = List.of("shadow", "pg_catalog", "public");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.pause();
            f.append(tx(db, shadowFirst, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'shadowed')")));
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'default')")));
            f.append(tx(db, shadowFirst, simple("m", 1, "INSERT INTO m (id, v) VALUES (3, 'shadowed again')")));
            // refused (the key is taken): the range of its rows is found in a scratch copy under its path
            SpoolPosition last = f.append(tx(db, shadowFirst,
                    simple("up", 1, "INSERT INTO up VALUES ('2024-02-01 00:00:00+00', 1)")));
            f.applier.start();
            f.applier.resume();
            f.awaitApplied(last);
        }
        assertThat(PG.target().query(db, "SELECT id FROM public.m ORDER BY id"))
                .containsExactly(List.of("1"), List.of("2"), List.of("3"));
        assertThat(PG.target().query(db, "SELECT sqlstate, range_start FROM tandem.divergence WHERE table_name = 'up'"))
                .containsExactly(List.of("23505", "2024-02-01 00:00:00+00"));
        assertThat(PG.target().query(db, "SELECT fn, by_user FROM shadow.calls")).isEmpty();
        assertThat(PG.target().queryValue(db, "SELECT is_called FROM shadow.isfinite_calls")).isEqualTo("f");
    }

    /**
     * Transactions whose INSERT calls a function that changes the session (here the mirror's, on the target) are
     * found in a group of many by applying its halves again, and ledgered; the others are applied where they belong,
     * under the mirror's own role and search_path, in one group each half. One that made the transaction read-only
     * fails the next member's INSERT with 25006, which is not taken for a read-only target: the group wrote before.
     */
    @Test
    void theTransactionsOfAGroupThatChangedTheMirrorsSessionAreFoundAndLedgered() throws Exception {
        PG.target().execute(db, "DO $$ BEGIN CREATE ROLE tandem_sneak NOLOGIN;"
                + " EXCEPTION WHEN duplicate_object THEN NULL; END $$; CREATE SCHEMA decoy;"
                + " CREATE TABLE decoy.m (LIKE public.m); GRANT USAGE ON SCHEMA decoy TO tandem_sneak;"
                + " GRANT ALL ON decoy.m TO tandem_sneak;"
                + " CREATE FUNCTION public.path() RETURNS text LANGUAGE sql"
                + " AS $f$ SELECT set_config('search_path', 'decoy, public', false) $f$;"
                + " CREATE FUNCTION public.sneak() RETURNS text LANGUAGE plpgsql"
                + " AS $f$ BEGIN SET ROLE tandem_sneak; RETURN 'role'; END $f$;"
                + " CREATE FUNCTION public.readonly() RETURNS text LANGUAGE sql"
                + " AS $f$ SELECT set_config('transaction_read_only', 'on', false) $f$");
        int count = 100;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (int i = 0; i < count; i++) {
                String v = i == 37 ? "public.path()" : i == 60 ? "public.readonly()"
                        : i == 80 ? "public.sneak()" : "'g'";
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", " + v + ")")));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "applied")).isEqualTo(count - 3);
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "ledgered")).isEqualTo(3);
        }
        assertThat(PG.target().query(db, "SELECT statement FROM tandem.divergence WHERE sqlstate IS NULL AND message"
                + " LIKE 'not replayed: it changed the mirror''s own session%' ORDER BY id")).containsExactly(
                List.of("INSERT INTO m (id, v) VALUES (37, public.path())"),
                List.of("INSERT INTO m (id, v) VALUES (60, public.readonly())"),
                List.of("INSERT INTO m (id, v) VALUES (80, public.sneak())"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM public.m")).isEqualTo(String.valueOf(count - 3));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM decoy.m")).isEqualTo("0");
    }

    /**
     * A function an INSERT calls on the target may change, for the rest of the group's transaction or for the
     * session, a setting the target reads later values under: the applier sets a member's settings only where they
     * differ from the member's before, so the next member of the group was read under the function's. Before, the
     * session check compared none of them and the group committed with the later row's instant, date, backslash or
     * text changed, silently. Now the member that changed one is ledgered, naming the setting and the value found,
     * and the others are applied as the source wrote them.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "TimeZone Asia/Tokyo|PERFORM set_config('TimeZone', 'Asia/Tokyo', false)",
        "TimeZone Asia/Tokyo|SET LOCAL TimeZone = 'Asia/Tokyo'",
        "DateStyle ISO, DMY|SET DateStyle = DMY",
        "standard_conforming_strings off|SET standard_conforming_strings = off",
        "client_encoding LATIN1|SET client_encoding = 'LATIN1'",
        "array_nulls off|PERFORM set_config('array_nulls', 'off', false)"})
    void aMemberThatChangesAnInputSettingForTheMembersAfterItIsLedgered(String changeAndFound) throws Exception {
        String found = changeAndFound.substring(0, changeAndFound.indexOf('|'));
        String change = changeAndFound.substring(changeAndFound.indexOf('|') + 1);
        PG.target().execute(db, "CREATE FUNCTION public.change() RETURNS text LANGUAGE plpgsql"
                + " AS $f$ BEGIN " + change + "; RETURN 'change'; END $f$");
        InputSettings utc = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'before')").withSettings(utc)));
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, public.change())").withSettings(utc)));
            SpoolPosition last = f.append(tx(db, simple("m", 1,
                    "INSERT INTO m (id, ts, v) VALUES (3, '01/02/2026 10:00', 'a\\b \u00e9')").withSettings(utc)));
            f.applier.start();
            f.awaitApplied(last);
        }
        assertThat(rows()).containsExactly(row("1", null, "before"),
                List.of("3", "2026-01-02 10:00:00", "a\\b \u00e9"));
        assertThat(PG.target().query(db, "SELECT statement, message FROM tandem.divergence"))
                .singleElement().satisfies(entry -> {
                    assertThat(entry.get(0)).isEqualTo("INSERT INTO m (id, v) VALUES (2, public.change())");
                    assertThat(entry.get(1)).contains("changed the mirror's own session on the target (found with "
                            + found + ")");
                });
    }

    /**
     * A member that changes an input setting is found even when a later member of the group, replayed under other
     * settings, has the applier set them again before the group ends: the members between were read under the change.
     * Before, the check at the group's end found the session as the applier left it.
     */
    @Test
    void aChangeOfAnInputSettingThatTheApplierSetsOverLaterInTheGroupIsFound() throws Exception {
        PG.target().execute(db, "CREATE FUNCTION public.change() RETURNS text LANGUAGE plpgsql"
                + " AS $f$ BEGIN SET TimeZone = 'Asia/Tokyo'; RETURN 'change'; END $f$");
        InputSettings utc = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        InputSettings newYork = new InputSettings("America/New_York", "ISO, MDY", "postgres", "on");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, public.change())").withSettings(utc)));
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, ts, v) VALUES (2, '2026-01-02 10:00', 'utc')")
                    .withSettings(utc)));
            SpoolPosition last = f.append(tx(db, simple("m", 1,
                    "INSERT INTO m (id, ts, v) VALUES (3, '2026-01-02 10:00', 'new york')").withSettings(newYork)));
            f.applier.start();
            f.awaitApplied(last);
        }
        assertThat(rows()).containsExactly(List.of("2", "2026-01-02 10:00:00", "utc"),
                List.of("3", "2026-01-02 15:00:00", "new york"));
        assertThat(PG.target().query(db, "SELECT statement, message FROM tandem.divergence"))
                .singleElement().satisfies(entry -> {
                    assertThat(entry.get(0)).isEqualTo("INSERT INTO m (id, v) VALUES (1, public.change())");
                    assertThat(entry.get(1)).contains("(found with TimeZone Asia/Tokyo)");
                });
    }

    /**
     * A trigger of the target's whose function sets search_path with SET LOCAL changes it until the group's
     * transaction ends: the members after it would write an unqualified table name into another schema's table. Each
     * transaction that fires it is ledgered, even alone, where nothing replayed follows it (the check cannot tell a
     * LOCAL change from one for the session, which would stay for the groups after); the others are applied where
     * they belong. A trigger function declared with {@code SET search_path = ...} instead, restored when it returns,
     * is not.
     */
    @Test
    void aTransactionFiringATargetTriggerThatSetsLocalSearchPathIsLedgeredNotTheOthers() throws Exception {
        PG.target().execute(db, "CREATE SCHEMA decoy; CREATE TABLE decoy.m (LIKE public.m);"
                + " CREATE TABLE t (id int); CREATE TABLE u (id int);"
                + " CREATE FUNCTION public.local_path() RETURNS trigger LANGUAGE plpgsql"
                + " AS $f$ BEGIN SET LOCAL search_path = decoy, public; RETURN NEW; END $f$;"
                + " CREATE TRIGGER local_path BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION public.local_path();"
                + " CREATE FUNCTION public.declared_path() RETURNS trigger LANGUAGE plpgsql SET search_path = decoy"
                + " AS $f$ BEGIN RETURN NEW; END $f$;"
                + " CREATE TRIGGER declared_path BEFORE INSERT ON u FOR EACH ROW"
                + " EXECUTE FUNCTION public.declared_path()");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.append(tx(db, simple("t", 1, "INSERT INTO t VALUES (1)")));
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'after t')")));
            f.append(tx(db, simple("u", 1, "INSERT INTO u VALUES (3)")));
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (4, 'after u')")));
            SpoolPosition last = f.append(tx(db, simple("t", 1, "INSERT INTO t VALUES (5)")));
            f.applier.start();
            f.awaitApplied(last);
        }
        assertThat(rows()).containsExactly(row("2", null, "after t"), row("4", null, "after u"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM decoy.m")).isEqualTo("0");
        assertThat(PG.target().query(db, "SELECT id FROM u")).containsExactly(List.of("3"));
        assertThat(PG.target().query(db, "SELECT statement, message FROM tandem.divergence ORDER BY id"))
                .extracting(entry -> entry.get(0), entry -> entry.get(1).contains("(found with search_path decoy,"
                        + " public)"))
                .containsExactly(tuple("INSERT INTO t VALUES (1)", true),
                        tuple("INSERT INTO t VALUES (5)", true));
    }

    @Test
    void aGroupIsSplitAroundTheTransactionsTheTargetRefusesNotAppliedOneByOne() throws Exception {
        int group = MirrorSettings.DEFAULT_GROUP_TRANSACTIONS;
        int count = group + 10;
        Set<Integer> bad = Set.of(10, 70, 100);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (int i = 0; i < count; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES ("
                        + (bad.contains(i) ? "'bad'" : String.valueOf(i)) + ", 'g')")));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "applied")).isEqualTo(count - bad.size());
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "ledgered")).isEqualTo(bad.size());
            assertThat(f.counter("tandem.mirror.target.transactions", "outcome", "rolled_back")).isPositive();
        }
        assertThat(PG.target().query(db, "SELECT sqlstate, statement FROM tandem.divergence ORDER BY id"))
                .containsExactly(List.of("22P02", "INSERT INTO m (id, v) VALUES ('bad', 'g')"),
                        List.of("22P02", "INSERT INTO m (id, v) VALUES ('bad', 'g')"),
                        List.of("22P02", "INSERT INTO m (id, v) VALUES ('bad', 'g')"));
        assertThat(PG.target().queryValue(db, "SELECT count(DISTINCT id) FROM m"))
                .isEqualTo(String.valueOf(count - bad.size()));
        // a first group split around its three bad members, then the next group: not a transaction per member
        assertThat(PG.target().query(db, "SELECT min(id), max(id) FROM m GROUP BY tx ORDER BY 1")).containsExactly(
                List.of("0", "9"), List.of("11", "69"), List.of("71", "99"),
                List.of("101", String.valueOf(group - 1)), List.of(String.valueOf(group), String.valueOf(count - 1)));
    }

    @Test
    void groupsQueuedTransactionsIntoFewTargetTransactions() throws Exception {
        int count = 500;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (int i = 0; i < count; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'g')")));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "applied")).isEqualTo(count);
            // acknowledged: the spool deleted every full segment it had, keeping only the one it writes to
            assertThat(f.spool.stats().pendingRecords()).isZero();
            assertThat(f.spool.stats().segments()).isEqualTo(1);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(DISTINCT id) FROM m")).isEqualTo(String.valueOf(count));
        // queued before the start, 500 transactions go in groups of at most DEFAULT_GROUP_TRANSACTIONS: one target transaction
        assertThat(Integer.parseInt(PG.target().queryValue(db, "SELECT count(DISTINCT tx) FROM m")))
                .isEqualTo((count + MirrorSettings.DEFAULT_GROUP_TRANSACTIONS - 1)
                        / MirrorSettings.DEFAULT_GROUP_TRANSACTIONS);
    }

    @Test
    void coalescesOneRowInsertsIntoFewMultiRowStatementsWithTheSameRows() throws Exception {
        // a statement-level trigger counts the INSERT statements the target executes
        PG.target().execute(db, "CREATE TABLE statements (n int); INSERT INTO statements VALUES (0);"
                + " CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$BEGIN UPDATE statements SET n = n + 1; RETURN NULL; END$$;"
                + " CREATE TRIGGER counted AFTER INSERT ON m FOR EACH STATEMENT EXECUTE FUNCTION count_statement()");
        int count = 1000;
        List<List<String>> expected = new ArrayList<>();
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (int i = 0; i < count; i++) {
                // binary and text parameters, NULLs, and a transaction of three statements that breaks the run
                CapturedStatement row = i % 3 == 0
                        ? new CapturedStatement.Extended(new TableName("public", "m"), 1,
                                "INSERT INTO m (id, ts, v) VALUES ($1, $2, $3)", new int[] {23, 1184}, new short[] {1},
                                new byte[][] {int4(i), timestamptz(TS), utf8("b'in\\ary\t" + i)})
                        : new CapturedStatement.Extended(new TableName("public", "m"), 1,
                                "INSERT INTO m (id, ts, v) VALUES ($1, $2, $3)", new int[] {23, 1184},
                                new short[] {0, 0, 0}, new byte[][] {utf8("" + i), null, i % 2 == 0 ? null : utf8("t")});
                expected.add(i % 3 == 0 ? List.of("" + i, TS_TEXT, "b'in\\ary\t" + i)
                        : row("" + i, null, i % 2 == 0 ? null : "t"));
                last = i == 500
                        ? f.append(tx(db, row, simple("m", 1, "INSERT INTO m (id, v) VALUES (5000, 'simple')"), row))
                        : f.append(tx(db, row));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter(MIRRORED, "table", "public.m", "outcome", "applied")).isEqualTo(count);
            assertThat(f.counter("tandem.mirror.rows", "table", "public.m", "outcome", "applied"))
                    .isEqualTo(count + 2);
            assertThat(f.counter("tandem.source.rows", "table", "public.m")).isEqualTo(count + 2);
            assertThat(f.counter("tandem.target.rows", "table", "public.m")).isEqualTo(count + 2);
            assertThat(f.counter("tandem.mirror.row.count.mismatches", "table", "public.m")).isZero();
        }
        expected.add(500, expected.get(500));
        expected.add(row("5000", null, "simple"));
        expected.sort(java.util.Comparator.comparing((List<String> r) -> Integer.parseInt(r.get(0)))
                .thenComparing(r -> String.valueOf(r.get(2))));
        assertThat(rows()).isEqualTo(expected);
        // runs of 501 and 500 rows around the simple statement: 256+128+64+32+16+4(+1), plus the simple one
        assertThat(PG.target().queryValue(db, "SELECT n FROM statements")).isEqualTo("14");
    }

    @Test
    void caughtUpToFollowsTheAppliedRecordsAndAnIdleSpoolButNotAPausedMirror() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            String beforeAppend = PG.target().queryValue(db, "SELECT clock_timestamp()::text");
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            // written with the rows: the record's append time less the margin, on the target's clock
            assertThat(PG.target().queryValue(db, "SELECT caught_up_to BETWEEN '" + beforeAppend + "'::timestamptz"
                    + " - interval '1 s' AND clock_timestamp() FROM tandem.mirror_progress")).isEqualTo("t");
            // idle: the applier notes that everything committed up to about now is applied
            String idle = PG.target().queryValue(db, "SELECT clock_timestamp()::text");
            eventually("caught_up_to passes " + idle, () -> "t".equals(PG.target().queryValue(db,
                    "SELECT caught_up_to >= '" + idle + "' FROM tandem.mirror_progress")));

            f.applier.pause();
            Thread.sleep(300);
            String paused = PG.target().queryValue(db, "SELECT clock_timestamp()::text");
            SpoolPosition held = f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (2)")));
            Thread.sleep(800);
            assertThat(PG.target().queryValue(db, "SELECT caught_up_to < '" + paused + "' FROM tandem.mirror_progress"))
                    .as("a paused mirror does not claim to be caught up").isEqualTo("t");
            f.applier.resume();
            f.awaitApplied(held);
            eventually("caught_up_to passes " + paused, () -> "t".equals(PG.target().queryValue(db,
                    "SELECT caught_up_to >= '" + paused + "' FROM tandem.mirror_progress")));
        }
    }

    @Test
    void interleavedDatabasesEachGetTheirOwnRowsAndProgress() throws Exception {
        String other = PG.pair().freshDatabase("mirror_other");
        PG.target().execute(other, "CREATE TABLE m (id int, v text)");
        // the source database "app" is mirrored into this test's database, the other one keeps its name
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), false, false, 64, Map.of("app", db))) {
            SpoolPosition last = null;
            for (int i = 0; i < 20; i++) {
                last = f.append(tx(i % 2 == 0 ? "app" : other,
                        simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'x')")));
            }
            f.applier.start();
            f.awaitApplied(last);
        }
        assertThat(PG.target().queryValue(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM m"))
                .isEqualTo("0,2,4,6,8,10,12,14,16,18");
        assertThat(PG.target().queryValue(other, "SELECT string_agg(id::text, ',' ORDER BY id) FROM m"))
                .isEqualTo("1,3,5,7,9,11,13,15,17,19");
        assertThat(PG.target().queryValue(db, "SELECT sequence FROM tandem.mirror_progress")).isEqualTo("19");
        assertThat(PG.target().queryValue(other, "SELECT sequence FROM tandem.mirror_progress")).isEqualTo("20");
        assertThat(PG.target().queryValue(db, "SELECT database FROM tandem.dual_write")).isEqualTo(db);
    }

    @Test
    void aQuietDatabaseIsCaughtUpWhileAnotherKeepsTheSpoolBusy() throws Exception {
        String other = PG.pair().freshDatabase("mirror_quiet");
        PG.target().execute(other, "CREATE TABLE m (id int, v text)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(other, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            String before = PG.target().queryValue(other, "SELECT clock_timestamp()::text");
            // writes to this test's database only, faster than the applier's idle wait: the spool never looks empty
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            SpoolPosition last = null;
            for (int i = 2; System.nanoTime() < until; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (" + i + ")")));
                Thread.sleep(5);
            }
            f.awaitApplied(last);
            assertThat(PG.target().queryValue(other, "SELECT caught_up_to >= '" + before
                    + "' FROM tandem.mirror_progress")).as("the quiet database's caught_up_to moved").isEqualTo("t");
        }
    }

    @Test
    void restartOnTheSameSpoolAppliesEveryTransactionExactlyOnce() throws Exception {
        int count = 400;
        MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), false, false, 8);
        try {
            for (int i = 0; i < count; i++) {
                f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'r')")));
            }
            f.applier.start();
            f.applier.awaitApplied(100).get(60, TimeUnit.SECONDS);
        } finally {
            f.close();
        }
        long before = Long.parseLong(PG.target().queryValue(db, "SELECT count(*) FROM m"));
        assertThat(before).isBetween(100L, (long) count);
        try (MirrorFixture again = new MirrorFixture(spoolDir, PG.target(), false, false, 8)) {
            again.applier.start();
            again.applier.awaitApplied(count).get(60, TimeUnit.SECONDS);
            if (before < count) {
                assertThat(again.counter(MIRRORED, "table", "public.m", "outcome", "applied"))
                        .isEqualTo(count - before);
            }
        }
        assertThat(PG.target().query(db, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM m"))
                .containsExactly(List.of("400", "400", "0", "399"));
    }

    @Test
    void aGroupAnEarlierConnectionCommitsAfterTheReconnectIsNotAppliedTwice() throws Exception {
        try (java.sql.Connection lock = PG.target().connect(db)) {
            lock.setAutoCommit(false);
            lock.createStatement().execute("LOCK TABLE m IN ACCESS EXCLUSIVE MODE");
            SpoolPosition position;
            try (MirrorFixture first = new MirrorFixture(spoolDir, PG.target())) {
                position = first.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'once')")));
                first.applier.start();
                eventually("the first applier's group waits for the table", () -> blockedGroups(db, "-infinity") == 1);
            } // its connection is gone from here, but its backend has the whole group and would commit it
            String restartedAt = PG.target().queryValue(db, "SELECT now()::text");
            try (MirrorFixture second = new MirrorFixture(spoolDir, PG.target())) {
                second.applier.start();
                eventually("the second applier's group waits for the table", () -> blockedGroups(db, restartedAt) == 1);
                lock.commit();
                second.awaitApplied(position);
            }
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM m")).containsExactly(List.of("1", "once"));
    }

    /** A group held back by a lock fails nothing: the applier says in the log that the target has not answered. */
    @Test
    void aGroupWaitingForALockIsReportedWhileItWaits() throws Exception {
        List<String> warnings;
        try (java.sql.Connection lock = PG.target().connect(db)) {
            lock.setAutoCommit(false);
            lock.createStatement().execute("LOCK TABLE m IN ACCESS EXCLUSIVE MODE");
            String since = PG.target().queryValue(db, "SELECT now()::text");
            try (MirrorFixture mirror = new MirrorFixture(spoolDir, PG.target()).slowAnswer(Duration.ofMillis(300))) {
                SpoolPosition position = mirror.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (7, 'late')")));
                warnings = LoggedWarnings.of(TargetSession.class, () -> {
                    mirror.applier.start();
                    try {
                        eventually("the group waits for the table", () -> blockedGroups(db, since) == 1);
                        Thread.sleep(1000);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                lock.commit();
                mirror.awaitApplied(position);
            }
        }
        assertThat(warnings).isNotEmpty().allSatisfy(w -> assertThat(w).startsWith("mirror: target database " + db
                + " has not answered the mirror for").contains("application_name 'tandem-mirror run "));
        assertThat(PG.target().query(db, "SELECT id, v FROM m WHERE id = 7")).containsExactly(List.of("7", "late"));
    }

    /** The mirror's connections started after {@code since} whose INSERT waits for a lock. */
    private static int blockedGroups(String db, String since) {
        return Integer.parseInt(PG.target().queryValue(db, "SELECT count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND application_name LIKE 'tandem-mirror%'"
                + " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO m%' AND backend_start > '" + since
                + "'::timestamptz"));
    }

    @Test
    void aNewSpoolDirectoryUnderTheSameInstanceIdHasEveryRecordApplied(@TempDir Path otherDir) throws Exception {
        SpoolPosition last = null;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            for (int i = 1; i <= 10; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'first spool')")));
            }
            f.awaitApplied(last);
        }
        // the directory was replaced (a new disk, an emptied volume): its positions start again below the stored one
        try (MirrorFixture f = new MirrorFixture(otherDir, PG.target())) {
            for (int i = 11; i <= 13; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'new spool')")));
            }
            f.applier.start();
            f.awaitApplied(last);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) || ' ' || count(DISTINCT id) FROM m"))
                .isEqualTo("13 13");
    }

    @Test
    void recordsAppendedAfterTheSpoolLostItsTailAreNotTakenForAppliedOnes() throws Exception {
        SpoolPosition applied = null;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            for (int i = 1; i <= 10; i++) {
                applied = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'before')")));
            }
            f.awaitApplied(applied);
        }
        // a host crash under fsync: interval took the segment file being written, all of it applied on the target
        try (var files = Files.list(spoolDir)) {
            for (Path segment : files.filter(p -> p.getFileName().toString().endsWith(".seg")).toList()) {
                Files.delete(segment);
            }
        }
        SpoolPosition last = null;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            for (int i = 11; i <= 12; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'after')")));
            }
            assertThat(last).as("the new records take positions of lost, applied ones").isLessThan(applied);
            f.applier.start();
            f.awaitApplied(last);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) || ' ' || count(DISTINCT id) FROM m"))
                .isEqualTo("12 12");
    }

    /** This instance's stored progress as "sequence segment offset". */
    private String progress() {
        return PG.target().queryValue(db, "SELECT sequence || ' ' || next_segment || ' ' || next_offset"
                + " FROM tandem.mirror_progress");
    }

    /** What restoring the target to a backup taken at {@code progress} (after row 1, before row 2) leaves. */
    private void restoreTarget(String progress) {
        String[] back = progress.split(" ");
        PG.target().execute(db, "DELETE FROM m WHERE id = 2; UPDATE tandem.mirror_progress SET sequence = "
                + back[0] + ", next_segment = " + back[1] + ", next_offset = " + back[2]);
    }

    @Test
    void aTargetThatLostAppliedTransactionsIsReported() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'kept')"))));
            String afterFirst = progress();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'lost')"))));
            // the target is restored to a point after the first transaction: its row and progress are back there
            restoreTarget(afterFirst);
            PG.target().execute(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND application_name LIKE 'tandem-mirror%'");
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (3, 'after')"))));
            assertThat(f.counter("tandem.mirror.target.regressions")).isEqualTo(1);
        }
        assertThat(PG.target().query(db, "SELECT id FROM m ORDER BY id")).containsExactly(List.of("1"), List.of("3"));
    }

    @Test
    void aTargetThatLostAppliedTransactionsWhileTheProxyWasStoppedIsReportedOnTheNextStart() throws Exception {
        String afterFirst;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'kept')"))));
            afterFirst = progress();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'lost')"))));
        }
        // while the proxy is stopped, the target is restored to a point after the first transaction
        restoreTarget(afterFirst);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (3, 'after')"))));
            assertThat(f.counter("tandem.mirror.target.regressions")).isEqualTo(1);
        }
        assertThat(PG.target().query(db, "SELECT id FROM m ORDER BY id")).containsExactly(List.of("1"), List.of("3"));
        // a target that did not go back is not reported
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (4, 'later')"))));
            assertThat(f.counter("tandem.mirror.target.regressions")).isZero();
        }
    }

    /**
     * Restarted, the lag leaves out what the previous run had applied (kept in the spool directory), until the target
     * shows it lost some of it: from then on it counts every transaction the target has not confirmed again, and the
     * lost ones still in the spool are applied again.
     */
    @Test
    void theLagLeavesOutWhatThePreviousRunAppliedUntilTheTargetShowsItLostIt() throws Exception {
        String afterFirst;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'kept')"))));
            afterFirst = progress();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'lost')"))));
            f.applier.pause();
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (3, 'not applied before the stop')")));
        }
        restoreTarget(afterFirst);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target());
             Connection lock = PG.target().connect(db); Statement s = lock.createStatement()) {
            assertThat(f.gauge("tandem.spool.records")).as("the one not applied before the stop").isEqualTo(1);
            lock.setAutoCommit(false);
            s.execute("LOCK TABLE m IN ACCESS EXCLUSIVE MODE");
            f.applier.start();
            eventually("the mirror waits for the lock", () -> "1".equals(PG.target().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tandem-mirror%'"
                            + " AND wait_event_type = 'Lock'")));
            assertThat(f.counter("tandem.mirror.target.regressions")).isEqualTo(1);
            assertThat(f.gauge("tandem.spool.records")).as("every record still in the spool, none acknowledged yet")
                    .isEqualTo(3);
            lock.rollback();
            eventually("everything applied", () -> f.gauge("tandem.spool.records") == 0);
        }
        assertThat(PG.target().query(db, "SELECT id FROM m ORDER BY id"))
                .containsExactly(List.of("1"), List.of("2"), List.of("3"));
    }

    /**
     * Once everything is applied the mirror is caught up (the cutover's "appliedSequence = spooledSequence" check of
     * {@code /status}), under every fsync policy. A cleanly stopped proxy leaves a drained spool that holds no record,
     * only its next sequence number: restarted on it, the mirror is caught up at once, not only after the next commit.
     */
    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void aRestartOnADrainedSpoolIsCaughtUpWithoutWaitingForANewRecord(FsyncPolicy fsync) throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), fsync)) {
            f.applier.start();
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'a')")));
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'b')"))));
            assertThat(f.applier.appliedSequence()).isEqualTo(f.spool.stats().lastSequence()).isEqualTo(2);
            eventually("no record pending", () -> f.spool.stats().pendingRecords() == 0);
        }
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), fsync)) {
            assertThat(f.spool.stats().lastSequence()).isEqualTo(2);
            assertThat(f.spool.stats().pendingRecords()).isZero();
            assertThat(f.applier.appliedSequence()).as("applied, as the spool deleted them").isEqualTo(2);
            assertThat(f.applier.awaitApplied(2)).isDone();
        }
    }

    @Test
    void anIdleMirrorKeepsCaughtUpToMovingAfterARestart() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'before the restart')"))));
        }
        String restartedAt = PG.target().queryValue(db, "SELECT clock_timestamp()::text");
        // restarted, with nothing new to apply: a backfill copy waits for caught_up_to to pass its own start
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            eventually("caught_up_to passes the restart", () -> "t".equals(PG.target().queryValue(db,
                    "SELECT caught_up_to > '" + restartedAt + "' FROM tandem.mirror_progress")));
        }
    }

    /**
     * The cutover waits for {@code tandem_mirror_target_up} = 1 with the writers stopped: a mirror restarted on a
     * drained spool (after a crash or a clean stop) has no group to apply, and must still report the target it reaches.
     */
    @Test
    void anIdleMirrorRestartedOnADrainedSpoolReportsTheTargetUp() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'before the restart')"))));
        }
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            eventually("the target is reported up", () -> f.applier.targetUp());
            assertThat(f.gauge("tandem.mirror.target.up")).isEqualTo(1);
        }
    }

    @Test
    void anIdleMirrorReportsTheTargetDownWhileItIsStoppedAndUpWhenItIsBack() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'a')"))));
            assertThat(f.applier.targetUp()).isTrue();
            try {
                PG.target().stop();
                eventually("the idle applier notices the target is down", () -> !f.applier.targetUp());
                assertThat(f.gauge("tandem.mirror.target.up")).isZero();
            } finally {
                PG.target().start();
            }
            eventually("the idle applier notices the target is back", () -> f.applier.targetUp());
        }
    }

    /**
     * A proxy in front of short-lived databases (tests that create and drop theirs) kept each dropped target database
     * for good: its mark in {@code applied.json}, its line in {@code lagByDatabase} and its two lag series. Once the
     * target says it does not exist and the spool holds nothing for it, it is forgotten; a record that comes for it
     * afterwards parks it and brings its series back, so what waits for it is never out of sight.
     */
    @Test
    void aDroppedTargetDatabaseWithNothingLeftInTheSpoolIsNoLongerWatchedButKeepsItsMark() throws Exception {
        String dropped = PG.pair().freshDatabase("mirror_dropped");
        PG.target().execute(dropped, "CREATE TABLE m (id int, v text)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            f.awaitApplied(f.append(tx(dropped, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            assertThat(f.applier.appliedDatabases()).containsExactlyInAnyOrder(db, dropped);
            assertThat(f.applier.lagByDatabase()).containsOnlyKeys(db, dropped);
            assertThat(f.registry.find(MirrorMetrics.DATABASE_LAG_SECONDS).tag("database", dropped).gauge())
                    .isNotNull();

            PG.target().execute("postgres", "DROP DATABASE \"" + dropped + "\" WITH (FORCE)");
            eventually("the dropped database is no longer watched",
                    () -> !f.applier.lagByDatabase().containsKey(dropped));
            assertThat(f.applier.lagByDatabase()).containsOnlyKeys(db);
            assertThat(f.registry.find(MirrorMetrics.DATABASE_LAG_SECONDS).tag("database", dropped).gauges())
                    .isEmpty();
            assertThat(f.registry.find(MirrorMetrics.DATABASE_LAG_BYTES).tag("database", dropped).gauges())
                    .isEmpty();
            assertThat(f.registry.find(MirrorMetrics.DATABASE_LAG_SECONDS).tag("database", db).gauge()).isNotNull();
            // the mark stays: a database created again under its name is told to lack what was applied there
            eventually("the notes keep its mark", () -> AppliedMarks.load(f.spool, INSTANCE).databases()
                    .containsKey(dropped));
            assertThat(f.applier.appliedDatabases()).contains(dropped);

            SpoolPosition later = f.append(tx(dropped, simple("m", 1, "INSERT INTO m (id) VALUES (2)")));
            eventually("a record for it parks it", () -> f.applier.parkedDatabases().containsKey(dropped));
            assertThat(f.applier.lagByDatabase()).containsKey(dropped);
            assertThat(f.registry.find(MirrorMetrics.DATABASE_LAG_SECONDS).tag("database", dropped).gauge())
                    .isNotNull();

            PG.target().execute("postgres", "CREATE DATABASE \"" + dropped + "\"");
            PG.target().execute(dropped, "CREATE TABLE m (id int, v text)");
            f.awaitApplied(later);
            assertThat(f.registry.find(MirrorMetrics.TARGET_REGRESSIONS).counter().count())
                    .as("created again, it is told to lack what was applied there").isEqualTo(1);
        }
    }

    /** A backfill copy waits for the instances listed there: one whose first group is still to commit must be too. */
    @Test
    void anInstanceIsListedOnTheTargetBeforeItsFirstGroupCommits() throws Exception {
        PG.target().execute(db, TandemSchema.ddl());
        try (Connection lock = PG.target().connect(db); Statement s = lock.createStatement()) {
            lock.setAutoCommit(false);
            s.execute("LOCK TABLE m IN ACCESS EXCLUSIVE MODE");
            try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
                f.applier.start();
                SpoolPosition first = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'held')")));
                eventually("the instance is listed, caught up to an unknown time", () -> "1".equals(
                        PG.target().queryValue(db, "SELECT count(*) FROM tandem.mirror_progress"
                                + " WHERE caught_up_to IS NULL AND sequence = 0")));
                lock.rollback();
                f.awaitApplied(first);
            }
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.mirror_progress WHERE caught_up_to IS"
                + " NOT NULL")).isEqualTo("1");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("1");
    }

    @Test
    void targetStoppedMidRunGetsEveryRowOnceWhenItIsBack() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            SpoolPosition last = null;
            for (int i = 0; i < 50; i++) {
                last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'before')")));
            }
            f.awaitApplied(last);
            try {
                PG.target().stop();
                for (int i = 50; i < 100; i++) {
                    last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (" + i + ", 'during')")));
                }
                eventually("the applier notices the target is down", () -> !f.applier.targetUp());
                assertThat(f.gauge("tandem.mirror.target.up")).isZero();
                // reconnecting to a stopped server fails, and is retried again and again
                eventually("three retries", () -> f.counter("tandem.mirror.retries") >= 3);
                assertThat(f.gauge("tandem.spool.records")).isPositive();
            } finally {
                PG.target().start();
            }
            f.awaitApplied(last);
            assertThat(f.applier.targetUp()).isTrue();
        }
        assertThat(PG.target().query(db, "SELECT count(*), count(DISTINCT id) FROM m"))
                .containsExactly(List.of("100", "100"));
    }

    @Test
    void rowsCapturedBeforeTheProxyKnewTheHypertablesAreKeptOnlyForTheTargetsHypertables() throws Exception {
        // a stand-in for TimescaleDB's catalog: m is a (calendar-chunked, 2.25) hypertable, plain is not
        PG.target().execute(db, "CREATE TABLE plain (id int);" + HypertableCatalog.CREATE
                + HypertableCatalog.calendarHypertable(1, "public", "m", "ts"));
        TableName m = new TableName("public", "m");
        TableName plain = new TableName("public", "plain");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(new CapturedTransaction(db, "app", 42, List.of(), COMMITTED_AT, List.of(
                    simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'unconfirmed')"),
                    simple("plain", 1, "INSERT INTO plain VALUES (1)")), Set.of(m, plain)));
            f.append(new CapturedTransaction(db, "app", 42, List.of(), COMMITTED_AT, List.of(
                    simple("plain", 1, "INSERT INTO plain VALUES (2)")), Set.of(plain)));
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'confirmed')"))));
            assertThat(f.counter(MIRRORED, "table", "public.plain", "outcome", "applied")).isZero();
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM m ORDER BY id"))
                .containsExactly(List.of("1", "unconfirmed"), List.of("2", "confirmed"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM plain")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT sequence FROM tandem.mirror_progress")).isEqualTo("3");
    }

    @Test
    void aRecordThisVersionCannotReadIsSetAsideCountedAndTheMirrorMovesOn() throws Exception {
        byte[] unreadable = {9, 1, 2, 3}; // its CRC holds, its format version does not exist
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.spool.writer().append(unreadable).get(30, TimeUnit.SECONDS);
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'after')"))));
            assertThat(f.counter("tandem.mirror.undecodable.records")).isEqualTo(1);
        }
        assertThat(Files.readAllBytes(spoolDir.resolve("quarantine").resolve("1.record"))).isEqualTo(unreadable);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spoolDir.resolve("quarantine")
                .resolve("1.record")))).isEqualTo("rw-------");
        assertThat(PG.target().query(db, "SELECT id, v FROM m")).containsExactly(List.of("1", "after"));
    }

    @Test
    void aMirrorStoppedByADamagedSpoolFileSaysSoWhileTheProxyRunsOn() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition damaged = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'damaged')")));
            Path file;
            try (var files = Files.list(spoolDir)) {
                file = files.filter(p -> p.getFileName().toString().endsWith(".seg")).findFirst().orElseThrow();
            }
            try (FileChannel segment = FileChannel.open(file, StandardOpenOption.WRITE)) {
                // inside the record's SQL text, past its header: the checksum no longer holds
                segment.write(ByteBuffer.wrap(utf8("XXXX")), damaged.offset() + 60);
            }
            assertThat(f.applier.failure()).isEmpty();
            assertThat(f.gauge("tandem.mirror.failed")).isZero();
            f.applier.start();
            eventually("the applier stops on the damaged record", () -> f.applier.failure().isPresent());
            assertThat(f.applier.failure().get()).contains("is corrupt at offset " + damaged.offset());
            assertThat(f.gauge("tandem.mirror.failed")).isEqualTo(1);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("0");
    }

    @Test
    void aReadOnlyTargetIsWaitedForNotLedgered() throws Exception {
        // the table answers as a standby, or a primary being failed over, does; the ledger itself stays writable, so
        // ledgering (the wrong reaction) would succeed and show
        PG.target().execute(db, """
                CREATE FUNCTION read_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction'
                      USING ERRCODE = 'read_only_sql_transaction'; END $$;
                CREATE TRIGGER read_only BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION read_only();
                """);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            SpoolPosition last = f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'read-only')")));
            try {
                eventually("retries against the read-only target", () -> f.counter("tandem.mirror.retries") >= 2);
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
            } finally {
                PG.target().execute(db, "DROP TRIGGER read_only ON m");
            }
            f.awaitApplied(last);
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM m")).containsExactly(List.of("1", "read-only"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    /**
     * TimescaleDB (2.14+) refuses a write into a compressed chunk that would decompress more rows than
     * {@code timescaledb.max_tuples_decompressed_per_dml_transaction} allows with SQLSTATE 53400, the insufficient
     * resources class: raised here by a trigger with TimescaleDB's message and code. It repeats for the same statement,
     * so it is ledgered with what to change on the target (its message kept under redaction: it quotes no values),
     * not retried for ever ahead of every later transaction.
     */
    @Test
    void aDecompressionLimitRefusalIsLedgeredWithTheSettingToChangeNotRetried() throws Exception {
        PG.target().execute(db, """
                CREATE FUNCTION decompression_limit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'tuple decompression limit exceeded by operation'
                      USING ERRCODE = '53400', DETAIL = 'current limit: 100000, tuples decompressed: 100829'; END $$;
                CREATE TRIGGER decompression_limit BEFORE INSERT ON m FOR EACH ROW WHEN (NEW.id = 1)
                    EXECUTE FUNCTION decompression_limit();
                """);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), false, true, 64)) {
            f.applier.start();
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'into a compressed chunk')")));
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'after')"))));
            assertThat(f.counter("tandem.ledger.entries", "table", "public.m", "reason", "rejected")).isEqualTo(1);
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM m")).containsExactly(List.of("2", "after"));
        assertThat(PG.target().queryValue(db, "SELECT sqlstate FROM tandem.divergence")).isEqualTo("53400");
        assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence"))
                .startsWith("tuple decompression limit exceeded by operation: ")
                .contains("timescaledb.max_tuples_decompressed_per_dml_transaction = 0", "tandem-backfill repair");
    }

    @Test
    void rejectedTransactionsGoToTheLedgerAndTheMirrorMovesOn() throws Exception {
        PG.target().execute(db, "CREATE TABLE k (id int PRIMARY KEY)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("k", 1, "INSERT INTO k VALUES (1)"))));
            f.awaitApplied(f.append(tx(db, simple("k", 1, "INSERT INTO k VALUES (2)"),
                    simple("k", 1, "INSERT INTO k VALUES (1)"))));
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, missing) VALUES (5, 'x')"))));
            f.awaitApplied(f.append(tx(db, simple("k", 1, "INSERT INTO k VALUES (3)"))));

            assertThat(f.counter("tandem.ledger.entries", "table", "public.k", "reason", "rejected")).isEqualTo(1);
            assertThat(f.counter("tandem.ledger.entries", "table", "public.m", "reason", "rejected")).isEqualTo(1);
            assertThat(f.counter(MIRRORED, "table", "public.k", "outcome", "ledgered")).isEqualTo(1);
            assertThat(f.counter(MIRRORED, "table", "public.k", "outcome", "applied")).isEqualTo(2);
        }
        // the whole second transaction is rolled back, including its first (valid) row
        assertThat(PG.target().query(db, "SELECT id FROM k ORDER BY id")).containsExactly(List.of("1"), List.of("3"));
        assertThat(ledger()).containsExactly(
                List.of(INSTANCE, db, "42", "public", "k", "23505", "INSERT INTO k VALUES (1)"),
                List.of(INSTANCE, db, "42", "public", "m", "42703", "INSERT INTO m (id, missing) VALUES (5, 'x')"));
        assertThat(PG.target().queryValue(db, "SELECT sequence FROM tandem.mirror_progress")).isEqualTo("4");
    }

    @Test
    void aRejectedTransactionIsLedgeredWithTheTimeRangeOfItsRowsForRepair() throws Exception {
        // the time column comes from a staged backfill plan (a hypertable's from its dimension, a plain table's
        // also from verifier.time-columns)
        PG.target().execute(db, "CREATE TABLE r (ts timestamptz NOT NULL, id int PRIMARY KEY);"
                + " INSERT INTO r VALUES ('2024-01-01 00:00:00+00', 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE tandem.backfill_task (table_schema text, table_name text, time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'r', 'ts')");
        Instant latest = Instant.parse("2024-03-01T10:00:00Z");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            // a binary parameter, then a row whose key the target already has: the whole transaction is rejected
            f.awaitApplied(f.append(tx(db,
                    new CapturedStatement.Extended(new TableName("public", "r"), 1,
                            "INSERT INTO r (ts, id) VALUES ($1, $2)", new int[] {1184, 23}, new short[] {1, 0},
                            new byte[][] {timestamptz(latest), utf8("2")}),
                    simple("r", 2, "INSERT INTO r VALUES ('2024-02-01 00:00:00+00', 3),"
                            + " ('2024-02-15 12:30:00.5+00', 1)"))));
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
        }
        assertThat(PG.target().query(db, "SELECT table_name, sqlstate, time_column, range_start, range_end,"
                + " recorded_at = to_timestamp(" + COMMITTED_AT + " / 1000.0) FROM tandem.divergence")).as("recorded at"
                        + " the source commit, not when the applier got to it").containsExactly(
                        List.of("r", "23505", "ts", "2024-02-01 00:00:00+00", "2024-03-01 10:00:00.000001+00", "t"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM r")).isEqualTo("1");
        // the scratch work left nothing behind, and the mirror went on
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("1");
    }

    /**
     * An upsert that refers to its table by name ({@code DO UPDATE SET n = up.n + 1}, as most do) is replayed into the
     * scratch copy under that name. Before, the name referred to no table of the rewritten statement, the scratch
     * replay failed and the entry had no range: repair could not re-copy it.
     */
    @Test
    void aRejectedUpsertThatNamesItsTableGetsTheTimeRangeOfItsRows() throws Exception {
        PG.target().execute(db, "CREATE TABLE up (ts timestamptz NOT NULL, id int PRIMARY KEY, n int CHECK (n < 10));"
                + " INSERT INTO up VALUES ('2024-01-01 00:00:00+00', 1, 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE IF NOT EXISTS tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'up', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("up", 1, "INSERT INTO up VALUES ('2024-02-01 00:00:00+00', 1, 1)"
                    + " ON CONFLICT (id) DO UPDATE SET n = up.n + 100 RETURNING up.id"))));
        }
        assertThat(PG.target().query(db, "SELECT sqlstate, time_column, range_start, range_end FROM tandem.divergence"
                + " WHERE table_name = 'up'")).containsExactly(
                        List.of("23514", "ts", "2024-02-01 00:00:00+00", "2024-02-01 00:00:00.000001+00"));
    }

    /**
     * An upsert may name its table with its schema ({@code DO UPDATE SET n = public.up.n + 1}), whether its INSERT
     * does or not. Before, such a reference named no table of the scratch replay (the scratch copy only took the
     * table's name as alias), the replay failed and the entry had no range.
     */
    @Test
    void aRejectedUpsertThatNamesItsTableWithItsSchemaGetsTheTimeRangeOfItsRows() throws Exception {
        PG.target().execute(db, "CREATE TABLE up (ts timestamptz NOT NULL, id int PRIMARY KEY, n int CHECK (n < 10));"
                + " INSERT INTO up VALUES ('2024-01-01 00:00:00+00', 1, 1), ('2024-01-01 00:00:00+00', 2, 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE IF NOT EXISTS tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'up', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(tx(db, simple("up", 1, "INSERT INTO public.up VALUES ('2024-02-01 00:00:00+00', 1, 1)"
                    + " ON CONFLICT (id) DO UPDATE SET n = public.up.n + 100 RETURNING public.up.id")));
            f.awaitApplied(f.append(tx(db, simple("up", 1, "INSERT INTO up VALUES ('2024-03-01 00:00:00+00', 2, 1)"
                    + " ON CONFLICT (id) DO UPDATE SET n = public.up.n + 100 RETURNING public.up.*"))));
        }
        assertThat(PG.target().query(db, "SELECT sqlstate, time_column, range_start, range_end FROM tandem.divergence"
                + " WHERE table_name = 'up' ORDER BY id")).containsExactly(
                        List.of("23514", "ts", "2024-02-01 00:00:00+00", "2024-02-01 00:00:00.000001+00"),
                        List.of("23514", "ts", "2024-03-01 00:00:00+00", "2024-03-01 00:00:00.000001+00"));
    }

    /**
     * Rows at {@code infinity} or {@code -infinity} have no place in a range repair can re-copy (its bounds are
     * positions on the time axis). Before, one such row left the whole entry without a range, its finite rows too.
     * Now the finite rows get their range, for repair, and the infinite ones an entry of their own without a range,
     * which stays open until they are copied by hand. {@code tandem_ledger_entries_total} counts both entries: it
     * counted one per table before.
     */
    @Test
    void aRejectedTransactionWithRowsAtInfinityGetsTheRangeOfItsFiniteRowsAndAnOpenEntryForTheOthers()
            throws Exception {
        PG.target().execute(db, "CREATE TABLE inf (ts timestamptz NOT NULL, id int PRIMARY KEY);"
                + " INSERT INTO inf VALUES ('2024-01-01 00:00:00+00', 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE IF NOT EXISTS tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'inf', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("inf", 4, "INSERT INTO inf VALUES ('2024-02-01 00:00:00+00', 2),"
                    + " ('infinity', 3), ('-infinity', 4), ('2024-02-10 00:00:00+00', 1)"))));
            f.awaitApplied(f.append(tx(db, simple("inf", 1, "INSERT INTO inf VALUES ('infinity', 1)"))));
            // one per entry written: the first transaction wrote two for the table
            assertThat(f.counter("tandem.ledger.entries", "table", "public.inf", "reason", "rejected")).isEqualTo(3);
        }
        assertThat(PG.target().query(db, "SELECT sqlstate, time_column, range_start, range_end, message"
                + " FROM tandem.divergence WHERE table_name = 'inf' ORDER BY id")).containsExactly(
                        List.of("23505", "ts", "2024-02-01 00:00:00+00", "2024-02-10 00:00:00.000001+00",
                                "duplicate key value violates unique constraint \"inf_pkey\""),
                        Arrays.asList("23505", "ts", null, null, "duplicate key value violates unique constraint"
                                + " \"inf_pkey\"; 2 of its rows are at infinity or -infinity in ts, which no range"
                                + " reaches: copy them by hand (docs/migration.md, step 8, rows at infinity), then"
                                + " close this entry"),
                        Arrays.asList("23505", "ts", null, null, "duplicate key value violates unique constraint"
                                + " \"inf_pkey\"; 1 of its rows are at infinity or -infinity in ts, which no range"
                                + " reaches: copy them by hand (docs/migration.md, step 8, rows at infinity), then"
                                + " close this entry"));
    }

    /**
     * A row without a time (NULL, where the time column allows it) is in no range repair can re-copy: the entry has
     * none, and is settled after a re-copy of the table. Before, it got the range of the other rows, and repair closed
     * it with the row without a time still missing.
     */
    @Test
    void aRejectedTransactionWithARowWithoutATimeGetsNoRange() throws Exception {
        PG.target().execute(db, "CREATE TABLE nul (ts timestamptz, id int PRIMARY KEY);"
                + " INSERT INTO nul VALUES ('2024-01-01 00:00:00+00', 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE IF NOT EXISTS tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'nul', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("nul", 3, "INSERT INTO nul VALUES ('2024-02-01 00:00:00+00', 2),"
                    + " (NULL, 3), ('2024-02-10 00:00:00+00', 1)"))));
        }
        assertThat(PG.target().query(db, "SELECT sqlstate, coalesce(time_column, '-'), coalesce(range_start, '-')"
                + " FROM tandem.divergence WHERE table_name = 'nul'")).containsExactly(List.of("23505", "-", "-"));
    }

    /**
     * The usual time-series table has a serial or identity key the application leaves out, and may compute columns
     * (its time column too) from others: the scratch copy the range is computed in fills them as the table does.
     */
    @Test
    void aRejectedTransactionIntoATableWithSerialIdentityAndGeneratedColumnsGetsItsTimeRange() throws Exception {
        PG.target().execute(db, "CREATE TABLE s (id bigserial PRIMARY KEY, ts timestamptz NOT NULL,"
                + " v int CHECK (v < 10));"
                + " CREATE TABLE i (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, epoch bigint NOT NULL,"
                + " ts timestamptz NOT NULL GENERATED ALWAYS AS (to_timestamp(epoch)) STORED, v int CHECK (v < 10));"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE tandem.backfill_task (table_schema text, table_name text, time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 's', 'ts'), ('public', 'i', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(tx(db, simple("s", 2, "INSERT INTO s (ts, v) VALUES ('2024-02-01 00:00:00+00', 1),"
                    + " ('2024-02-03 00:00:00+00', 100)")));
            f.awaitApplied(f.append(tx(db, simple("i", 2, "INSERT INTO i (epoch, v) VALUES (1706745600, 1),"
                    + " (1706918400, 100)"))));
        }
        assertThat(PG.target().query(db, "SELECT table_name, sqlstate, time_column, range_start, range_end"
                + " FROM tandem.divergence ORDER BY id")).containsExactly(
                        List.of("s", "23514", "ts", "2024-02-01 00:00:00+00", "2024-02-03 00:00:00.000001+00"),
                        List.of("i", "23514", "ts", "2024-02-01 00:00:00+00", "2024-02-03 00:00:00.000001+00"));
    }

    /**
     * A rejected transaction's rows are missing on the target in every table it wrote, not only the one the target
     * refused: each table gets its ledger row, with its own time range, so repair re-copies them all.
     */
    @Test
    void aRejectedTransactionGetsALedgerRowForEveryTableItWrote() throws Exception {
        PG.target().execute(db, "CREATE TABLE k (id int PRIMARY KEY); INSERT INTO k VALUES (1);"
                + " CREATE TABLE r (ts timestamptz NOT NULL, id int);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE tandem.backfill_task (table_schema text, table_name text, time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'r', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("r", 2, "INSERT INTO r VALUES ('2024-02-01 00:00:00+00', 1),"
                            + " ('2024-02-03 00:00:00+00', 2)"),
                    simple("m", 1, "INSERT INTO m (id) VALUES (7)"),
                    simple("k", 1, "INSERT INTO k VALUES (1)"),
                    simple("r", 1, "INSERT INTO r VALUES ('2024-02-05 00:00:00+00', 3)"))));
            assertThat(f.counter("tandem.ledger.entries", "table", "public.r", "reason", "rejected")).isEqualTo(1);
            assertThat(f.counter("tandem.ledger.entries", "table", "public.m", "reason", "rejected")).isEqualTo(1);
        }
        String why = "not applied: its source transaction also wrote public.k, which was ledgered (SQLSTATE 23505: ";
        assertThat(PG.target().query(db, "SELECT table_name, coalesce(sqlstate, '-'), left(message, " + why.length()
                + "), statement, coalesce(range_start, '-'), coalesce(range_end, '-') FROM tandem.divergence"
                + " ORDER BY id")).containsExactly(
                        List.of("k", "23505", "duplicate key value violates unique constraint \"k_pkey\"",
                                "INSERT INTO k VALUES (1)", "-", "-"),
                        List.of("r", "-", why, "INSERT INTO r VALUES ('2024-02-01 00:00:00+00', 1),"
                                + " ('2024-02-03 00:00:00+00', 2)", "2024-02-01 00:00:00+00",
                                "2024-02-05 00:00:00.000001+00"),
                        List.of("m", "-", why, "INSERT INTO m (id) VALUES (7)", "-", "-"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM r")).isEqualTo("0");
    }

    @Test
    void aRejectedWriteIntoAPartitionIsLedgeredWithTheRangeOfItsPartitionedTablesTimeColumn() throws Exception {
        // the plan (and verifier.time-columns) name the partitioned table; the application wrote into a partition
        PG.target().execute(db, "CREATE TABLE pr (ts timestamptz NOT NULL, id int, PRIMARY KEY (id, ts))"
                + " PARTITION BY RANGE (ts);"
                + " CREATE TABLE pr_2024 PARTITION OF pr FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
                + " INSERT INTO pr VALUES ('2024-02-15 12:30:00+00', 1);"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE tandem.backfill_task (table_schema text, table_name text, time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'pr', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("pr_2024", 2, "INSERT INTO pr_2024 VALUES"
                    + " ('2024-02-01 00:00:00+00', 2), ('2024-02-15 12:30:00+00', 1)"))));
        }
        assertThat(PG.target().query(db, "SELECT table_name, sqlstate, time_column, range_start, range_end"
                + " FROM tandem.divergence")).containsExactly(
                        List.of("pr_2024", "23505", "ts", "2024-02-01 00:00:00+00", "2024-02-15 12:30:00.000001+00"));
    }

    /**
     * A table range-partitioned on one column has that column as its time column, without a plan or
     * {@code verifier.time-columns}: before, a transaction the target rejected before a plan was staged got no range,
     * whether it named the partitioned table or one of its partitions, and repair could not re-copy it.
     */
    @Test
    void aRejectedWriteIntoARangePartitionedTableGetsTheRangeOfItsPartitionKeyWithoutAPlan() throws Exception {
        PG.target().execute(db, "CREATE TABLE pk (at timestamptz NOT NULL, id int, PRIMARY KEY (id, at))"
                + " PARTITION BY RANGE (at);"
                + " CREATE TABLE pk_2024 PARTITION OF pk FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
                + " INSERT INTO pk VALUES ('2024-02-15 12:30:00+00', 1)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(tx(db, simple("pk", 2, "INSERT INTO pk VALUES ('2024-02-01 00:00:00+00', 2),"
                    + " ('2024-02-15 12:30:00+00', 1)")));
            f.awaitApplied(f.append(tx(db, simple("pk_2024", 2, "INSERT INTO pk_2024 VALUES"
                    + " ('2024-03-01 00:00:00+00', 3), ('2024-02-15 12:30:00+00', 1)"))));
        }
        assertThat(PG.target().query(db, "SELECT table_name, sqlstate, time_column, range_start, range_end"
                + " FROM tandem.divergence ORDER BY id")).containsExactly(
                        List.of("pk", "23505", "at", "2024-02-01 00:00:00+00", "2024-02-15 12:30:00.000001+00"),
                        List.of("pk_2024", "23505", "at", "2024-02-15 12:30:00+00", "2024-03-01 00:00:00.000001+00"));
    }

    /**
     * Creates {@code r} on the target (time column ts, as a staged plan names it) from {@code ddl}, and a dual-write
     * mark at 2024-06-01 00:00 UTC. The applier reads the mark again only every 10 s: a fixture started after this
     * on the same spool reads it at once.
     */
    private void tableRAndMark(String ddl) throws Exception {
        PG.target().execute(db, ddl + "; CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE tandem.backfill_task (table_schema text, table_name text, time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'r', 'ts')");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            PG.target().execute(db, "UPDATE tandem.dual_write SET marked_at = '2024-06-01 00:00:00+00'");
            f.applier.pause();
        }
    }

    /** The late rows' count is the mirror's own query around the INSERT: it takes pg_catalog's operator and count. */
    @Test
    void lateRowsOfAStatementUnderASessionPathAreCountedWithPgCatalogsOperators() throws Exception {
        tableRAndMark("CREATE TABLE r (ts timestamptz NOT NULL, id int PRIMARY KEY); CREATE SCHEMA shadow;"
                + " CREATE SEQUENCE shadow.calls;"
                + " CREATE FUNCTION shadow.lt(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql AS $f$"
                + " SELECT pg_catalog.nextval('shadow.calls') IS NOT NULL AND $1 OPERATOR(pg_catalog.<) $2 $f$;"
                + " CREATE OPERATOR shadow.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = shadow.lt)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, List.of("shadow", "pg_catalog", "public"),
                    simple("r", 1, "INSERT INTO r VALUES ('2023-01-01 00:00:00+00', 1)"))));
            assertThat(f.counter("tandem.mirror.late.rows", "table", "public.r")).isEqualTo(1);
        }
        assertThat(PG.target().queryValue(db, "SELECT is_called FROM shadow.calls")).isEqualTo("f");
    }

    @Test
    void rowsWrittenBeforeTheDualWriteMarkAreCountedAsLate() throws Exception {
        tableRAndMark("CREATE TABLE r (ts timestamptz NOT NULL, id int PRIMARY KEY)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (int i = 0; i < 10; i++) {
                // one-row prepared INSERTs (coalesced): ids 0-9, 2024-05-27 .. 2024-06-05, 5 of them before the mark
                last = f.append(tx(db, new CapturedStatement.Extended(new TableName("public", "r"), 1,
                        "INSERT INTO r (ts, id) VALUES ($1, $2)", new int[] {1184, 23}, new short[] {1, 0},
                        new byte[][] {timestamptz(Instant.parse("2024-05-27T00:00:00Z").plusSeconds(86_400L * i)),
                            utf8("" + i)})));
            }
            last = f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2023-01-01 00:00:00+00', 100);")));
            last = f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2025-01-01 00:00:00+00', 101)")));
            // an application's own multi-row INSERTs: 2 late of 3 (the trailing comment must not swallow the
            // counting), then 1 late row inserted, the other conflicting (as on the source)
            last = f.append(tx(db, simple("r", 3, "INSERT INTO r VALUES ('2023-02-01 00:00:00+00', 200),"
                    + " ('2023-02-02 00:00:00+00', 201), ('2025-02-01 00:00:00+00', 202) -- one batch")));
            last = f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2023-03-01 00:00:00+00', 100),"
                    + " ('2023-03-01 00:00:00+00', 300) ON CONFLICT DO NOTHING;")));
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter("tandem.mirror.late.rows", "table", "public.r")).isEqualTo(9);
            assertThat(f.counter("tandem.target.rows", "table", "public.r")).isEqualTo(16);
            assertThat(f.counter("tandem.mirror.row.count.mismatches", "table", "public.r")).isZero();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM r")).isEqualTo("16");
    }

    /**
     * Counting late rows wraps an INSERT in {@code WITH ... RETURNING}, which PostgreSQL refuses for a table with
     * INSERT rules (DO ALSO, conditional DO INSTEAD, DO INSTEAD without RETURNING) while the INSERT alone is fine: such
     * INSERTs are applied uncounted, not ledgered, and an INSERT the target rejects for itself is still ledgered with
     * its own error.
     */
    @Test
    void insertsIntoATableWithRulesAreAppliedWhileLateRowsAreCounted() throws Exception {
        tableRAndMark("CREATE TABLE r (ts timestamptz NOT NULL, id int PRIMARY KEY); CREATE TABLE audit (id int);"
                + " CREATE RULE r_audit AS ON INSERT TO r DO ALSO INSERT INTO audit VALUES (NEW.id)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2023-01-01 00:00:00+00', 1)")));
            for (int i = 2; i < 6; i++) {
                // one-row prepared INSERTs, coalesced into one
                last = f.append(tx(db, new CapturedStatement.Extended(new TableName("public", "r"), 1,
                        "INSERT INTO r (ts, id) VALUES ($1, $2)", new int[] {1184, 23}, new short[] {1, 0},
                        new byte[][] {timestamptz(Instant.parse("2024-05-27T00:00:00Z")), utf8("" + i)})));
            }
            last = f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2023-01-01 00:00:00+00', 1)")));
            SpoolPosition end = last;
            List<String> warnings = LoggedWarnings.of(MirrorApplier.class, () -> {
                f.applier.start();
                try {
                    f.awaitApplied(end);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(warnings).singleElement().asString().contains("INSERT rules", "SQLSTATE 0A000: DO ALSO rules");
        }
        assertThat(PG.target().query(db, "SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM audit)"))
                .containsExactly(List.of("5", "5"));
        assertThat(PG.target().query(db, "SELECT table_name, sqlstate FROM tandem.divergence"))
                .containsExactly(List.of("r", "23505"));
    }

    /**
     * TimescaleDB before 2.11 refuses RETURNING in an INSERT into a compressed chunk (SQLSTATE 0A000, "insert with ON
     * CONFLICT or RETURNING clause is not supported on compressed chunks", {@code src/nodes/chunk_insert_state.c}),
     * and counting late rows wraps the INSERT in {@code WITH ... RETURNING}: raised here by a trigger, with
     * TimescaleDB's code and message, for the statements that return rows. The INSERTs are applied uncounted, and the
     * warning names that refusal, not INSERT rules the table does not have.
     */
    @Test
    void insertsOldTimescaleRefusesToReturnFromACompressedChunkAreAppliedAndTheWarningSaysSo() throws Exception {
        tableRAndMark("CREATE TABLE r (ts timestamptz NOT NULL, id int PRIMARY KEY);"
                + " CREATE FUNCTION compressed_chunk() RETURNS trigger LANGUAGE plpgsql AS $$"
                + " BEGIN IF current_query() LIKE '%RETURNING%' THEN RAISE EXCEPTION"
                + " 'insert with ON CONFLICT or RETURNING clause is not supported on compressed chunks'"
                + " USING ERRCODE = 'feature_not_supported'; END IF; RETURN NEW; END $$;"
                + " CREATE TRIGGER compressed_chunk BEFORE INSERT ON r FOR EACH ROW"
                + " EXECUTE FUNCTION compressed_chunk()");
        List<String> warnings;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2023-01-01 00:00:00+00', 1)")));
            SpoolPosition last = f.append(tx(db, simple("r", 1, "INSERT INTO r VALUES ('2023-01-02 00:00:00+00', 2)")));
            warnings = LoggedWarnings.of(MirrorApplier.class, () -> {
                f.applier.start();
                try {
                    f.awaitApplied(last);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(f.counter("tandem.mirror.late.rows", "table", "public.r")).isZero();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM r")).isEqualTo("2");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
        assertThat(warnings).singleElement().asString()
                .startsWith("mirror: late rows of public.r in target database " + db + " are not counted until the"
                        + " mirror reconnects: ")
                .contains("TimescaleDB before 2.11", "compressed chunk", "SQLSTATE 0A000: insert with ON CONFLICT or"
                        + " RETURNING clause is not supported on compressed chunks", "2.11 and later")
                .doesNotContain("rules");
    }

    /**
     * A target database that does not exist is retried, as an operator can create it, while the others go on
     * (DatabaseIsolationIT): the warning says what to do and that its transactions wait in the spool, which SQLSTATE
     * 3D000 alone does not.
     */
    @Test
    void aMissingTargetDatabaseIsRetriedWithAHintThatItsTransactionsWait() throws Exception {
        List<String> warnings;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.append(tx("not_on_the_target", simple("r", 1, "INSERT INTO r VALUES (1)")));
            warnings = LoggedWarnings.of(MirrorApplier.class, () -> {
                f.applier.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (f.counter(MirrorMetrics.RETRIES) < 1 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            });
        }
        assertThat(warnings).first().asString().contains("target database not_on_the_target cannot be applied"
                + " (SQLSTATE 3D000", "its transactions wait in the spool and other databases go on",
                "create database not_on_the_target on the target", "target.databases");
    }

    /**
     * The JDK's words for a target certificate the proxy does not trust ("PKIX path building failed") name no setting:
     * the warning says which one to change, as the relay's does for the source.
     */
    @Test
    void aTargetCertificateTheProxyDoesNotTrustIsRetriedWithAHintNamingTargetCaFile() throws Exception {
        Path key = Files.createTempFile("tandem-test", ".key");
        Files.copy(Path.of(getClass().getClassLoader().getResource("tls/server.key").toURI()), key,
                StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------")); // as PostgreSQL insists
        String cert = Path.of(getClass().getClassLoader().getResource("tls/server.crt").toURI()).toString();
        List<String> warnings;
        try (EmbeddedPgServer tlsTarget = EmbeddedPgServer.start("tls-target", Map.of("ssl", "on", "ssl_cert_file",
                cert, "ssl_key_file", key.toString()));
             MirrorFixture f = new MirrorFixture(spoolDir, tlsTarget).targetTls(TlsMode.VERIFY_FULL)) {
            f.append(tx("postgres", simple("r", 1, "INSERT INTO r VALUES (1)")));
            warnings = LoggedWarnings.of(MirrorApplier.class, () -> {
                f.applier.start();
                // the retry is counted before its warning is logged: the first is logged once the second is counted
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (f.counter(MirrorMetrics.RETRIES) < 2 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            });
        }
        assertThat(warnings).first().asString().contains("target database postgres cannot be applied (SQLSTATE 08001",
                "PKIX path building failed", "the target's certificate is not signed by a certificate authority the"
                        + " proxy trusts: set target.ca-file to the PEM file of the authority that signed it");
    }

    /**
     * A target without TLS under target.tls require: the parked database's error (/status) names the setting, as the
     * relay's does source.tls, not the protocol client's own "tls mode".
     */
    @Test
    void aTargetWithoutTlsUnderTargetTlsRequireIsParkedNamingTargetTls() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target()).targetTls(TlsMode.REQUIRE)) {
            f.append(tx("postgres", simple("r", 1, "INSERT INTO r VALUES (1)")));
            f.applier.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (f.applier.parkedDatabases().isEmpty() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            assertThat(f.applier.parkedDatabases()).extractingByKey("postgres").extracting(d -> d.get("error"))
                    .asString().isEqualTo("SQLSTATE 08001: server " + PG.target().host() + ":" + PG.target().port()
                            + " does not support TLS, but target.tls is require");
        }
    }

    /** A COPY cannot return its rows: its late rows are read from its data, in each format, with its options. */
    @Test
    void copiedRowsWrittenBeforeTheDualWriteMarkAreCountedAsLate() throws Exception {
        tableRAndMark("CREATE TABLE r (id int, ts timestamptz NOT NULL, note text)");
        TableName r = new TableName("public", "r");
        ByteBuffer binary = ByteBuffer.allocate(96).put("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1))
                .putInt(0).putInt(0);
        for (Instant t : List.of(Instant.parse("2024-05-01T00:00:00Z"), Instant.parse("2024-07-01T00:00:00Z"))) {
            binary.putShort((short) 2).putInt(4).putInt(9).putInt(8).put(timestamptz(t));
        }
        binary.putShort((short) -1);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            // no column list: the table's order; 2 of 3 before the mark, one in another zone's notation
            last = f.append(tx(db, new CapturedStatement.Copy(r, 3, "COPY r FROM STDIN",
                    List.of(utf8("1\t2024-05-31 23:59:59+00\tlate\n2\t2024-06-01 01:30:00+02"), utf8("\tlate too\n"
                            + "3\t2024-06-01 00:00:00+00\ton the mark\n")))));
            // CSV with a header, quotes and a column list: 1 of 2
            last = f.append(tx(db, new CapturedStatement.Copy(r, 2, "COPY r (ts, id, note) FROM STDIN WITH (FORMAT"
                    + " csv, HEADER true)", List.of(utf8("ts,id,note\n\"2023-01-01 00:00:00+00\",4,\"a,b\"\n"
                            + "2025-01-01 00:00:00+00,5,x\n")))));
            // binary: 1 of 2
            last = f.append(tx(db, new CapturedStatement.Copy(r, 2, "COPY r (id, ts) FROM STDIN (FORMAT binary)",
                    List.of(java.util.Arrays.copyOf(binary.array(), binary.position())))));
            // without offsets, in a session whose TimeZone is Tokyo's (the mark is 09:00 there): 1 of 2
            last = f.append(tx(db, new CapturedStatement.Copy(r, 2, "COPY r FROM STDIN", List.of(utf8(
                    "6\t2024-06-01 08:59:59\tlate in Tokyo\n7\t2024-06-01 09:00:00\ton the mark in Tokyo\n")))
                    .withSettings(new InputSettings("Asia/Tokyo", "ISO, MDY", "postgres", "on"))));
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter("tandem.mirror.late.rows", "table", "public.r")).isEqualTo(5);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM r WHERE ts < '2024-06-01 00:00:00+00'"))
                .as("what the target holds agrees").isEqualTo("5");
    }

    /**
     * A COPY with a WHERE clause writes only the rows the condition keeps, on the source as on the target: before, the
     * late rows it left out were counted too. What it left out (its data's rows less the source's count) may all be
     * late ones, so they are taken off: the count stays a lower bound, exact when the WHERE kept every late row or
     * left out only late ones.
     */
    @Test
    void rowsACopysWhereLeftOutAreNotCountedAsLate() throws Exception {
        tableRAndMark("CREATE TABLE r (id int, ts timestamptz NOT NULL, note text)");
        TableName r = new TableName("public", "r");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            // 2 late rows of 3, the WHERE leaves one of them out: the source wrote 2 rows
            SpoolPosition last = f.append(tx(db, new CapturedStatement.Copy(r, 2, "COPY r FROM STDIN WHERE id > 10",
                    List.of(utf8("11\t2024-05-01 00:00:00+00\tlate\n1\t2024-05-02 00:00:00+00\tlate, left out\n"
                            + "12\t2024-07-01 00:00:00+00\tin time\n")))));
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter("tandem.mirror.late.rows", "table", "public.r")).isEqualTo(1);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM r WHERE ts < '2024-06-01 00:00:00+00'"))
                .as("what the target holds agrees").isEqualTo("1");
    }

    /**
     * One group, one target transaction: each member's values are read under its own session's settings, one-row
     * INSERTs coalesced only among statements of the same settings; one whose record does not know them (written by
     * an older version) under the target's own.
     */
    @Test
    void eachStatementOfAGroupIsReadUnderItsSessionsSettings() throws Exception {
        PG.target().execute(db, "CREATE TABLE z (id int PRIMARY KEY, ts timestamptz, d date, i interval)");
        // sql_standard reads -1 2:00 as minus one day and two hours, postgres as minus one day plus two hours
        InputSettings tokyo = new InputSettings("Asia/Tokyo", "ISO, DMY", "sql_standard", "on");
        InputSettings utc = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            int id = 0;
            for (InputSettings settings : java.util.Arrays.asList(utc, tokyo, tokyo, InputSettings.UNKNOWN, tokyo)) {
                id++;
                last = f.append(tx(db, new CapturedStatement.Extended(new TableName("public", "z"), 1,
                        "INSERT INTO z VALUES ($1, $2, $3, $4)", new int[] {23, 0, 0, 0}, new short[] {0},
                        new byte[][] {utf8("" + id), utf8("2024-06-01 10:00"), utf8("02/03/2024"), utf8("-1 2:00")})
                        .withSettings(settings)));
            }
            f.applier.start();
            f.awaitApplied(last);
        }
        List<String> utcRow = List.of("2024-06-01 10:00:00+00", "2024-02-03", "-1 days +02:00:00");
        List<String> tokyoRow = List.of("2024-06-01 01:00:00+00", "2024-03-02", "-1 days -02:00:00");
        assertThat(PG.target().query(db, "SELECT ts::text, d::text, i::text FROM z ORDER BY id"))
                .containsExactly(utcRow, tokyoRow, tokyoRow, utcRow, tokyoRow);
    }

    /**
     * One group, one target transaction: each statement is replayed under the session_replication_role its session
     * had, so the target fires the triggers the source did, no others; one-row INSERTs are coalesced only among
     * statements of the same value. Before, the target replayed all under origin, and its trigger changed the rows the
     * source wrote under replica. (Nothing here fails on the target, which would have the group applied again member by
     * member; foreign keys are in ReplicationRoleMirrorIT.)
     */
    @Test
    void eachStatementOfAGroupIsReplayedUnderItsSessionReplicationRole() throws Exception {
        PG.target().execute(db, "CREATE TABLE stamped (id int PRIMARY KEY, note text);"
                + " CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " NEW.note := 'stamped by trigger'; RETURN NEW; END $$;"
                + " CREATE TRIGGER stamp BEFORE INSERT ON stamped FOR EACH ROW EXECUTE FUNCTION stamp()");
        InputSettings origin = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        InputSettings replica = origin.withReplicationRole(ReplicationRole.REPLICA);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (int id = 1; id <= 6; id++) {
                last = f.append(tx(db, new CapturedStatement.Extended(new TableName("public", "stamped"), 1,
                        "INSERT INTO stamped VALUES ($1, 'as sent')", new int[] {23}, new short[] {0},
                        new byte[][] {utf8("" + id)}).withSettings(id == 3 || id == 6 ? origin : replica)));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter(MIRRORED, "table", "public.stamped", "outcome", "applied")).isEqualTo(6);
        }
        assertThat(PG.target().query(db, "SELECT id, note FROM stamped ORDER BY id"))
                .containsExactly(List.of("1", "as sent"), List.of("2", "as sent"), List.of("3", "stamped by trigger"),
                        List.of("4", "as sent"), List.of("5", "as sent"), List.of("6", "stamped by trigger"));
        assertThat(ledger()).isEmpty();
    }

    /**
     * Late rows are counted inside the group's transaction, under the source session's DateStyle: the mark must read
     * the same there whatever the target's own DateStyle wrote it in. Before, it was the target's text form
     * ({@code 01/06/2024 00:00:00 UTC} under {@code SQL, DMY}), read as January 6th under the source's MDY.
     */
    @Test
    void theMarkReadsTheSameUnderEverySessionsDateStyle() throws Exception {
        tableRAndMark("ALTER DATABASE " + db + " SET DateStyle = 'SQL, DMY';"
                + " CREATE TABLE r (ts timestamptz NOT NULL, id int PRIMARY KEY)");
        InputSettings source = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            SpoolPosition last = null;
            for (String row : List.of("('2024-05-31 00:00:00+00', 1)", "('2024-06-02 00:00:00+00', 2)")) {
                last = f.append(tx(db, new CapturedStatement.Simple(new TableName("public", "r"), 1,
                        "INSERT INTO r VALUES " + row).withSettings(source)));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter("tandem.mirror.late.rows", "table", "public.r")).isEqualTo(1);
        }
    }

    @Test
    void aBadMemberOfAGroupIsLedgeredAloneAndTheOthersAreApplied() throws Exception {
        PG.target().execute(db, "CREATE TABLE k (id int PRIMARY KEY)");
        PG.target().execute(db, "INSERT INTO k VALUES (5)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), false, true, 64)) {
            // one prepared statement for all: the failed group's Parse must not leave the connection unusable
            SpoolPosition last = null;
            for (int i = 1; i <= 10; i++) {
                last = f.append(tx(db, new CapturedStatement.Extended(new TableName("public", "k"), 1,
                        "INSERT INTO k VALUES ($1)", new int[] {23}, new short[0], new byte[][] {utf8("" + i)})));
            }
            f.applier.start();
            f.awaitApplied(last);
            assertThat(f.counter(MIRRORED, "table", "public.k", "outcome", "applied")).isEqualTo(9);
            f.awaitApplied(f.append(tx(db, new CapturedStatement.Extended(new TableName("public", "k"), 1,
                    "INSERT INTO k VALUES ($1)", new int[] {23}, new short[0], new byte[][] {utf8("11")}))));
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM k")).isEqualTo("11");
        // logging.redact-sql keeps the statement out of the ledger
        assertThat(ledger()).containsExactly(List.of(INSTANCE, db, "42", "public", "k", "23505", "<redacted>"));
    }

    @Test
    void anUnreplayableStatementLedgersItsWholeTransaction() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (1, 'part of it')"),
                    new CapturedStatement.Unreplayable(new TableName("public", "m"), 1,
                            "INSERT INTO m (id, v) VALUES ($1, $2)", "binary parameter of user-defined type 16384")));
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id, v) VALUES (2, 'after')"))));
            assertThat(f.counter("tandem.ledger.entries", "table", "public.m", "reason", "not_replayable"))
                    .isEqualTo(1);
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM m")).containsExactly(List.of("2", "after"));
        assertThat(PG.target().query(db, "SELECT sqlstate, message, statement FROM tandem.divergence"))
                .containsExactly(row(null, "binary parameter of user-defined type 16384",
                        "INSERT INTO m (id, v) VALUES ($1, $2)"));
    }

    @Test
    void userDefinedTypeOidsAreMappedByNameToTheTargetsAndAMissingTypeIsLedgered() throws Exception {
        String source = PG.pair().freshDatabase("types_src");
        // created in another order on the target, so the enum's OID differs there
        PG.target().execute(db, "CREATE TYPE filler AS ENUM ('x')");
        PG.source().execute(source, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TYPE only_here AS ENUM ('a')");
        PG.target().execute(db, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE feel (id int, m mood)");
        int sourceMood = Integer.parseInt(PG.source().queryValue(source, "SELECT 'mood'::regtype::oid"));
        int onlyHere = Integer.parseInt(PG.source().queryValue(source, "SELECT 'only_here'::regtype::oid"));
        assertThat(PG.target().queryValue(db, "SELECT 'mood'::regtype::oid")).isNotEqualTo("" + sourceMood);
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), false, false, 64, Map.of(source, db),
                PG.source())) {
            f.applier.start();
            // binary enum values are their labels: portable once the OID is the target's
            f.append(tx(source, new CapturedStatement.Extended(new TableName("public", "feel"), 1,
                    "INSERT INTO feel (id, m) VALUES ($1, $2)", new int[] {23, sourceMood}, new short[] {0, 1},
                    new byte[][] {utf8("1"), utf8("happy")})));
            f.append(tx(source, new CapturedStatement.Extended(new TableName("public", "feel"), 1,
                    "INSERT INTO feel (id, m) VALUES ($1, $2::text::mood)", new int[] {23, onlyHere},
                    new short[] {0, 0}, new byte[][] {utf8("2"), utf8("a")})));
            f.awaitApplied(f.append(tx(source, new CapturedStatement.Extended(new TableName("public", "feel"), 1,
                    "INSERT INTO feel (id, m) VALUES ($1, $2)", new int[] {23, sourceMood}, new short[] {0, 0},
                    new byte[][] {utf8("3"), utf8("sad")}))));
            assertThat(f.counter("tandem.ledger.entries", "table", "public.feel", "reason", "not_replayable"))
                    .isEqualTo(1);
        }
        assertThat(PG.target().query(db, "SELECT id, m::text FROM feel ORDER BY id"))
                .containsExactly(List.of("1", "happy"), List.of("3", "sad"));
        assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence"))
                .contains("\"public\".\"only_here\"", "the target database does not have");
    }

    @Test
    void countsStatementsWhoseTargetRowCountDiffers() throws Exception {
        PG.target().execute(db, "CREATE TABLE k (id int PRIMARY KEY)");
        PG.target().execute(db, "INSERT INTO k VALUES (7)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("k", 2, "INSERT INTO k VALUES (7), (8) ON CONFLICT DO NOTHING"))));
            assertThat(f.counter("tandem.mirror.row.count.mismatches", "table", "public.k")).isEqualTo(1);
            assertThat(f.counter("tandem.source.rows", "table", "public.k")).isEqualTo(2);
            assertThat(f.counter("tandem.target.rows", "table", "public.k")).isEqualTo(1);
        }
    }

    @Test
    void pauseHoldsTheMirrorAndResumeLetsItCatchUp() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            f.applier.pause();
            assertThat(f.applier.isPaused()).isTrue();
            assertThat(f.gauge("tandem.mirror.paused")).isEqualTo(1);
            SpoolPosition held = f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (2)")));
            CompletableFuture<Void> applied = f.applier.awaitApplied(held);
            Thread.sleep(300);
            assertThat(applied).isNotDone();
            assertThat(f.gauge("tandem.spool.records")).isEqualTo(1);
            assertThat(f.gauge("tandem.mirror.lag.bytes")).isPositive();
            // the held transaction was appended at least the 300 ms slept ago
            assertThat(f.gauge("tandem.mirror.lag.seconds")).isGreaterThanOrEqualTo(0.3);
            f.applier.resume();
            applied.get(60, TimeUnit.SECONDS);
            assertThat(f.gauge("tandem.mirror.paused")).isZero();
            assertThat(f.gauge("tandem.mirror.lag.seconds")).isZero();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("2");
    }

    @Test
    void awaitAppliedCompletesAtOnceForAppliedRecordsAndFailsWhenTheApplierStops() throws Exception {
        CompletableFuture<Void> never;
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target())) {
            f.applier.start();
            f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)")));
            f.applier.awaitApplied(1).get(60, TimeUnit.SECONDS);
            assertThat(f.applier.awaitApplied(1)).isCompleted();
            never = f.applier.awaitApplied(99);
        }
        assertThatThrownBy(() -> never.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(MirrorStoppedException.class);
    }

    @Test
    void marksDualWriteStartAtTheFirstMirroredCommitAndOnRequest() throws Exception {
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), true, false, 64)) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("m", 1, "INSERT INTO m (id) VALUES (1)"))));
            assertThat(PG.target().query(db, "SELECT marked_at = to_timestamp(" + COMMITTED_AT + " / 1000.0),"
                    + " marked_by FROM tandem.dual_write")).containsExactly(List.of("t", "proxy:" + INSTANCE));

            f.applier.dualWriteMarks().mark(db).get(30, TimeUnit.SECONDS);
            assertThat(PG.target().query(db, "SELECT marked_at > to_timestamp(" + COMMITTED_AT + " / 1000.0),"
                    + " marked_by FROM tandem.dual_write")).containsExactly(List.of("t", "proxy:" + INSTANCE));
        }
    }

    private static List<String> row(String... values) {
        return new ArrayList<>(Arrays.asList(values));
    }

    private static byte[] int4(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    private static byte[] timestamptz(Instant t) {
        long micros = Duration.between(Instant.parse("2000-01-01T00:00:00Z"), t).toNanos() / 1000;
        return ByteBuffer.allocate(8).putLong(micros).array();
    }

    private static byte[] binaryCopy(int id, Instant ts, String v) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0});
        out.writeInt(0);
        out.writeInt(0);
        out.writeShort(3);
        out.writeInt(4);
        out.write(int4(id));
        out.writeInt(8);
        out.write(timestamptz(ts));
        byte[] text = utf8(v);
        out.writeInt(text.length);
        out.write(text);
        out.writeShort(-1);
        out.flush();
        return bytes.toByteArray();
    }
}
