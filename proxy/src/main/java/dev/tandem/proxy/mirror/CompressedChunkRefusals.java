package dev.tandem.proxy.mirror;

import java.util.List;

/**
 * The target's TimescaleDB refusing a mirrored write into a compressed chunk (a range the backfill copied and the
 * target's compression policy compressed since, say). Each refusal repeats for the same statement, so it is ledgered,
 * with what to change on the target before {@code tandem-backfill repair} re-copies the range. The messages are
 * TimescaleDB's ({@code tsl/src/compression}, {@code src/nodes/chunk_dispatch}, {@code src/chunk.c}); they quote no
 * row values, so the ledger keeps them under {@code logging.redact-sql} too.
 */
final class CompressedChunkRefusals {

    private record Refusal(String sqlState, String message, String explanation) {
    }

    private static final String REPAIR = ", then run tandem-backfill repair, which re-copies the rows' range";

    private static final List<Refusal> REFUSALS = List.of(
            // 2.14+: the batches a row may conflict with are decompressed to check a unique index (and ON CONFLICT)
            new Refusal(TransientErrors.CONFIGURATION_LIMIT_EXCEEDED, "tuple decompression limit exceeded by operation",
                    "the target's TimescaleDB decompresses the compressed rows a write into a compressed chunk may"
                            + " conflict with, and this write needed more than"
                            + " timescaledb.max_tuples_decompressed_per_dml_transaction allows (TimescaleDB 2.14+)."
                            + " Lift the limit for the proxy's target role (ALTER ROLE ... SET"
                            + " timescaledb.max_tuples_decompressed_per_dml_transaction = 0; new connections take it)"
                            + REPAIR),
            // 2.11+ with the setting off
            new Refusal("0A000", "inserting into compressed chunk with unique constraints disabled",
                    "the target has timescaledb.enable_dml_decompression = off, so its TimescaleDB (2.11+) refuses"
                            + " rows written into a compressed chunk of a table with a unique index. Turn it on for the"
                            + " proxy's target role (ALTER ROLE ... SET timescaledb.enable_dml_decompression = on; new"
                            + " connections take it)" + REPAIR),
            // before 2.11
            new Refusal("0A000", "insert with ON CONFLICT or RETURNING clause is not supported on compressed chunks",
                    "TimescaleDB before 2.11 refuses an INSERT with ON CONFLICT or RETURNING into a compressed chunk."
                            + " Upgrade the target's TimescaleDB to 2.11 or later, or decompress its chunks of that"
                            + " range (decompress_chunk) and keep its compression policy paused until the cutover"
                            + REPAIR),
            new Refusal("0A000", "insert into a compressed chunk that has primary or unique constraint is not supported",
                    "TimescaleDB before 2.11 refuses rows written into a compressed chunk of a table with a unique"
                            + " index. Upgrade the target's TimescaleDB to 2.11 or later, or decompress its chunks of"
                            + " that range (decompress_chunk) and keep its compression policy paused until the cutover"
                            + REPAIR),
            // before 2.3 (timescale/timescaledb#3230): a trigger on each compressed chunk refuses every write
            new Refusal("0A000", "insert/update/delete not permitted on chunk",
                    "TimescaleDB before 2.3 refuses every write into a compressed chunk. Upgrade the target's"
                            + " TimescaleDB to 2.11 or later, or decompress its chunks of that range (decompress_chunk)"
                            + " and keep its compression policy paused until the cutover" + REPAIR));

    private CompressedChunkRefusals() {
    }

    /**
     * The ledger's message for a target error that is one of these refusals: the server's message and what to do;
     * null for any other error.
     */
    static String explained(String sqlState, String message) {
        if (message == null) {
            return null;
        }
        for (Refusal r : REFUSALS) {
            if (r.sqlState().equals(sqlState) && message.startsWith(r.message())) {
                return message + ": " + r.explanation();
            }
        }
        return null;
    }
}
