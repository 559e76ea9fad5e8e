package dev.tandem.proxy.verifier;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the mirrors of all proxy instances writing into one target database have applied: every instance's spool may
 * hold rows of a bucket. This proxy's own mirror is asked in-process (its lag); the others through their
 * {@code tandem.mirror_progress.caught_up_to}, measured on the target's clock so that the proxies' clocks do not matter.
 * This proxy's own row there is left aside: the applier moves it only while it has a connection to the database, so
 * after a dropped connection it stands still until the next mirrored write, however caught up the mirror is. An
 * instance that stopped cleanly ({@code stopped_at}) has nothing in flight and is left aside too.
 */
final class MirrorProgress {

    private static final String SLOWEST = """
            SELECT instance_id, (extract(epoch from clock_timestamp() - caught_up_to) * 1000000)::bigint
            FROM tandem.mirror_progress
            WHERE caught_up_to IS NOT NULL AND instance_id <> ? AND stopped_at IS NULL
            ORDER BY caught_up_to, instance_id
            LIMIT 1""";
    private static final String BEHIND = """
            SELECT count(*) FROM tandem.mirror_progress
            WHERE caught_up_to < CAST(? AS timestamptz) AND instance_id <> ? AND stopped_at IS NULL""";
    private static final long POLL_MILLIS = 100;

    /**
     * @param instanceId  the slowest other instance
     * @param behind      how long ago its {@code caught_up_to} was on the target's clock, zero if in the future
     */
    record Slowest(String instanceId, Duration behind) {
    }

    private final Connection target;
    private final String ownInstanceId;
    private final Supplier<Duration> ownLag;

    MirrorProgress(Connection target, String ownInstanceId, Supplier<Duration> ownLag) {
        this.target = target;
        this.ownInstanceId = ownInstanceId;
        this.ownLag = ownLag;
    }

    /**
     * The other instance furthest behind; empty when none has noted progress here. Rows without
     * {@code caught_up_to} (written by a proxy older than that column) say nothing about lag and are left aside.
     */
    Optional<Slowest> slowestOther() throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(SLOWEST)) {
            ps.setString(1, ownInstanceId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long micros = Math.max(0, rs.getLong(2));
                return Optional.of(new Slowest(rs.getString(1), Duration.ofNanos(micros * 1000)));
            }
        }
    }

    /**
     * Waits until every instance, this one included, has applied all it saw the source commit before now.
     *
     * @return false when some instance did not get there within {@code timeout}, or the wait was interrupted
     */
    boolean awaitCaughtUp(Duration timeout) throws SQLException {
        long from = System.nanoTime();
        String since;
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT clock_timestamp()::text")) {
            rs.next();
            since = rs.getString(1);
        }
        try (PreparedStatement ps = target.prepareStatement(BEHIND)) {
            ps.setString(1, since);
            ps.setString(2, ownInstanceId);
            while (true) {
                // our oldest pending record is younger than the wait: everything appended before it is applied
                boolean ownCaughtUp = ownLag.get().toNanos() < System.nanoTime() - from;
                if (ownCaughtUp) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) == 0) {
                            return true;
                        }
                    }
                }
                if (System.nanoTime() - from > timeout.toNanos()) {
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
}
