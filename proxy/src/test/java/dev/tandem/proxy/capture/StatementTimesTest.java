package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.state.TimeType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The reading of a statement over the capture limit: small parts at once on the caller's thread, large ones on the
 * reading thread in the order given, each part after a queued one queued too; past the backlog's limit nothing more is
 * read and the rows' times are unknown.
 */
class StatementTimesTest {

    static final TableTimeColumn M = CopyRowTimesTest.M;
    static final InputSettings UTC = new InputSettings("UTC", "ISO, MDY", "postgres", "on");

    /** {@code rows} text rows whose times are {@code day}'s, second by second from midnight. */
    static byte[] rows(String day, int rows) {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            data.append(i).append('\t').append(day).append(String.format(" %02d:%02d:%02d+00\tx\n", i / 3600,
                    i / 60 % 60, i % 60));
        }
        return data.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static StatementTimes copy(RowTimesReading reading, List<byte[]> sent) {
        return StatementTimes.copy(reading, M, StatementClassifier.classify("COPY m FROM STDIN").get(0), UTC, null,
                sent);
    }

    @Test
    void smallPartsAreReadAtOnceAndTheResultIsThereWhenTheCopyEnds() {
        try (RowTimesReading reading = new RowTimesReading(db -> Map.of())) {
            StatementTimes times = copy(reading, new ArrayList<>(List.of(rows("2025-01-10", 10))));
            times.feed(rows("2025-01-09", 10));
            times.end();
            assertThat(times.result()).isCompletedWithValue(new TimeRange("ts", TimeType.TIMESTAMPTZ, true,
                    1_736_380_800_000_000L, 1_736_467_209_000_000L, 0));
        }
    }

    @Test
    void whatWasHeldWhenTheLimitPassedIsReadOnTheReadingThreadAndWhatFollowsAfterIt() throws Exception {
        try (RowTimesReading reading = new RowTimesReading(db -> Map.of())) {
            byte[] big = rows("2025-01-10", 20_000); // more than is read at once
            assertThat(big.length).isGreaterThan(RowTimesReading.INLINE_BYTES);
            StatementTimes times = copy(reading, new ArrayList<>(List.of(big)));
            times.feed(rows("2025-01-09", 2));
            times.feed(rows("2025-01-11", 2));
            times.end();
            assertThat(times.result().get(10, TimeUnit.SECONDS)).isEqualTo(new TimeRange("ts", TimeType.TIMESTAMPTZ,
                    true, 1_736_380_800_000_000L, 1_736_553_601_000_000L, 0));
        }
    }

    @Test
    void pastTheBacklogsLimitTheTimesAreUnknown() throws Exception {
        try (RowTimesReading reading = new RowTimesReading(db -> Map.of(), 1_000)) {
            byte[] big = rows("2025-01-10", 20_000);
            // what the capture held goes to the reading thread all the same: it is counted against the capture's limit
            StatementTimes times = copy(reading, new ArrayList<>(List.of(big)));
            times.feed(big); // kept for the reading thread only: more than it may keep
            assertThat(times.reads()).as("no longer read").isFalse();
            times.end();
            assertThat(times.result().get(10, TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void anInsertIsReadAsItCompletesAndWithoutCertainSettingsIsUnknown() {
        try (RowTimesReading reading = new RowTimesReading(db -> Map.of())) {
            String sql = "INSERT INTO m VALUES ($1, $2, 'x')";
            byte[][] values = {"1".getBytes(StandardCharsets.US_ASCII),
                "2025-01-10 10:00".getBytes(StandardCharsets.US_ASCII)};
            assertThat(StatementTimes.insert(reading, M, sql, new int[0], new short[0], values, UTC).result())
                    .isCompletedWithValue(new TimeRange("ts", TimeType.TIMESTAMPTZ, true, 1_736_503_200_000_000L,
                            1_736_503_200_000_000L, 0));
            assertThat(StatementTimes.insert(reading, M, sql, new int[0], new short[0], values, null).result())
                    .as("a SET in the same request may have changed the TimeZone").isCompletedWithValue(null);
            assertThat(StatementTimes.insert(reading, null, sql, new int[0], new short[0], values, UTC).result())
                    .as("no time column known").isCompletedWithValue(null);
        }
    }
}
