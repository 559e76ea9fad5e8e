package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TimeType;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The oldest row found partition by partition is the one {@code min(t)} finds, however the rows lie in the tree, and
 * for every partitioning the walk does not understand.
 */
class OldestRowIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void theOldestRowInAMiddlePartitionAfterEmptyOnes() throws Exception {
        String db = daily("middle", 60, "");
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-01-31 17:00+00', 1), ('2020-01-31 08:30+00', 2),"
                + " ('2020-02-10 00:00+00', 3)");
        assertThat(oldestWhileLocked(db, "ev", "ev_40")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2020-01-31 08:30+00"));
        // the first bounded partition, and the last, at its lower bound
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-02-29 00:00+00', 4)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev"));
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-01-01 00:00+00', 5)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2020-01-01 00:00+00"));
    }

    @Test
    void rowsOfTheDefaultPartitionOlderThanEveryBoundOrInAGap() throws Exception {
        String db = daily("default", 30, "CREATE TABLE ev_default PARTITION OF ev DEFAULT;"
                + " CREATE TABLE ev_later PARTITION OF ev FOR VALUES FROM ('2020-03-01 00:00+00') TO ('2020-04-01 00:00+00')");
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-03-05 00:00+00', 1)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev"));
        // in the gap between the daily partitions and ev_later: the default's, older than ev_later's row
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-02-15 00:00+00', 2)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2020-02-15 00:00+00"));
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-01-20 00:00+00', 3), ('2019-06-01 00:00+00', 4)");
        assertThat(oldestWhileLocked(db, "ev", "ev_25")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2019-06-01 00:00+00"));
        PG.source().execute(db, "DELETE FROM ev WHERE v <> 2");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2020-02-15 00:00+00"));
        // a NULL time goes to the default partition, and min() leaves it out
        PG.source().execute(db, "ALTER TABLE ev ALTER COLUMN t DROP NOT NULL; DELETE FROM ev;"
                + " INSERT INTO ev VALUES (NULL, 5)");
        assertThat(oldest(db, "ev")).isNull();
        assertThat(min(db, "ev")).isNull();
    }

    @Test
    void aPartitionFromMinvalueComesFirst() throws Exception {
        String db = daily("minvalue", 10, "CREATE TABLE ev_old PARTITION OF ev FOR VALUES FROM (MINVALUE) TO ('2020-01-01 00:00+00')");
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-01-03 00:00+00', 1)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev"));
        PG.source().execute(db, "INSERT INTO ev VALUES ('1999-12-31 00:00+00', 2), ('2019-12-31 23:59:59.999999+00', 3)");
        assertThat(oldestWhileLocked(db, "ev", "ev_0")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "1999-12-31 00:00+00"));
    }

    @Test
    void aSubPartitionedTreeIsWalkedLevelByLevel() throws Exception {
        String db = PG.pair().freshDatabase("subpartitioned");
        PG.source().execute(db, "CREATE TABLE ev (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t);"
                // sub-partitioned by the time column again, with a default of its own
                + " CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')"
                + "   PARTITION BY RANGE (t);"
                + " CREATE TABLE ev_2020_02 PARTITION OF ev_2020 FOR VALUES FROM ('2020-02-01') TO ('2020-03-01');"
                + " CREATE TABLE ev_2020_01 PARTITION OF ev_2020 FOR VALUES FROM ('2020-01-01') TO ('2020-02-01');"
                + " CREATE TABLE ev_2020_rest PARTITION OF ev_2020 DEFAULT;"
                // by another column: read with min() as a whole
                + " CREATE TABLE ev_2021 PARTITION OF ev FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')"
                + "   PARTITION BY LIST (v);"
                + " CREATE TABLE ev_2021_odd PARTITION OF ev_2021 FOR VALUES IN (1, 3);"
                + " CREATE TABLE ev_2021_even PARTITION OF ev_2021 FOR VALUES IN (2, 4);"
                // its columns in another order, as ATTACH allows
                + " CREATE TABLE ev_2019 (v int, t timestamptz NOT NULL);"
                + " ALTER TABLE ev ATTACH PARTITION ev_2019 FOR VALUES FROM ('2019-01-01') TO ('2020-01-01')");
        assertThat(oldest(db, "ev")).isNull();
        PG.source().execute(db, "INSERT INTO ev VALUES ('2021-07-01 00:00+00', 3), ('2021-03-01 00:00+00', 4)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2021-03-01 00:00+00"));
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-09-01 00:00+00', 1), ('2020-02-14 00:00+00', 1)");
        assertThat(oldestWhileLocked(db, "ev", "ev_2021_odd")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2020-02-14 00:00+00"));
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-01-31 00:00+00', 1)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2020-01-31 00:00+00"));
        PG.source().execute(db, "INSERT INTO ev (t, v) VALUES ('2019-05-01 00:00+00', 2)");
        assertThat(oldest(db, "ev")).isEqualTo(min(db, "ev")).isEqualTo(position(db, "2019-05-01 00:00+00"));
    }

    @Test
    void listHashAndOtherKeysAreReadWithMin() throws Exception {
        String db = PG.pair().freshDatabase("otherkeys");
        PG.source().execute(db, "CREATE TABLE by_list (t timestamptz NOT NULL, v int) PARTITION BY LIST (v);"
                + " CREATE TABLE by_list_1 PARTITION OF by_list FOR VALUES IN (1);"
                + " CREATE TABLE by_list_2 PARTITION OF by_list FOR VALUES IN (2);"
                + " CREATE TABLE by_hash (t timestamptz NOT NULL, v int) PARTITION BY HASH (t);"
                + " CREATE TABLE by_hash_0 PARTITION OF by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
                + " CREATE TABLE by_hash_1 PARTITION OF by_hash FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
                + " CREATE TABLE by_other (t timestamptz NOT NULL, u timestamptz NOT NULL) PARTITION BY RANGE (u);"
                + " CREATE TABLE by_other_a PARTITION OF by_other FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
                + " CREATE TABLE by_other_b PARTITION OF by_other FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');"
                + " CREATE TABLE by_two (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t, v);"
                + " CREATE TABLE by_two_a PARTITION OF by_two FOR VALUES FROM ('2020-01-01', 0) TO ('2021-01-01', 0);"
                + " CREATE TABLE by_two_b PARTITION OF by_two FOR VALUES FROM ('2021-01-01', 0) TO ('2022-01-01', 0);"
                + " CREATE TABLE by_expression (t timestamptz NOT NULL) PARTITION BY RANGE ((t AT TIME ZONE 'UTC'));"
                + " CREATE TABLE by_expression_a PARTITION OF by_expression FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
                + " CREATE TABLE by_expression_b PARTITION OF by_expression FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');"
                + " CREATE TABLE plain (t timestamptz)");
        PG.source().execute(db, "INSERT INTO by_list VALUES ('2021-01-01+00', 1), ('2020-01-01+00', 2);"
                + " INSERT INTO by_hash SELECT '2020-01-01+00'::timestamptz + g * interval '1 day' FROM generate_series(0, 20) g;"
                + " INSERT INTO by_other VALUES ('2020-01-01+00', '2021-06-01+00'), ('2021-01-01+00', '2020-06-01+00');"
                + " INSERT INTO by_two VALUES ('2021-06-01+00', 1), ('2020-12-31+00', 1);"
                + " INSERT INTO by_expression VALUES ('2021-06-01+00'), ('2020-12-31+00');"
                + " INSERT INTO plain VALUES ('2021-06-01+00'), ('2020-12-31+00')");
        for (String table : new String[] {"by_list", "by_hash", "by_other", "by_two", "by_expression", "plain"}) {
            assertThat(oldest(db, table)).as(table).isEqualTo(min(db, table)).isNotNull();
        }
    }

    /** Read by its own name, a partition applies its own row security, which reading through the root does not. */
    @Test
    void aPartitionWithRowSecurityIsNotReadByItsName() throws Exception {
        String db = daily("rowsecurity", 5, "");
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-01-02 10:00+00', 1), ('2020-01-04 10:00+00', 2);"
                + " CREATE ROLE rowsecurity_reader; GRANT SELECT ON ev, ev_0, ev_1, ev_2, ev_3, ev_4 TO rowsecurity_reader;"
                + " ALTER TABLE ev_1 ENABLE ROW LEVEL SECURITY; CREATE POLICY nothing ON ev_1 USING (false)");
        try (Connection c = PG.source().connect(db); Statement s = c.createStatement()) {
            s.execute("SET ROLE rowsecurity_reader");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM ev_1")) {
                rs.next();
                assertThat(rs.getLong(1)).as("rows of ev_1 the reader sees by its name").isZero();
            }
            assertThat(OldestRow.position(c, TableLayout.load(c, "public", "ev", "t")))
                    .isEqualTo(position(db, "2020-01-02 10:00+00"));
        }
    }

    @Test
    void anEmptyTableOrTreeHasNoOldestRow() throws Exception {
        String db = daily("empty", 5, "CREATE TABLE ev_default PARTITION OF ev DEFAULT;"
                + " CREATE TABLE bare (t timestamptz) PARTITION BY RANGE (t); CREATE TABLE plain (t timestamptz)");
        for (String table : new String[] {"ev", "bare", "plain"}) {
            assertThat(oldest(db, table)).as(table).isNull();
        }
    }

    @Test
    void integerDateAndTimestampKeysOrderTheirBounds() throws Exception {
        String db = PG.pair().freshDatabase("keytypes");
        PG.source().execute(db, "CREATE TABLE n (t bigint NOT NULL) PARTITION BY RANGE (t);"
                + " CREATE TABLE n_a PARTITION OF n FOR VALUES FROM (-100) TO (-9);"
                + " CREATE TABLE n_b PARTITION OF n FOR VALUES FROM (-9) TO (10);"
                + " CREATE TABLE n_c PARTITION OF n FOR VALUES FROM (10) TO (100);"
                + " CREATE TABLE d (t date NOT NULL) PARTITION BY RANGE (t);"
                + " CREATE TABLE d_b PARTITION OF d FOR VALUES FROM ('2020-01-02') TO ('2020-01-10');"
                + " CREATE TABLE d_a PARTITION OF d FOR VALUES FROM ('-infinity') TO ('2020-01-02');"
                + " CREATE TABLE d_c PARTITION OF d FOR VALUES FROM ('2020-01-10') TO ('infinity');"
                + " CREATE TABLE ts (t timestamp NOT NULL) PARTITION BY RANGE (t);"
                + " CREATE TABLE ts_b PARTITION OF ts FOR VALUES FROM ('2020-01-01 12:00') TO ('2020-01-02');"
                + " CREATE TABLE ts_a PARTITION OF ts FOR VALUES FROM ('2020-01-01') TO ('2020-01-01 12:00')");
        PG.source().execute(db, "INSERT INTO n VALUES (50), (-5), (12); INSERT INTO d VALUES ('2020-03-01'), ('2020-01-05');"
                + " INSERT INTO ts VALUES ('2020-01-01 13:00'), ('2020-01-01 18:00')");
        assertThat(oldest(db, "n")).isEqualTo(min(db, "n")).isEqualTo(-5L);
        assertThat(oldest(db, "d")).isEqualTo(min(db, "d"));
        assertThat(oldest(db, "ts")).isEqualTo(min(db, "ts"));
        PG.source().execute(db, "INSERT INTO d VALUES ('1900-01-01'); INSERT INTO ts VALUES ('2020-01-01 11:00')");
        assertThat(oldest(db, "d")).isEqualTo(min(db, "d"));
        assertThat(oldest(db, "ts")).isEqualTo(min(db, "ts"));
    }

    /** A table {@code ev} range-partitioned by day from 2020-01-01, with the partitions created newest first. */
    private static String daily(String name, int days, String more) {
        String db = PG.pair().freshDatabase(name);
        StringBuilder sql = new StringBuilder("CREATE TABLE ev (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t);"
                + " CREATE INDEX ON ev (t);");
        for (int day = days - 1; day >= 0; day--) {
            sql.append(" CREATE TABLE ev_").append(day).append(" PARTITION OF ev FOR VALUES FROM (timestamptz '2020-01-01 00:00+00' + interval '")
                    .append(day).append(" days') TO (timestamptz '2020-01-01 00:00+00' + interval '").append(day + 1)
                    .append(" days');");
        }
        PG.source().execute(db, sql + more);
        return db;
    }

    private static Long oldest(String db, String table) throws SQLException {
        try (Connection c = PG.source().connect(db)) {
            return OldestRow.position(c, TableLayout.load(c, "public", table, "t"));
        }
    }

    /**
     * The oldest row while another session holds {@code partition}, which lies after it, locked: only the plain min()
     * plans over that partition and waits for it, until lock_timeout fails the statement.
     */
    private static Long oldestWhileLocked(String db, String table, String partition) throws SQLException {
        try (Connection locker = PG.source().connect(db); Statement s = locker.createStatement();
             Connection c = PG.source().connect(db); Statement timeout = c.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE " + partition + " IN ACCESS EXCLUSIVE MODE");
            timeout.execute("SET lock_timeout = '5s'");
            try {
                return OldestRow.position(c, TableLayout.load(c, "public", table, "t"));
            } finally {
                locker.rollback();
            }
        }
    }

    private static Long min(String db, String table) throws SQLException {
        try (Connection c = PG.source().connect(db); Statement s = c.createStatement()) {
            TimeType type = TableLayout.load(c, "public", table, "t").timeType();
            try (ResultSet rs = s.executeQuery("SELECT " + type.positionOf("min(t)") + " FROM " + table)) {
                rs.next();
                long v = rs.getLong(1);
                return rs.wasNull() ? null : v;
            }
        }
    }

    private static long position(String db, String timestamptz) throws SQLException {
        try (Connection c = PG.source().connect(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + TimeType.TIMESTAMPTZ.positionOf("'" + timestamptz + "'::timestamptz"))) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
