package dev.tandem.backfill.copy;

import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.mirror.ForgetInstanceCommand;
import dev.tandem.protocol.state.TandemSchema;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Before a run copies anything: waits until every proxy that mirrors into this target database has applied what it saw
 * the source commit before now ({@code tandem.mirror_progress.caught_up_to}, which the proxy keeps on the target's
 * clock). A late row that was committed before the copy's source snapshot but still sits in a proxy's spool would
 * otherwise be applied after the copy's DELETE and duplicate the copied row.
 *
 * <p>Rows committed after the copy started are a different matter: {@code stage}'s {@code --max-lateness} rule keeps
 * writers out of the ranges being copied. A proxy lists itself here when it first connects to this database; one
 * that never reached it is not waited for. Nor is one that stopped cleanly with everything it spooled applied
 * ({@code stopped_at}): it has nothing in flight, and clears the mark when it starts again, before it relays anything.
 * A restarted proxy that cannot reach this database cannot clear it, and spools meanwhile; only it knows (its log,
 * {@code /status} {@code mirror.stillMarkedStopped}), so the callers name the instances they did not wait for.
 */
public final class MirrorCatchUp {

    private static final long POLL_MILLIS = 100;
    /** A wait longer than this is announced, so that a person does not take a silent command for a hung one. */
    private static final long ANNOUNCE_AFTER_NANOS = Duration.ofSeconds(1).toNanos();

    private MirrorCatchUp() {
    }

    /**
     * Returns once every instance caught up past the target's clock at the call, or throws {@link MirrorLagException}
     * after {@code timeout}, or a {@link BackfillException} as soon as {@code stopRequested} (Ctrl-C). Runs in the
     * caller's transaction, if any (each check is a new statement, so it sees the proxies' latest writes under read
     * committed). A wait that lasts more than a second is announced once on {@code notices}, naming the instances.
     *
     * @return the instances listed on the target, so that a caller can name them: a proxy missing from them is one
     *         this wait knows nothing of
     */
    public static Instances await(Connection target, Duration timeout, BooleanSupplier stopRequested,
                                     PrintWriter notices) throws SQLException {
        Timestamp from;
        String fromText; // as the server prints it, with its offset, like the other times in the messages
        try (Statement s = target.createStatement();
             ResultSet rs = s.executeQuery("SELECT c, c::text, to_regclass('tandem.mirror_progress') IS NOT NULL"
                     + " FROM clock_timestamp() c")) {
            rs.next();
            from = rs.getTimestamp(1);
            fromText = rs.getString(2);
            if (!rs.getBoolean(3)) {
                return new Instances(List.of(), List.of());
            }
        }
        String stoppedAt = stoppedAt(target);
        String forgotten = ForgetInstanceCommand.forgotten(target, stoppedAt);
        long startedAt = System.nanoTime();
        long deadline = startedAt + timeout.toNanos();
        boolean announced = false;
        try (PreparedStatement ps = target.prepareStatement("SELECT instance_id, caught_up_to::text, applied_at::text,"
                + " caught_up_to >= ? OR " + stoppedAt + " IS NOT NULL, " + stoppedAt + "::text, " + forgotten
                + " FROM tandem.mirror_progress p ORDER BY instance_id")) {
            ps.setTimestamp(1, from);
            while (true) {
                List<String> waited = new ArrayList<>();
                List<String> stopped = new ArrayList<>();
                List<String> behind = new ArrayList<>();
                List<String> behindIds = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(5) != null) {
                            stopped.add(rs.getString(1) + (rs.getBoolean(6) ? " (forgotten at " : " (at ")
                                    + rs.getString(5) + ")");
                        } else {
                            waited.add(rs.getString(1));
                        }
                        if (!rs.getBoolean(4)) { // false, or NULL when caught_up_to is not known yet
                            behindIds.add("'" + rs.getString(1) + "'");
                            behind.add("'" + rs.getString(1) + "' (" + (rs.getString(2) == null
                                    ? "caught up to an unknown time: it has applied nothing yet, or is a proxy older"
                                    + " than this backfill" : "caught up to " + rs.getString(2))
                                    + ", last applied at " + rs.getString(3) + ")");
                        }
                    }
                }
                if (behind.isEmpty()) {
                    return new Instances(waited, stopped);
                }
                if (stopRequested.getAsBoolean()) {
                    throw new BackfillException("stopped on request while waiting for the mirror of proxy instance "
                            + String.join(", ", behind) + " to catch up; nothing more was copied");
                }
                if (!announced && System.nanoTime() - startedAt > ANNOUNCE_AFTER_NANOS) {
                    announced = true;
                    notices.println("waiting for the mirror of proxy instance " + String.join(", ", behind)
                            + " to apply what the source committed before " + fromText + ", up to " + timeout.toSeconds()
                            + " s (--mirror-wait)");
                    notices.flush();
                }
                if (System.nanoTime() > deadline) {
                    throw new MirrorLagException("the mirror of proxy instance " + String.join(", ", behind)
                            + " has not applied everything committed on the source before " + fromText + " within "
                            + timeout.toSeconds() + " s (--mirror-wait); its spool may still hold rows of the ranges"
                            + " this command copies or compares: copying now could duplicate them, comparing now would"
                            + " count them as missing. Let it catch up (tandem_mirror_lag_seconds; resume a paused"
                            + " mirror, repair the target's connection) and run the command again. A proxy that"
                            + " stopped cleanly with everything applied is not waited for: a stopped one listed here"
                            + " was killed or left transactions in its spool, which its next start applies. An instance"
                            + " that will not run again (its host or spool lost, or retired without a clean stop) is"
                            + " forgotten with: tandem-backfill forget-instance --target ... <id> (for "
                            + String.join(", ", behindIds) + "), which ledgers the window its spool may have held");
                }
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackfillException("interrupted while waiting for the mirror to catch up");
                }
            }
        }
    }

    /**
     * {@code stopped_at}, or NULL on a progress table that a proxy or backfill older than the column made and nothing
     * newer has touched since (this command only reads the target's state there).
     */
    public static String stoppedAt(Connection target) throws SQLException {
        return TandemSchema.hasColumn(target, "mirror_progress", "stopped_at") ? "stopped_at" : "NULL::timestamptz";
    }

    /**
     * Names the instances not waited for as they are marked stopped cleanly, and what the operator must check: a
     * restarted one that cannot reach this database could not clear its mark, and spools rows the command would then
     * duplicate (copy, repair) or count as missing (verify).
     */
    public static void noteMarkedStopped(Instances instances, PrintWriter notices) {
        List<String> stopped = instances.markedStopped();
        if (!stopped.isEmpty()) {
            notices.println("note: not waited for proxy instance" + (stopped.size() == 1 ? " " : "s ")
                    + String.join(", ", stopped) + ", marked stopped cleanly with everything applied (or forgotten"
                    + " with forget-instance, its window in the ledger); if one runs"
                    + " again, check that its GET /status does not list this database under mirror.stillMarkedStopped"
                    + " (started while it could not reach the target, it spools what this command does not wait for)");
        }
        notices.flush();
    }

    /**
     * The instances listed on the target: those waited for, and those not waited for since they are marked stopped
     * cleanly, each with the time of the mark.
     */
    public record Instances(List<String> waited, List<String> markedStopped) {
    }

    /** The mirror did not catch up in time: the run stops, as every other range would wait for the same mirror. */
    public static final class MirrorLagException extends BackfillException {
        MirrorLagException(String message) {
            super(message);
        }
    }
}
