package dev.tandem.protocol.backend;

import static dev.tandem.protocol.backend.WireFixtures.assertRejects;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandCompleteRowCountTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "INSERT 0 5, 5",
            "INSERT 0 0, 0",
            "UPDATE 12, 12",
            "DELETE 3, 3",
            "SELECT 7, 7",
            "COPY 1000000, 1000000",
            "MERGE 2, 2",
            "FETCH 9223372036854775, 9223372036854775",
            "BEGIN, -1",
            "CREATE TABLE, -1",
            "ROLLBACK, -1",
            "'', -1",
            "SELECT x1, -1",
            "COPY 1234567890123456789, -1",
    })
    void framesAndStringsAgreeOnTheRowCount(String tag, long expected) {
        ByteBuf frame = frameOf(tag);
        try {
            assertThat(CommandComplete.rowCount(frame)).isEqualTo(expected);
            assertThat(new CommandComplete(tag).rowCount()).isEqualTo(expected);
            assertThat(frame.readerIndex()).isZero();
        } finally {
            frame.release();
        }
    }

    @Test
    void commandWordMustEndAtASpaceOrTheTagEnd() {
        ByteBuf insert = frameOf("INSERT 0 5");
        ByteBuf createTable = frameOf("CREATE TABLE");
        try {
            assertThat(CommandComplete.isCommand(insert, "INSERT")).isTrue();
            assertThat(CommandComplete.isCommand(insert, "INSERT 0")).isTrue();
            assertThat(CommandComplete.isCommand(insert, "INS")).isFalse();
            assertThat(CommandComplete.isCommand(insert, "COPY")).isFalse();
            assertThat(CommandComplete.isCommand(insert, "INSERT 0 55")).isFalse();
            assertThat(CommandComplete.isCommand(createTable, "CREATE TABLE")).isTrue();
            assertThat(CommandComplete.isCommand(createTable, "CREATE")).isTrue();
        } finally {
            insert.release();
            createTable.release();
        }
    }

    @Test
    void readingAFrameInPlaceAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ByteBuf frame = frameOf("INSERT 0 123456");
        try {
            long sum = 0;
            for (int i = 0; i < 20_000; i++) {
                sum += CommandComplete.rowCount(frame) + (CommandComplete.isCommand(frame, "INSERT") ? 1 : 0);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sum += CommandComplete.rowCount(frame) + (CommandComplete.isCommand(frame, "INSERT") ? 1 : 0);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sum).isEqualTo(120_000L * 123_457);
            // a single String per call would be several MB; allow for the counter's own noise
            assertThat(allocated).as("bytes allocated by 100,000 calls").isLessThan(10_000);
        } finally {
            frame.release();
        }
    }

    @Test
    void malformedFramesAreRejectedClearly() {
        assertRejects(CommandComplete::rowCount, "43 00000007 414243", "not NUL-terminated");
        assertRejects(CommandComplete::rowCount, "43 00000009 41424300", "does not match");
        assertRejects(CommandComplete::rowCount, "5a 00000005 49", "not a CommandComplete frame");
        assertRejects(f -> CommandComplete.isCommand(f, "A"), "43 00000007 410042", "not NUL-terminated");
    }

    /**
     * Found by DecoderFuzzTest: a length near Integer.MAX_VALUE in a frame that does not start at index 0 made the end
     * index overflow, and Netty threw an IndexOutOfBoundsException instead of the decoder's own error.
     */
    @Test
    void aLengthThatOverflowsTheEndIndexIsRejectedClearly() {
        // assertRejects places the frame at reader index 3
        assertRejects(CommandComplete::rowCount, "43 7fffffff 494e5345525400", "does not match");
        assertRejects(f -> CommandComplete.isCommand(f, "INSERT"), "43 7ffffffe 494e5345525400", "does not match");
    }

    private static ByteBuf frameOf(String tag) {
        ByteBuf frame = Unpooled.buffer();
        new CommandComplete(tag).encode(frame);
        return frame;
    }
}
