package dev.tandem.protocol.frontend;

import static dev.tandem.protocol.backend.WireFixtures.assertNoLeakingExceptions;
import static dev.tandem.protocol.backend.WireFixtures.assertRejects;
import static dev.tandem.protocol.backend.WireFixtures.frame;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundParametersTest {

    // Bind: portal "", statement "s1", formats [1], values [00000001, NULL, ''], result formats [1]
    private static final String BIND = "42 00000022 00 7331 00 0001 0001 0003 00000004 00000001 ffffffff 00000000"
            + " 0001 0001";

    @Test
    void readsFormatsAndValuesOfABindFrame() {
        ByteBuf in = frame(BIND);
        try {
            BoundParameters p = BoundParameters.decode(in);
            assertThat(p.formats()).containsExactly((short) 1);
            assertThat(p.values()).hasNumberOfRows(3);
            assertThat(p.values()[0]).containsExactly(0, 0, 0, 1);
            assertThat(p.values()[1]).isNull();
            assertThat(p.values()[2]).isEmpty();
            assertThat(p.format(2)).isEqualTo((short) 1);
            assertThat(p.valueBytes()).isEqualTo(4);
            assertThat(p.toString()).doesNotContain("00000001");
            // the same values as the full decoder
            in.readerIndex(3);
            Bind bind = Bind.decode(in);
            assertThat(bind.parameters()).containsExactly(p.values());
        } finally {
            in.release();
        }
    }

    @Test
    void encodesTheSameBindFrameAsTheFullMessageType() {
        byte[][] values = {{0, 0, 0, 1}, null, {}};
        ByteBuf ours = Unpooled.buffer();
        ByteBuf theirs = Unpooled.buffer();
        try {
            new BoundParameters(new short[] {1, 0, 1}, values).encodeBind(ours, "p", "s1");
            new Bind("p", "s1", List.of((short) 1, (short) 0, (short) 1), Arrays.asList(values), List.of())
                    .encode(theirs);
            assertThat(ByteBufUtil.hexDump(ours)).isEqualTo(ByteBufUtil.hexDump(theirs));
        } finally {
            ours.release();
            theirs.release();
        }
    }

    @Test
    void formatOfEachParameterFollowsTheProtocolsListRules() {
        assertThat(new BoundParameters(new short[0], new byte[2][]).format(1)).isZero();
        assertThat(new BoundParameters(new short[] {0, 1}, new byte[2][]).format(1)).isEqualTo((short) 1);
    }

    @Test
    void malformedFramesFailLikeTheFullDecoder() {
        assertRejects(BoundParameters::decode, "42 0000000c 00 00 0000 0001 0000", "Bind: parameter count 1 does not fit");
        assertRejects(BoundParameters::decode, "42 00000010 00 00 0000 0001 00000005 00 0000", "parameter 1 needs 5 bytes");
        assertRejects(BoundParameters::decode, "42 0000000d 00 00 0000 0000 0000 00", "1 unexpected trailing bytes");
        assertNoLeakingExceptions(BoundParameters::decode, BIND, 1);
    }
}
