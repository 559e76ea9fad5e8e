package dev.tandem.backfill.plan;

import dev.tandem.backfill.connect.Side;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.TandemSchema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Whether a staged table gets its rows from {@code --until} on from a proxy: a table missing from the proxy's
 * {@code mirror.tables.include} is staged, copied and verified up to {@code T} like the others and gets nothing after
 * it, which nothing else shows before the cutover's {@code verify --through}. Judged only once a proxy has reached the
 * target database ({@code tandem.mirror_progress} lists one): before that, no table has mirrored rows.
 */
final class MirrorCoverage {

    private MirrorCoverage() {
    }

    /** True when a proxy has connected to this target database to mirror into it. */
    static boolean proxyListed(Connection target) throws SQLException {
        return Side.TARGET.call(() -> {
            if (!TandemSchema.hasTable(target, "mirror_progress")) {
                return false;
            }
            try (Statement s = target.createStatement();
                 ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT FROM tandem.mirror_progress)")) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    /**
     * A warning when the source has rows of {@code layout}'s table from {@code until} up to {@code now} and the target
     * none: no proxy mirrored what was written there. Rows dated after now are left out: written before the mark,
     * they were never mirrored (stage warns of them on its own).
     */
    static Optional<String> unmirrored(Connection source, Connection target, TableLayout layout, long until, long now)
            throws SQLException {
        if (until >= now) {
            return Optional.empty();
        }
        String column = Identifiers.quoteIdentifier(layout.timeColumn());
        String query = "SELECT EXISTS (SELECT FROM " + layout.quotedTable() + " WHERE " + column + " >= "
                + layout.timeType().literal(until) + " AND " + column + " <= " + layout.timeType().literal(now) + ")";
        if (!Side.SOURCE.call(() -> exists(source, query)) || Side.TARGET.call(() -> exists(target, query))) {
            return Optional.empty();
        }
        return Optional.of("warning: " + layout.qualifiedName() + " has rows from " + layout.timeType().display(until)
                + " on on the source and none on the target: no proxy mirrored them. If the proxy's"
                + " mirror.tables.include does not name this table (it has no tandem_mirror_transactions_total series),"
                + " add it and restart the proxy; the table's window from that time on must then be re-copied at the"
                + " cutover (docs/migration.md, step 3)");
    }

    private static boolean exists(Connection connection, String query) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
