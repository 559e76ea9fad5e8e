package dev.tandem.backfill.jobs;

import dev.tandem.backfill.BackfillException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * TimescaleDB lets only an object's owner (a member of its role, or a superuser) alter a job or refresh a continuous
 * aggregate. Commands that act on several ask first and refuse all, so that a refusal never stops them half-way.
 */
final class OwnerRefusal {

    private OwnerRefusal() {
    }

    /**
     * @param command what refuses ({@code --pause-jobs})
     * @param action  what only the owner may do, of what ({@code alter a job})
     * @param refused each object out of reach, with its owner
     * @param outcome what was not done and what to do instead, after "Connect as such a role (...)"
     */
    static BackfillException of(Connection target, String command, String action, List<String> refused,
                                String outcome) throws SQLException {
        String user;
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user")) {
            rs.next();
            user = rs.getString(1);
        }
        return new BackfillException(command + ": TimescaleDB lets only the owner (or a member of its role, or a"
                + " superuser) " + action + ", and the target user " + user + " is none of these for:\n  "
                + String.join("\n  ", refused) + "\n" + outcome.replace("{user}", user));
    }
}
