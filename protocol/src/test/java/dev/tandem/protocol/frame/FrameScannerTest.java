package dev.tandem.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameScannerTest {

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Records what the observer saw, copying whole frames since they are only borrowed. */
    private static final class Recorder implements FrameObserver {
        final List<String> seen = new ArrayList<>();
        final String wanted;

        Recorder(String wanted) {
            this.wanted = wanted;
        }

        @Override
        public boolean needsWholeFrame(byte type) {
            return wanted.indexOf(type) >= 0;
        }

        @Override
        public boolean onFrame(byte type, ByteBuf frame) {
            seen.add((char) type + ":" + ByteBufUtil.hexDump(frame));
            return true;
        }

        @Override
        public void onFrameStart(byte type, int length) {
            seen.add((char) type + "#" + length);
        }
    }

    private static byte[] frame(char type, byte[] body) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(type).writeInt(4 + body.length).writeBytes(body);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    @Test
    void forwardsEveryByteUnchangedWhateverTheFragmentation() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int round = 0; round < 120; round++) {
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            List<String> expected = new ArrayList<>();
            String types = "QPBEDSdZCT";
            String wanted = "QZC";
            int frames = 1 + random.nextInt(30);
            // reads of a few bytes split every header and length; past 64 KiB a frame outgrows the first buffers:
            // a round is one or the other, since 70 KB read a few bytes at a time is 20,000 buffers to track
            boolean tinyReads = random.nextBoolean();
            int largeBody = tinyReads ? 600 : 70_000;
            for (int i = 0; i < frames; i++) {
                char type = types.charAt(random.nextInt(types.length()));
                byte[] body = new byte[random.nextInt(random.nextInt(10) == 0 ? largeBody : 40)];
                random.nextBytes(body);
                byte[] f = frame(type, body);
                stream.writeBytes(f);
                expected.add(wanted.indexOf(type) >= 0 ? type + ":" + ByteBufUtil.hexDump(f) : type + "#" + (4 + body.length));
            }
            byte[] all = stream.toByteArray();

            Recorder recorder = new Recorder(wanted);
            FrameScanner scanner = new FrameScanner("client", 1 << 20, recorder, ALLOC);
            ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
            int at = 0;
            while (at < all.length) {
                int n = Math.min(all.length - at, 1 + random.nextInt(tinyReads ? 7 : 9000));
                ByteBuf chunk = ALLOC.buffer(n).writeBytes(all, at, n);
                at += n;
                scanner.feed(chunk, out -> {
                    forwarded.writeBytes(ByteBufUtil.getBytes(out));
                    out.release();
                });
            }
            scanner.release();

            assertThat(forwarded.toByteArray()).as("seed %d round %d", seed, round).isEqualTo(all);
            assertThat(recorder.seen).as("seed %d round %d", seed, round).isEqualTo(expected);
            assertThat(scanner.atFrameBoundary()).isTrue();
        }
    }

    @Test
    void holdsAWantedFrameUntilItIsCompleteButStreamsOthers() {
        Recorder recorder = new Recorder("Q");
        FrameScanner scanner = new FrameScanner("client", 1 << 20, recorder, ALLOC);
        List<Integer> pieces = new ArrayList<>();
        byte[] query = frame('Q', "SELECT 1\0".getBytes());
        byte[] data = frame('d', new byte[100]);

        scanner.feed(Unpooled.wrappedBuffer(data, 0, 50), out -> {
            pieces.add(out.readableBytes());
            out.release();
        });
        assertThat(scanner.atFrameBoundary()).isFalse();
        scanner.feed(Unpooled.wrappedBuffer(data, 50, data.length - 50), out -> {
            pieces.add(out.readableBytes());
            out.release();
        });
        scanner.feed(Unpooled.wrappedBuffer(query, 0, 7), out -> {
            pieces.add(out.readableBytes());
            out.release();
        });
        assertThat(scanner.atFrameBoundary()).isTrue();
        scanner.feed(Unpooled.wrappedBuffer(query, 7, query.length - 7), out -> {
            pieces.add(out.readableBytes());
            out.release();
        });
        scanner.release();

        assertThat(pieces).containsExactly(50, data.length - 50, query.length);
        assertThat(recorder.seen).containsExactly("d#104", "Q:" + ByteBufUtil.hexDump(query));
    }

    /** Hands out heap buffers that count the bytes they copy each time they grow. */
    private static final class CopyCountingAllocator extends AbstractByteBufAllocator {
        long copied;

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity) {
                @Override
                public ByteBuf capacity(int newCapacity) {
                    if (newCapacity > capacity()) {
                        copied += writerIndex();
                    }
                    return super.capacity(newCapacity);
                }
            };
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    @Test
    void aLargeWantedFrameArrivingInManyReadsIsAssembledWithoutRecopyingItOverAndOver() {
        int body = 64 << 20;
        int read = 64 << 10;
        CopyCountingAllocator alloc = new CopyCountingAllocator();
        List<Integer> whole = new ArrayList<>();
        FrameObserver recorder = new FrameObserver() {
            @Override
            public boolean needsWholeFrame(byte type) {
                return true;
            }

            @Override
            public boolean onFrame(byte type, ByteBuf frame) {
                whole.add(frame.readableBytes());
                return true;
            }
        };
        FrameScanner scanner = new FrameScanner("client", 1L << 30, recorder, alloc);
        long[] forwarded = {0};
        ByteBuf header = Unpooled.buffer(5).writeByte('B').writeInt(4 + body);
        scanner.feed(header, out -> {
            forwarded[0] += out.readableBytes();
            out.release();
        });
        for (int sent = 0; sent < body; sent += read) {
            scanner.feed(Unpooled.wrappedBuffer(new byte[read]), out -> {
                forwarded[0] += out.readableBytes();
                out.release();
            });
        }
        scanner.release();

        assertThat(forwarded[0]).isEqualTo(5L + body);
        assertThat(whole).containsExactly(5 + body);
        // Growing by fixed steps copies what arrived so far at every step: quadratic, seconds of a blocked event
        // loop for a few hundred megabytes. Growing geometrically copies each byte about once.
        assertThat(alloc.copied).as("bytes copied while the frame grew").isLessThan(2L * body);
    }

    @Test
    void aHeldFrameWaitsWithEverythingAfterItUntilResumed() {
        List<String> seen = new ArrayList<>();
        FrameObserver holdFirstReady = new FrameObserver() {
            @Override
            public boolean needsWholeFrame(byte type) {
                return type == 'Z';
            }

            @Override
            public boolean onFrame(byte type, ByteBuf frame) {
                seen.add("Z" + seen.size());
                return seen.size() > 1;
            }
        };
        FrameScanner scanner = new FrameScanner("source", 1 << 20, holdFirstReady, ALLOC);
        ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
        java.util.function.Consumer<ByteBuf> sink = out -> {
            forwarded.writeBytes(ByteBufUtil.getBytes(out));
            out.release();
        };
        byte[] complete = frame('C', "INSERT 0 1\0".getBytes());
        byte[] ready = frame('Z', new byte[] {'I'});
        byte[] notice = frame('A', new byte[20]);

        scanner.feed(Unpooled.wrappedBuffer(complete, ready), sink);
        assertThat(scanner.isHeld()).isTrue();
        assertThat(forwarded.toByteArray()).isEqualTo(complete);
        scanner.feed(Unpooled.wrappedBuffer(notice, ready), sink);
        assertThat(forwarded.toByteArray()).as("nothing passes a held frame").isEqualTo(complete);

        scanner.resume(sink);
        scanner.release();
        assertThat(scanner.isHeld()).isFalse();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(complete);
        expected.writeBytes(ready);
        expected.writeBytes(notice);
        expected.writeBytes(ready);
        assertThat(forwarded.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(seen).as("the held frame is shown once, the next one once").containsExactly("Z0", "Z1");
    }

    @Test
    void rejectsALengthBelowFour() {
        FrameScanner scanner = new FrameScanner("client", 1 << 20, FrameObserver.NONE, ALLOC);
        ByteBuf in = Unpooled.buffer().writeByte('Q').writeInt(3);
        assertThatThrownBy(() -> scanner.feed(in, ByteBuf::release))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("invalid message length 3 from the client (message type 'Q')");
        scanner.release();
    }

    @Test
    void rejectsAnOversizedFrameBeforeReadingItsBody() {
        FrameScanner scanner = new FrameScanner("client", 1000, FrameObserver.NONE, ALLOC);
        List<Integer> forwarded = new ArrayList<>();
        ByteBuf in = Unpooled.buffer().writeBytes(frame('S', new byte[0])).writeByte('d').writeInt(Integer.MAX_VALUE);
        assertThatThrownBy(() -> scanner.feed(in, out -> {
            forwarded.add(out.readableBytes());
            out.release();
        })).isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("2147483647 bytes from the client (type 'd') exceeds the limit of 1000 bytes");
        assertThat(forwarded).as("the valid Sync before the bad frame still goes through").containsExactly(5);
        scanner.release();
    }

    @Test
    void namesUnprintableTypeBytesInHex() {
        FrameScanner scanner = new FrameScanner("source", 1 << 20, FrameObserver.NONE, ALLOC);
        ByteBuf in = Unpooled.buffer().writeByte(0x01).writeInt(-5);
        assertThatThrownBy(() -> scanner.feed(in, ByteBuf::release))
                .hasMessage("invalid message length -5 from the source (message type '0x01')");
        scanner.release();
    }
}
