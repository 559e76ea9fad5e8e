package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.BindComplete;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.ParseComplete;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.frontend.Bind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PipelineTest {

    @Test
    void writesParseBindExecuteCopyDataAndOneSyncInOrder() {
        Pipeline<String> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
        pipeline.execute("begin", "BEGIN");
        pipeline.execute("insert", "INSERT INTO t VALUES ($1, $2)", new int[] {23}, new short[] {1},
                new byte[][] {{0, 0, 0, 7}, null});
        pipeline.copy("copy", "COPY t FROM STDIN", List.of("1\n".getBytes(StandardCharsets.UTF_8), new byte[0]));
        List<ByteBuf> finished = pipeline.finish();
        assertThat(finished).as("small COPY data is copied into the one buffer").hasSize(1);
        ByteBuf frames = finished.get(0);
        try {
            assertThat(pipeline.slots()).containsExactly("begin", "insert", "copy");
            List<Character> types = new ArrayList<>();
            Bind bind = null;
            while (frames.isReadable()) {
                int start = frames.readerIndex();
                char type = (char) frames.getByte(start);
                int length = frames.getInt(start + 1);
                if (type == 'B' && types.size() == 4) {
                    bind = Bind.decode(frames.slice(start, 1 + length));
                }
                types.add(type);
                frames.skipBytes(1 + length);
            }
            assertThat(types).containsExactly('P', 'B', 'E', 'P', 'B', 'E', 'P', 'B', 'E', 'd', 'd', 'c', 'S');
            assertThat(bind.parameterFormats()).containsExactly((short) 1);
            assertThat(bind.parameters()).hasSize(2);
            assertThat(bind.parameters().get(0)).containsExactly(0, 0, 0, 7);
            assertThat(bind.parameters().get(1)).isNull();
            assertThat(bind.resultFormats()).isEmpty();
        } finally {
            frames.release();
        }
    }

    @Test
    void largeCopyDataIsSentFromTheTransactionsArraysInBoundedPieces() {
        byte[] big = new byte[Pipeline.COPIED_BYTES * 2 + 5];
        new Random(3).nextBytes(big);
        byte[] small = "tail\n".getBytes(StandardCharsets.UTF_8);
        Pipeline<String> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
        pipeline.copy("copy", "COPY t FROM STDIN", List.of(big, small));
        List<ByteBuf> finished = pipeline.finish();
        ByteBuf frames = Unpooled.wrappedBuffer(finished.toArray(ByteBuf[]::new));
        try {
            for (ByteBuf piece : finished) {
                assertThat(piece.readableBytes()).isLessThanOrEqualTo(Pipeline.COPIED_BYTES + 64);
            }
            assertThat(finished.stream().filter(b -> b.hasArray() && b.array() == big).count())
                    .as("the data is not copied, only wrapped").isEqualTo(3);
            List<Character> types = new ArrayList<>();
            ByteBuf data = Unpooled.buffer();
            while (frames.isReadable()) {
                int start = frames.readerIndex();
                char type = (char) frames.getByte(start);
                int length = frames.getInt(start + 1);
                if (type == 'd') {
                    data.writeBytes(frames, start + 5, length - 4);
                }
                types.add(type);
                frames.skipBytes(1 + length);
            }
            assertThat(types).containsExactly('P', 'B', 'E', 'd', 'd', 'd', 'd', 'c', 'S');
            byte[] expected = new byte[big.length + small.length];
            System.arraycopy(big, 0, expected, 0, big.length);
            System.arraycopy(small, 0, expected, big.length, small.length);
            assertThat(ByteBufUtil.getBytes(data)).isEqualTo(expected);
            data.release();
        } finally {
            frames.release();
        }
    }

    @Test
    void replyPointsAtTheExecuteThatFailed() {
        List<BackendMessage> messages = List.of(ParseComplete.INSTANCE, BindComplete.INSTANCE,
                new CommandComplete("BEGIN"), ParseComplete.INSTANCE, BindComplete.INSTANCE,
                new CommandComplete("INSERT 0 3"), ParseComplete.INSTANCE, BindComplete.INSTANCE,
                ErrorResponse.of("ERROR", "23505", "duplicate key value violates unique constraint", null),
                ReadyForQuery.FAILED);
        Reply reply = Reply.of(messages);
        assertThat(reply.ok()).isFalse();
        assertThat(reply.rowCounts()).containsExactly(-1L, 3L);
        assertThat(reply.failedSlot()).isEqualTo(2);
        assertThat(reply.error().sqlState()).isEqualTo("23505");
    }
}
