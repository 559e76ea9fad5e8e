package dev.tandem.backfill.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.backfill.BackfillCommand;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ServerErrorTest {

    @Test
    void aLabelledErrorKeepsTheServersMessageSqlstateAndCauseAndNamesTheSide() {
        SQLException refused = new SQLException("ERROR: new row violates check constraint \"small_v\"", "23514", 7);
        ServerError labelled = Side.TARGET.label(refused);

        assertThat(labelled.side()).isEqualTo(Side.TARGET);
        assertThat(labelled.getMessage()).isEqualTo(refused.getMessage());
        assertThat(labelled.getSQLState()).isEqualTo("23514");
        assertThat(labelled.getErrorCode()).isEqualTo(7);
        assertThat(labelled.getCause()).isSameAs(refused);
        assertThat(BackfillCommand.describe(labelled))
                .isEqualTo("the target refused: ERROR: new row violates check constraint \"small_v\" (SQLSTATE 23514)");
    }

    @Test
    void aBrokenOrEndedSessionIsALostConnection() {
        assertThat(BackfillCommand.describe(Side.SOURCE.label(
                new SQLException("An I/O error occurred while sending to the backend.", "08006"))))
                .isEqualTo("lost the connection to the source: An I/O error occurred while sending to the backend."
                        + " (SQLSTATE 08006)");
        assertThat(BackfillCommand.describe(Side.TARGET.label(
                new SQLException("FATAL: terminating connection due to administrator command", "57P01"))))
                .startsWith("lost the connection to the target: FATAL: terminating connection");
        assertThat(BackfillCommand.describe(Side.TARGET.label(
                new SQLException("ERROR: canceling statement due to statement timeout", "57014"))))
                .startsWith("the target refused: ");
    }

    @Test
    void theInnermostLabelWinsAndWorkIsLabelledWithItsSide() {
        ServerError fromSource = Side.SOURCE.label(new SQLException("ERROR: permission denied for table metrics", "42501"));
        assertThat((Object) Side.TARGET.label(fromSource)).isSameAs(fromSource);

        assertThatThrownBy(() -> Side.TARGET.run(() -> Side.SOURCE.call(() -> {
            throw new SQLException("ERROR: relation \"metrics\" does not exist", "42P01");
        }))).isInstanceOfSatisfying(ServerError.class, e -> assertThat(e.side()).isEqualTo(Side.SOURCE));
    }

    @Test
    void anErrorOfNoKnownSideIsDescribedAsBefore() {
        assertThat(BackfillCommand.describe(new SQLException("copy interrupted", "57014")))
                .isEqualTo("copy interrupted (SQLSTATE 57014)");
        assertThat(BackfillCommand.describe(new SQLException("no state"))).isEqualTo("no state");
    }
}
