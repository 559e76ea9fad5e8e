package dev.tandem.proxy.spool;

import java.nio.file.Path;

/**
 * What recovery cut off the end of the newest segment when the spool was opened. After a stop that was not clean, the
 * record that was being written when the process or host stopped: its transaction had not been acknowledged to a
 * client under {@link FsyncPolicy#ALWAYS}; under the other policies it is the documented loss window. After a clean
 * stop ({@link CleanStop}), damage done since, to records the stop left whole.
 *
 * @param file         the segment file
 * @param offset       where the first invalid record started (the file now ends here)
 * @param droppedBytes how many bytes were cut off
 * @param reason       why the record at {@code offset} was invalid
 */
public record TornTail(Path file, long offset, long droppedBytes, String reason) {
}
