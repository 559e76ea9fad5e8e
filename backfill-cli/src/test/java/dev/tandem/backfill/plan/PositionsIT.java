package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.UsageException;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A value the source refuses is the operator's to fix; any other failure at that moment is not blamed on the value. */
class PositionsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void aValueTheSourceRefusesIsNamedAsSuch() throws Exception {
        try (Connection c = PG.source().connect("postgres")) {
            assertThat(Positions.parse(c, TimeType.BIGINT, "42", "--until")).isEqualTo(42);
            assertThatThrownBy(() -> Positions.parseMoment(c, TimeType.TIMESTAMPTZ, "2026-02-30", "--until", "UTC"))
                    .isInstanceOf(UsageException.class)
                    .hasMessageStartingWith("--until 2026-02-30 is not a valid timestamptz: ");
            // the server's hint would say to change DateStyle, which the backfill's sessions do not let one do
            assertThatThrownBy(() -> Positions.parseMoment(c, TimeType.TIMESTAMPTZ, "27/11/2026 10:00", "--until", "UTC"))
                    .isInstanceOf(UsageException.class)
                    .hasMessage("--until 27/11/2026 10:00 is not a valid timestamptz: date/time field value out of"
                            + " range: \"27/11/2026 10:00\"; write it as ISO 8601, e.g. '2026-11-27 04:00:00+00'");
            // a bound read from the backfill's state is not the operator's flag: the command fails instead
            assertThatThrownBy(() -> Positions.parse(c, TimeType.TIMESTAMPTZ, "2026-02-30", "ledger entry 1 range_end"))
                    .isInstanceOf(BackfillException.class)
                    .hasMessageStartingWith("ledger entry 1 range_end 2026-02-30 is not a valid timestamptz: ");
            assertThatThrownBy(() -> Positions.checkZone(c, "Mars/Olympus")).isInstanceOf(UsageException.class)
                    .hasMessageStartingWith("--time-zone Mars/Olympus is not a time zone the source knows");
        }
    }

    @Test
    void manyValuesAreReadAsEachWouldBeAndThoseParseRefusesAreLeftToIt() throws Exception {
        try (Connection c = PG.source().connect("postgres")) {
            assertThat(Positions.parseAll(c, TimeType.TIMESTAMPTZ, List.of(" 2026-01-01 00:00:00+00",
                    "2026-01-01 01:00:00+01", "infinity", "2026-01-01 00:00:00.000001+00")))
                    .containsExactly(1_767_225_600_000_000L, 1_767_225_600_000_000L, null, 1_767_225_600_000_001L);
            assertThat(Positions.parseAll(c, TimeType.BIGINT, List.of("42", "4.2", " -7")))
                    .containsExactly(42L, null, -7L);
            // which value the server refused only a query of each can tell
            assertThat(Positions.parseAll(c, TimeType.TIMESTAMPTZ, List.of("2026-01-01", "2026-02-30")))
                    .containsExactly(null, null);
        }
    }

    @Test
    void aConnectionThatFailsIsNotReportedAsABadValue() throws Exception {
        Connection c = PG.source().connect("postgres");
        c.close();
        assertThatThrownBy(() -> Positions.parseMoment(c, TimeType.TIMESTAMPTZ, "2026-01-01", "--until", "UTC"))
                .isInstanceOf(SQLException.class).hasMessageNotContaining("is not a valid");
        assertThatThrownBy(() -> Positions.parse(c, TimeType.BIGINT, "42", "--until"))
                .isInstanceOf(SQLException.class).hasMessageNotContaining("is not a valid");
        assertThatThrownBy(() -> Positions.parseAll(c, TimeType.BIGINT, List.of("42")))
                .isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> Positions.checkZone(c, "UTC"))
                .isInstanceOf(SQLException.class).hasMessageNotContaining("time zone");
    }
}
