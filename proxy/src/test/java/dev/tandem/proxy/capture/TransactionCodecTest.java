package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TimeType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransactionCodecTest {

    /** The mirror passes over a parked database's records by their database alone. */
    @Test
    void readsARecordsDatabaseAloneAndRefusesAnotherVersion() {
        TableName t = new TableName("public", "m");
        byte[] record = TransactionCodec.encode(new CapturedTransaction("app", "writer", 7, List.of(), 1L,
                List.of(new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (1)"))));
        assertThat(TransactionCodec.database(record)).isEqualTo("app");
        byte version = record[0];
        assertThatThrownBy(() -> TransactionCodec.database(new byte[] {version}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ends early");
        record[0] = 99;
        assertThatThrownBy(() -> TransactionCodec.database(record)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version 99");
    }

    @Test
    void keepsEachStatementsSearchPathAndReadsRecordsOfTheVersionWithout() {
        TableName t = new TableName("public", "m");
        CapturedTransaction tx = new CapturedTransaction("app", "writer", 7, List.of(), 1L, List.of(
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (1)", List.of("s2", "Odd")),
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (2)", List.of()),
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (3)")));
        CapturedTransaction back = TransactionCodec.decode(TransactionCodec.encode(tx));
        assertThat(back.statements()).extracting(CapturedStatement::searchPath)
                .containsExactly(List.of("s2", "Odd"), List.of(), null);

        // version 2: the same layout without the trailing unconfirmed tables (a count of 0 here); version 1 also
        // without the statements' paths before them (-1 each for "not recorded")
        CapturedTransaction unrecorded = new CapturedTransaction("app", "writer", 7, List.of("x"), 1L,
                List.of(new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (3)")));
        byte[] v5 = version5(TransactionCodec.encode(unrecorded), 1); // its one encoding, a null: the last 4 bytes
        byte[] v2 = java.util.Arrays.copyOf(v5, v5.length - 8);
        v2[0] = 2;
        assertThat(TransactionCodec.decode(v2)).isEqualTo(unrecorded);
        byte[] v1 = java.util.Arrays.copyOf(v5, v5.length - 12);
        v1[0] = 1;
        assertThat(TransactionCodec.decode(v1)).isEqualTo(unrecorded);
    }

    @Test
    void keepsEachStatementsClientEncodingAndReadsOlderVersions() {
        TableName t = new TableName("public", "m");
        CapturedTransaction tx = new CapturedTransaction("app", "writer", 7, List.of(), 1L, List.of(
                new CapturedStatement.Copy(t, 1, "COPY m FROM STDIN", List.of(new byte[] {'1', '\t', (byte) 0xE9}),
                        null, "LATIN1"),
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES ('é')", null, "WIN1252"),
                new CapturedStatement.Extended(t, 1, "INSERT INTO m VALUES ($1)", new int[] {25}, new short[] {0},
                        new byte[][] {{(byte) 0xE9}}, null, "LATIN9"),
                new CapturedStatement.Copy(t, 1, "COPY m FROM STDIN", List.of(new byte[] {'3'}))));
        byte[] v5 = version5(TransactionCodec.encode(tx), 4);
        assertThat(TransactionCodec.decode(v5).statements()).extracting(CapturedStatement::clientEncoding)
                .containsExactly("LATIN1", "WIN1252", "LATIN9", null);
        // the encodings take the last 35 bytes (4 + 6, 4 + 7, 4 + 6, 4); version 4 kept one per COPY only
        byte[] v4 = java.util.Arrays.copyOf(v5, v5.length - 35);
        byte[] copies = {0, 0, 0, 6, 'L', 'A', 'T', 'I', 'N', '1', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        v4 = java.util.Arrays.copyOf(v4, v4.length + copies.length);
        System.arraycopy(copies, 0, v4, v4.length - copies.length, copies.length);
        v4[0] = 4;
        assertThat(TransactionCodec.decode(v4).statements()).extracting(CapturedStatement::clientEncoding)
                .containsExactly("LATIN1", null, null, null);
        // version 3: without any encodings
        byte[] v3 = java.util.Arrays.copyOf(v5, v5.length - 35);
        v3[0] = 3;
        assertThat(TransactionCodec.decode(v3).statements()).extracting(CapturedStatement::clientEncoding)
                .containsExactly(null, null, null, null);
    }

    @Test
    void keepsEachStatementsInputSettingsOnceAndReadsOlderVersionsAsUnknown() {
        TableName t = new TableName("public", "m");
        InputSettings tokyo = new InputSettings("Asia/Tokyo", "ISO, DMY", "postgres", "on");
        InputSettings utc = new InputSettings("UTC", "ISO, MDY", "iso_8601", "off");
        CapturedTransaction tx = new CapturedTransaction("app", "writer", 7, List.of(), 1L, List.of(
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES ('2026-03-01 10:00')").withSettings(tokyo),
                new CapturedStatement.Copy(t, 1, "COPY m FROM STDIN", List.of(new byte[] {'1'})).withSettings(tokyo),
                new CapturedStatement.Extended(t, 1, "INSERT INTO m VALUES ($1)", new int[] {25}, new short[] {0},
                        new byte[][] {{'x'}}).withSettings(utc),
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (1)")));
        byte[] encoded = TransactionCodec.encode(tx);
        assertThat(TransactionCodec.decode(encoded).statements()).extracting(CapturedStatement::settings)
                .containsExactly(tokyo, tokyo, utc, InputSettings.UNKNOWN);
        byte[] once = TransactionCodec.encode(new CapturedTransaction("app", "writer", 7, List.of(), 1L,
                List.of(tx.statements().get(0), tx.statements().get(0))));
        byte[] single = TransactionCodec.encode(new CapturedTransaction("app", "writer", 7, List.of(), 1L,
                List.of(tx.statements().get(0))));
        assertThat(once.length - single.length).as("a second statement with the same settings adds only itself")
                .isEqualTo(single.length - TransactionCodec.encode(new CapturedTransaction("app", "writer", 7,
                        List.of(), 1L, List.of())).length - settingsBytes(tokyo));

        CapturedTransaction plain = new CapturedTransaction("app", "writer", 7, List.of(), 1L,
                List.of(new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (1)")));
        assertThat(TransactionCodec.decode(version5(TransactionCodec.encode(plain), 1)).statements())
                .extracting(CapturedStatement::settings).containsExactly(InputSettings.UNKNOWN);
    }

    /** What one distinct set of settings takes in a record: its four values and its role (origin: null). */
    private static int settingsBytes(InputSettings settings) {
        int n = 0;
        for (String v : settings.values()) {
            n += 4 + (v == null ? 0 : v.getBytes(StandardCharsets.UTF_8).length);
        }
        return n + roleBytes(settings);
    }

    private static int roleBytes(InputSettings settings) {
        return 4 + (settings.replicationRole() == ReplicationRole.ORIGIN ? 0 : settings.replicationRole().setting()
                .length());
    }

    /** A current record of a transaction whose {@code statements} have unknown settings, as version 5 wrote it. */
    private static byte[] version5(byte[] v7, int statements) {
        byte[] v5 = java.util.Arrays.copyOf(v7, v7.length - 4 - settingsBytes(InputSettings.UNKNOWN) - 4 * statements);
        v5[0] = 5;
        return v5;
    }

    /**
     * Each statement keeps the session_replication_role it ran under, within its settings (origin, the usual value, in
     * four bytes a transaction); a record of version 6 did not keep it, and its statements ran under origin.
     */
    @Test
    void keepsEachStatementsReplicationRoleAndReadsVersion6AsOrigin() {
        TableName t = new TableName("public", "m");
        InputSettings origin = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        InputSettings replica = origin.withReplicationRole(ReplicationRole.REPLICA);
        InputSettings local = origin.withReplicationRole(ReplicationRole.LOCAL);
        CapturedTransaction tx = new CapturedTransaction("app", "loader", 7, List.of(), 1L, List.of(
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (1)").withSettings(replica),
                new CapturedStatement.Copy(t, 1, "COPY m FROM STDIN", List.of(new byte[] {'2'})).withSettings(replica),
                new CapturedStatement.Extended(t, 1, "INSERT INTO m VALUES ($1)", new int[] {23}, new short[] {0},
                        new byte[][] {{'3'}}).withSettings(local),
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (4)").withSettings(origin)));
        byte[] record = TransactionCodec.encode(tx);
        assertThat(record[0]).isEqualTo((byte) 8);
        CapturedTransaction back = TransactionCodec.decode(record);
        assertThat(back.statements()).extracting(CapturedStatement::settings)
                .containsExactly(replica, replica, local, origin);
        assertThat(TransactionCodec.encode(back)).as("byte for byte").isEqualTo(record);

        // version 6: the same, without the role after each set's four values (here one set, before two indexes)
        CapturedTransaction loader = new CapturedTransaction("app", "loader", 7, List.of(), 1L, List.of(
                tx.statements().get(0), new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (5)")
                        .withSettings(replica)));
        byte[] current = TransactionCodec.encode(loader);
        int role = current.length - 8 - roleBytes(replica);
        assertThat(new String(current, role + 4, roleBytes(replica) - 4, StandardCharsets.UTF_8)).isEqualTo("replica");
        byte[] v6 = new byte[current.length - roleBytes(replica)];
        System.arraycopy(current, 0, v6, 0, role);
        System.arraycopy(current, role + roleBytes(replica), v6, role, 8);
        v6[0] = 6;
        assertThat(TransactionCodec.decode(v6).statements()).extracting(CapturedStatement::settings)
                .containsExactly(origin, origin);

        byte[] unknown = current.clone();
        unknown[role + 4 + "replic".length()] = 'x';
        assertThatThrownBy(() -> TransactionCodec.decode(unknown)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spool record has session_replication_role replicx, which this version does not know");
    }

    /**
     * A statement the mirror cannot replay keeps what the capture read of its rows' times (over the capture limit):
     * their range, or that they are not all known; a record of version 7 has none read.
     */
    @Test
    void keepsWhatTheCaptureReadOfTheTimesOfRowsItDidNotKeep() {
        TableName t = new TableName("public", "m");
        TimeRange range = new TimeRange("Time", TimeType.TIMESTAMPTZ, true, -1_000, 2_000, 3);
        TimeRange atInfinity = new TimeRange("day", TimeType.DATE, false, 0, 0, 2);
        CapturedTransaction tx = new CapturedTransaction("app", "loader", 7, List.of(), 1L, List.of(
                new CapturedStatement.Simple(t, 1, "INSERT INTO m VALUES (1)"),
                new CapturedStatement.Unreplayable(t, 5, "COPY m FROM STDIN", "over the limit").withTimes(range),
                new CapturedStatement.Unreplayable(t, 2, "INSERT INTO m VALUES (now())", "over").withTimes(null),
                new CapturedStatement.Unreplayable(t, 2, "INSERT INTO m VALUES ('infinity')", "over")
                        .withTimes(atInfinity),
                new CapturedStatement.Unreplayable(t, 1, "INSERT INTO m VALUES ($1)", "a binary user type")));
        byte[] record = TransactionCodec.encode(tx);
        CapturedTransaction back = TransactionCodec.decode(record);
        assertThat(back).isEqualTo(tx);
        assertThat(back.statements()).extracting(s -> s instanceof CapturedStatement.Unreplayable u
                ? u.timesRead() + " " + u.times() : "replayable").containsExactly("replayable",
                "true " + range, "true null", "true " + atInfinity, "false null");
        assertThat(TransactionCodec.encode(back)).as("byte for byte").isEqualTo(record);

        // version 7: the same, without the byte that says an unreplayable statement's times were not read
        CapturedTransaction older = new CapturedTransaction("app", "loader", 7, List.of(), 1L,
                List.of(tx.statements().get(0), tx.statements().get(4)));
        byte[] current = TransactionCodec.encode(older);
        assertThat(current[current.length - 1]).isZero();
        byte[] v7 = java.util.Arrays.copyOf(current, current.length - 1);
        v7[0] = 7;
        assertThat(TransactionCodec.decode(v7)).isEqualTo(older);
    }

    @Test
    void keepsTheTablesNotYetConfirmedAsMirrored() {
        TableName m = new TableName("public", "m");
        TableName other = new TableName("Odd Schema", "other");
        CapturedTransaction tx = new CapturedTransaction("app", "writer", 7, List.of(), 1L, List.of(
                new CapturedStatement.Simple(m, 1, "INSERT INTO m VALUES (1)"),
                new CapturedStatement.Simple(other, 1, "INSERT INTO \"Odd Schema\".other VALUES (2)")),
                Set.of(m, other));
        assertThat(TransactionCodec.decode(TransactionCodec.encode(tx))).isEqualTo(tx);
        assertThat(tx.confirmed(tx.statements().subList(0, 1)).unconfirmed()).isEmpty();
    }

    @Test
    void roundTripsEveryStatementKindByteForByte() {
        TableName t = new TableName("public", "Metrics");
        CapturedTransaction tx = new CapturedTransaction("app", "writer", 42, List.of("tenant", "public"), 1_700_000_000_000L,
                List.of(new CapturedStatement.Simple(t, 2, "INSERT INTO \"Metrics\" VALUES (1), (2)"),
                        new CapturedStatement.Extended(t, 1, "INSERT INTO \"Metrics\" VALUES ($1, $2)",
                                new int[] {1184, 0}, new short[] {1, 0},
                                new byte[][] {{0, 1, 2, (byte) 0xff}, null}),
                        new CapturedStatement.Copy(t, 3, "COPY \"Metrics\" FROM STDIN",
                                List.of("1\n2\n".getBytes(StandardCharsets.UTF_8), "3\n".getBytes(StandardCharsets.UTF_8)))));

        CapturedTransaction back = TransactionCodec.decode(TransactionCodec.encode(tx));

        assertThat(back.database()).isEqualTo("app");
        assertThat(back.user()).isEqualTo("writer");
        assertThat(back.sessionId()).isEqualTo(42);
        assertThat(back.committedAt()).isEqualTo(1_700_000_000_000L);
        assertThat(back.searchPath()).containsExactly("tenant", "public");
        assertThat(back.statements()).hasSize(3);
        assertThat(back.statements().get(0)).isEqualTo(tx.statements().get(0));
        CapturedStatement.Extended e = (CapturedStatement.Extended) back.statements().get(1);
        assertThat(e.table()).isEqualTo(t);
        assertThat(e.parameterTypes()).containsExactly(1184, 0);
        assertThat(e.parameterFormats()).containsExactly((short) 1, (short) 0);
        assertThat(e.parameters()[0]).containsExactly(0, 1, 2, 0xff);
        assertThat(e.parameters()[1]).isNull();
        CapturedStatement.Copy c = (CapturedStatement.Copy) back.statements().get(2);
        assertThat(c.data()).hasSize(2);
        assertThat(new String(c.data().get(1), StandardCharsets.UTF_8)).isEqualTo("3\n");
        assertThat(c.sourceRows()).isEqualTo(3);
    }

    @Test
    void refusesARecordOfAnotherVersionClearly() {
        assertThatThrownBy(() -> TransactionCodec.decode(new byte[] {9, 0, 0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spool record version 9 is not supported");
        assertThatThrownBy(() -> TransactionCodec.decode(new byte[] {1, 0, 0}))
                .hasMessageContaining("truncated spool record");
    }

    @Test
    void neverPrintsParameterValues() {
        var e = new CapturedStatement.Extended(new TableName("public", "t"), 1, "INSERT INTO t VALUES ($1)", new int[] {25},
                new short[] {0}, new byte[][] {"secret-value".getBytes(StandardCharsets.UTF_8)});
        assertThat(e.toString()).doesNotContain("secret-value");
    }
}
