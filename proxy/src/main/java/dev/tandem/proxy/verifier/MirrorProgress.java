package dev.tandem.proxy.verifier;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

/**
 * How far behind the slowest proxy instance mirroring into a target database is, from its
 * {@code tandem.mirror_progress.caught_up_to}: every instance's spool may hold rows of a bucket, and this proxy only
 * knows its own. Measured on the target's clock, so the clocks of the proxies do not matter.
 */
final class MirrorProgress {

    private static final String SLOWEST = """
            SELECT instance_id, (extract(epoch from clock_timestamp() - caught_up_to) * 1000000)::bigint
            FROM tandem.mirror_progress
            WHERE caught_up_to IS NOT NULL
            ORDER BY caught_up_to, instance_id
            LIMIT 1""";

    /**
     * @param instanceId  the slowest instance
     * @param behind      how long ago its {@code caught_up_to} was on the target's clock, zero if in the future
     */
    record Slowest(String instanceId, Duration behind) {
    }

    private static final String BEHIND = """
            SELECT count(*) FROM tandem.mirror_progress WHERE caught_up_to < CAST(? AS timestamptz)""";
    private static final long POLL_MILLIS = 100;

    private MirrorProgress() {
    }

    /**
     * Waits until every proxy instance mirroring into this target database has applied all it saw the source commit
     * before now, on the target's clock.
     *
     * @return false when some instance did not get there within {@code timeout}, or the wait was interrupted
     */
    static boolean awaitCaughtUp(Connection target, Duration timeout) throws SQLException {
        String since;
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT clock_timestamp()::text")) {
            rs.next();
            since = rs.getString(1);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (PreparedStatement ps = target.prepareStatement(BEHIND)) {
            ps.setString(1, since);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /**
     * Empty when no instance has noted progress here yet. Rows without {@code caught_up_to} (written by a proxy
     * older than that column) say nothing about lag and are left aside.
     */
    static Optional<Slowest> slowest(Connection target) throws SQLException {
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery(SLOWEST)) {
            if (!rs.next()) {
                return Optional.empty();
            }
            long micros = Math.max(0, rs.getLong(2));
            return Optional.of(new Slowest(rs.getString(1), Duration.ofNanos(micros * 1000)));
        }
    }
}
