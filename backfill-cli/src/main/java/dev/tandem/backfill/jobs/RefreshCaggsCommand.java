package dev.tandem.backfill.jobs;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.connect.TargetOptions;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.backfill.plan.TimescaleCatalog;
import dev.tandem.backfill.state.BackfillSchema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code refresh-caggs}: refresh the target's continuous aggregates of the backfilled hypertables, every level of nested
 * ones, over all their data: the copied history, the bucket holding T (rows from the copy and from the mirror) and the
 * dual-write window since.
 */
@Command(name = "refresh-caggs", mixinStandardHelpOptions = true,
        description = "On a TimescaleDB target, refresh the continuous aggregates of the backfilled hypertables over all"
                + " their data (the copied history and the dual-write window).")
public final class RefreshCaggsCommand extends BackfillCommand {

    @Mixin
    TargetOptions connection;

    private record Backfilled(String schema, String table, TimeType type) {
    }

    private record Refresh(Backfilled table, TimescaleCatalog.ContinuousAggregate aggregate) {
    }

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open(Side.TARGET, connection.target(environment()), 1);
             Connection t = target.connection()) {
            if (TimescaleCatalog.version(t).isEmpty()) {
                out().println("the target has no TimescaleDB: no continuous aggregates to refresh");
                return ExitCodes.OK;
            }
            if (!BackfillSchema.exists(t)) {
                throw new BackfillException("no plan on the target: run 'stage' and 'copy' first");
            }
            List<Backfilled> ranges = new ArrayList<>();
            try (Statement s = t.createStatement(); ResultSet rs = s.executeQuery("SELECT table_schema, table_name, "
                    + "min(time_type) FROM tandem.backfill_task "
                    + "WHERE state IN ('done', 'verified') GROUP BY 1, 2 ORDER BY 1, 2")) {
                while (rs.next()) {
                    ranges.add(new Backfilled(rs.getString(1), rs.getString(2), TimeType.valueOf(rs.getString(3))));
                }
            }
            List<Refresh> refreshes = new ArrayList<>();
            for (Backfilled b : ranges) {
                for (TimescaleCatalog.ContinuousAggregate aggregate
                        : TimescaleCatalog.continuousAggregates(t, b.schema(), b.table())) {
                    refreshes.add(new Refresh(b, aggregate));
                }
            }
            refuseAggregatesOfOtherOwners(t, refreshes);
            int refreshed = 0;
            for (Refresh r : refreshes) {
                TimescaleCatalog.ContinuousAggregate aggregate = r.aggregate();
                Optional<TimescaleCatalog.OlderBuckets> older = TimescaleCatalog.olderBuckets(t, aggregate);
                if (older.isPresent() && older.get().oldestRow() == null) {
                    out().println("not refreshing " + aggregate.view() + ": it holds buckets from "
                            + older.get().oldestBucket() + " on, but " + aggregate.raw() + " has no rows to"
                            + " rebuild them from; a refresh would delete them");
                    continue;
                }
                if (older.isPresent()) {
                    out().println("refreshing " + aggregate.view() + " from " + older.get().oldestRow() + " on: its"
                            + " buckets from " + older.get().oldestBucket() + " are older than every row of "
                            + aggregate.raw() + " (copied from the source's aggregate?) and are kept as they are");
                } else {
                    out().println("refreshing " + aggregate.view() + " over all its data");
                }
                TimescaleCatalog.refresh(t, aggregate.view(), r.table().type(),
                        older.map(TimescaleCatalog.OlderBuckets::oldestRow).orElse(null));
                refreshed++;
            }
            out().println("refreshed " + refreshed + " continuous aggregates");
            return ExitCodes.OK;
        } catch (SQLException e) {
            throw Side.TARGET.label(e); // this command reads and writes the target only
        }
    }

    /**
     * Refreshing needs the privileges of each aggregate's owner. Asked before the first refresh, so that a refusal
     * does not stop half-way with the lower levels refreshed and the upper ones not.
     */
    private static void refuseAggregatesOfOtherOwners(Connection target, List<Refresh> refreshes) throws SQLException {
        List<String> refused = refreshes.stream().map(Refresh::aggregate).filter(a -> !a.refreshable())
                .map(a -> a.view() + ", owned by " + a.owner()).toList();
        if (refused.isEmpty()) {
            return;
        }
        throw OwnerRefusal.of(target, "refresh-caggs", "refresh a continuous aggregate", refused, "Nothing was"
                + " refreshed. Connect as such a role (e.g. GRANT <owner> TO {user}) and run refresh-caggs again");
    }
}
