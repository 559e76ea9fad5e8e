package dev.tandem.proxy.config;

import dev.tandem.protocol.sql.TableName;
import java.time.Duration;
import java.util.Map;

/**
 * The live divergence verifier: every {@code interval} it compares source and target over the closed time buckets
 * of the last {@code lookback}, leaving out the newest ones still in flight (mirror lag plus {@code margin}).
 *
 * @param bucket           width of a compared bucket for timestamp-like time columns
 * @param integerBucket    width of a bucket for integer time columns, in the column's own units; 0 leaves tables
 *                         with an integer time column out
 * @param statementTimeout cap on each of the verifier's queries, on either side
 * @param timeColumns      time column of tables, ahead of what the target's catalog says
 *                         ({@link dev.tandem.proxy.timecolumn.TimeColumnRule})
 */
public record VerifierConfig(VerifierMode mode, Duration interval, Duration lookback, Duration bucket, Duration margin,
                             Duration statementTimeout, long integerBucket, Map<TableName, String> timeColumns) {

    public VerifierConfig {
        timeColumns = Map.copyOf(timeColumns);
    }
}
