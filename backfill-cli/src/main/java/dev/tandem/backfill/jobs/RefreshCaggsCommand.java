package dev.tandem.backfill.jobs;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code refresh-caggs}: refresh the target's continuous aggregates, every level of nested ones, up to the end of each
 * hypertable's backfilled range.
 */
@Command(name = "refresh-caggs", mixinStandardHelpOptions = true,
        description = "On a TimescaleDB target, refresh the continuous aggregates up to the end of the backfilled range.")
public final class RefreshCaggsCommand extends BackfillCommand {

    @Mixin
    TargetOptions connection;

    private record Backfilled(String schema, String table, TimeType type, long end) {
    }

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open("target", connection.target(environment()), 1);
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
                    + "min(time_type), max(range_end) FROM tandem.backfill_task "
                    + "WHERE state IN ('done', 'verified') GROUP BY 1, 2 ORDER BY 1, 2")) {
                while (rs.next()) {
                    ranges.add(new Backfilled(rs.getString(1), rs.getString(2), TimeType.valueOf(rs.getString(3)),
                            rs.getLong(4)));
                }
            }
            int refreshed = 0;
            for (Backfilled b : ranges) {
                for (String view : TimescaleCatalog.continuousAggregates(t, b.schema(), b.table())) {
                    out().println("refreshing " + view + " up to " + b.type().display(b.end()));
                    TimescaleCatalog.refresh(t, view, b.type(), b.end());
                    refreshed++;
                }
            }
            out().println("refreshed " + refreshed + " continuous aggregates");
            return ExitCodes.OK;
        }
    }
}
