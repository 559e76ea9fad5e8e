package dev.tandem.protocol.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class ErrorResponseTest {

    // 'E', int32 length, then S FATAL\0 V FATAL\0 C 08P01\0 M bad\0 and the terminating \0
    private static final String FATAL_08P01_BAD =
            "45" + "0000001f"
            + "53" + "464154414c00"
            + "56" + "464154414c00"
            + "43" + "303850303100"
            + "4d" + "62616400"
            + "00";

    @Test
    void encodesByteExactly() {
        ByteBuf out = Unpooled.buffer();
        try {
            ErrorResponse.fatal("08P01", "bad").encode(out);
            assertThat(ByteBufUtil.hexDump(out)).isEqualTo(FATAL_08P01_BAD);
        } finally {
            out.release();
        }
    }

    @Test
    void decodesWhatItEncodes() {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(FATAL_08P01_BAD));
        try {
            ErrorResponse e = ErrorResponse.decode(in);
            assertThat(e.severity()).isEqualTo("FATAL");
            assertThat(e.sqlState()).isEqualTo("08P01");
            assertThat(e.message()).isEqualTo("bad");
            assertThat(in.readerIndex()).isZero();
        } finally {
            in.release();
        }
    }
}
