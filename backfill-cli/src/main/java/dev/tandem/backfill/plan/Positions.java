package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillException;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Turns a value written by a person or the proxy into a position, letting PostgreSQL parse it in the column's type. */
public final class Positions {

    private Positions() {
    }

    /** The server's {@code now()} as a timestamp position: what {@code --max-lateness} counts back from. */
    public static long now(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + TimeType.TIMESTAMP.positionOf("now()::timestamp"))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * @param what names the value in the error message, e.g. {@code --until}
     * @throws BackfillException when the value is not valid for the type
     */
    public static long parse(Connection connection, TimeType type, String value, String what) throws SQLException {
        if (type.isInteger() && !value.trim().matches("-?\\d+")) {
            throw new BackfillException(what + " " + value + ": the time column is " + type.sqlName()
                    + ", give an integer (a dual-write start mark only applies to timestamp-like columns)");
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + type.positionOf(type.cast("?")))) {
            ps.setString(1, value.trim());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new BackfillException(what + " " + value + " is not a valid " + type.sqlName() + ": " + e.getMessage(), e);
        }
    }
}
