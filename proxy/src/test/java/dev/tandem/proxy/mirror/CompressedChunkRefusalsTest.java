package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The messages are TimescaleDB's own, as its sources raise them. */
class CompressedChunkRefusalsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "53400|tuple decompression limit exceeded by operation|"
                + "timescaledb.max_tuples_decompressed_per_dml_transaction = 0",
        "0A000|inserting into compressed chunk with unique constraints disabled|"
                + "timescaledb.enable_dml_decompression = on",
        "0A000|insert with ON CONFLICT or RETURNING clause is not supported on compressed chunks|"
                + "TimescaleDB before 2.11",
        "0A000|insert into a compressed chunk that has primary or unique constraint is not supported|"
                + "TimescaleDB before 2.11",
        "0A000|insert/update/delete not permitted on chunk \"_hyper_1_2_chunk\"|TimescaleDB before 2.3"})
    void eachRefusalKeepsTheServersMessageAndSaysWhatToChange(String sqlState, String message, String setting) {
        assertThat(CompressedChunkRefusals.explained(sqlState, message))
                .startsWith(message + ": ").contains(setting).endsWith("then run tandem-backfill repair, which"
                        + " re-copies the rows' range");
    }

    @Test
    void otherErrorsAreNotExplained() {
        assertThat(CompressedChunkRefusals.explained("53400", "temporary file size exceeds temp_file_limit (1kB)"))
                .isNull();
        assertThat(CompressedChunkRefusals.explained("23505", "tuple decompression limit exceeded by operation"))
                .isNull();
        assertThat(CompressedChunkRefusals.explained("0A000", null)).isNull();
    }
}
