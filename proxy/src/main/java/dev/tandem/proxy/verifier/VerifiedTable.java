package dev.tandem.proxy.verifier;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.RangeChecksum;

/**
 * A mirrored table the verifier can compare, as the source describes it.
 *
 * @param recordHash whether rows are hashed with {@code hash_record_extended} (see {@link RangeChecksum})
 */
record VerifiedTable(TableName name, RangeChecksum checksum, boolean recordHash) implements TableCatalog.Description {
}
