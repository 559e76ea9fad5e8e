package dev.tandem.proxy.verifier;

import java.sql.Connection;
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
            SELECT instance_id, caught_up_to::text,
                   (extract(epoch from clock_timestamp() - caught_up_to) * 1000000)::bigint
            FROM tandem.mirror_progress
            WHERE caught_up_to IS NOT NULL
            ORDER BY caught_up_to, instance_id
            LIMIT 1""";

    /**
     * @param instanceId  the slowest instance
     * @param caughtUpTo  its {@code caught_up_to} as the target prints it
     * @param behind      how long ago that was on the target's clock, zero if in the future
     */
    record Slowest(String instanceId, String caughtUpTo, Duration behind) {
    }

    private MirrorProgress() {
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
            long micros = Math.max(0, rs.getLong(3));
            return Optional.of(new Slowest(rs.getString(1), rs.getString(2), Duration.ofNanos(micros * 1000)));
        }
    }
}
