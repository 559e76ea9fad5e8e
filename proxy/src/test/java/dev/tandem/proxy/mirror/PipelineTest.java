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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineTest {

    @Test
    void writesParseBindExecuteCopyDataAndOneSyncInOrder() {
        Pipeline<String> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
        pipeline.execute("begin", "BEGIN");
        pipeline.execute("insert", "INSERT INTO t VALUES ($1, $2)", new int[] {23}, new short[] {1},
                new byte[][] {{0, 0, 0, 7}, null});
        pipeline.copy("copy", "COPY t FROM STDIN", List.of("1\n".getBytes(StandardCharsets.UTF_8), new byte[0]));
        ByteBuf frames = pipeline.finish();
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
