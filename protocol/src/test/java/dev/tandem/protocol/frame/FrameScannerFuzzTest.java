package dev.tandem.protocol.frame;

import dev.tandem.testing.NettyLeaks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Streams of frames, some with a lying length (below four, or past the limit), cut into random reads and scanned by an
 * observer that wants random types whole, holds random frames back and refuses to hold some large ones: compared with
 * a reference walk of the same bytes. The scanner must forward exactly the bytes of the frames before the first bad one
 * (all of them once resumed, a streamed frame's as they come), show each of those frames once and in order, fail only
 * with {@link ProtocolViolationException} and only at the bad frame, know when it is between frames, and hand back
 * every buffer it was given.
 *
 * <p>Run with {@code -Dfuzz.seed=N} to replay a failure (the seed is in every failure message), with
 * {@code -Dfuzz.cases=N} for a longer search.
 */
@ExtendWith(NettyLeaks.class)
class FrameScannerFuzzTest {

    private static final int CASES = Integer.getInteger("fuzz.cases", 2_000);
    private static final byte[] TYPES = "QPBEDSdcfZCTGHXp".getBytes();


    /** One frame of the stream as the reference walk sees it. */
    private record Frame(int offset, byte type, int length, boolean bad, boolean headerComplete) {
        long end() {
            return offset + 1L + length;
        }
    }

    /** Records what the scanner showed, and plays the observer's part: wanting, holding, refusing. */
    private static final class Observer implements FrameObserver {
        final Random random;
        final String wanted;
        final int refuseAbove;
        final List<String> seen = new ArrayList<>();
        boolean refused;

        Observer(Random random, String wanted, int refuseAbove) {
            this.random = random;
            this.wanted = wanted;
            this.refuseAbove = refuseAbove;
        }

        @Override
        public boolean needsWholeFrame(byte type) {
            return wanted.indexOf(type) >= 0;
        }

        @Override
        public void beforeHolding(byte type, int length) {
            if (length > refuseAbove) {
                refused = true;
                throw new ProtocolViolationException("refused to hold " + length + " bytes");
            }
        }

        @Override
        public boolean onFrame(byte type, ByteBuf frame) {
            seen.add((char) type + ":" + ByteBufUtil.hexDump(frame));
            return random.nextInt(4) != 0;
        }

        @Override
        public void onFrameStart(byte type, int length) {
            seen.add((char) type + "#" + length);
        }
    }

    @Test
    void mutatedStreamsInRandomReads() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        int violations = 0;
        for (int n = 0; n < CASES; n++) {
            try {
                if (runCase(random)) {
                    violations++;
                }
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("case " + n + ", seed " + seed + " (replay with -Dfuzz.seed=" + seed + ")", e);
            }
        }
        if (violations < CASES / 10 || violations > CASES * 9 / 10) {
            throw new AssertionError("the streams should break now and then, not always: " + violations + " of "
                    + CASES + " did (seed " + seed + ")");
        }
    }

    /** @return whether the stream broke the protocol */
    private static boolean runCase(Random random) {
        int max = random.nextBoolean() ? 1 << 20 : 5 + random.nextInt(300);
        byte[] stream = stream(random, max);
        List<Frame> frames = walk(stream, max);
        Observer observer = new Observer(random, wantedTypes(random), random.nextInt(3) == 0 ? random.nextInt(200)
                : Integer.MAX_VALUE);
        ByteBufAllocator alloc = random.nextBoolean() ? PooledByteBufAllocator.DEFAULT
                : UnpooledByteBufAllocator.DEFAULT;
        FrameScanner scanner = new FrameScanner("client", max, observer, alloc);
        ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
        List<ByteBuf> reads = new ArrayList<>();
        Consumer<ByteBuf> forward = out -> {
            forwarded.writeBytes(ByteBufUtil.getBytes(out));
            out.release();
        };
        ProtocolViolationException violation = null;
        try {
            int at = 0;
            while (at < stream.length && violation == null) {
                int size = Math.min(stream.length - at, 1 + random.nextInt(random.nextBoolean() ? 8 : 400));
                ByteBuf read = alloc.buffer(size).writeBytes(stream, at, size);
                reads.add(read);
                at += size;
                boolean wasHeld = scanner.isHeld();
                int before = forwarded.size();
                try {
                    scanner.feed(read, forward);
                } catch (ProtocolViolationException e) {
                    violation = e;
                }
                check(!wasHeld || forwarded.size() == before, "bytes passed a held frame");
                if (violation == null && !scanner.isHeld()) {
                    check(scanner.atFrameBoundary() == isBoundary(frames, forwarded.size()),
                            "atFrameBoundary() says " + scanner.atFrameBoundary() + " after " + forwarded.size()
                                    + " bytes");
                }
                while (violation == null && scanner.isHeld() && random.nextBoolean()) {
                    try {
                        scanner.resume(forward);
                    } catch (ProtocolViolationException e) {
                        violation = e;
                    }
                }
            }
            while (violation == null && scanner.isHeld()) {
                try {
                    scanner.resume(forward);
                } catch (ProtocolViolationException e) {
                    violation = e;
                }
            }
        } finally {
            scanner.release();
        }
        for (ByteBuf read : reads) {
            check(read.refCnt() == 0, "a read was not released: refCnt " + read.refCnt());
        }

        // what the reference walk expects
        List<String> expectedSeen = new ArrayList<>();
        long expectedForwarded = 0;
        boolean expectViolation = false;
        for (Frame f : frames) {
            if (f.bad()) {
                expectViolation = true;
                break;
            }
            if (!f.headerComplete()) {
                break;
            }
            boolean whole = observer.needsWholeFrame(f.type());
            if (f.end() > stream.length) {
                if (whole && f.length() > observer.refuseAbove) {
                    expectViolation = true; // refused by the observer while still incomplete
                } else if (!whole) {
                    expectedSeen.add((char) f.type() + "#" + f.length());
                    expectedForwarded = stream.length;
                }
                break;
            }
            if (whole) {
                expectedSeen.add((char) f.type() + ":"
                        + ByteBufUtil.hexDump(stream, f.offset(), (int) (f.end() - f.offset())));
            } else {
                expectedSeen.add((char) f.type() + "#" + f.length());
            }
            expectedForwarded = f.end();
        }
        String context = "stream " + ByteBufUtil.hexDump(stream) + ", wanted whole '" + observer.wanted
                + "', limit " + max + ", refusing above " + observer.refuseAbove;
        boolean refusedEarly = observer.refused && !expectViolation;
        if (refusedEarly) {
            // a frame wanted whole that turned out complete in a later read may have been refused while incomplete
            check(violation != null && violation.getMessage().startsWith("refused"), "refusal not passed on: "
                    + context);
            return true;
        }
        check(expectViolation == (violation != null), (violation == null ? "no violation" : "unexpected " + violation)
                + ": " + context);
        if (!observer.refused) {
            check(forwarded.size() == expectedForwarded, "forwarded " + forwarded.size() + " bytes, expected "
                    + expectedForwarded + ": " + context);
            check(observer.seen.equals(expectedSeen), "observer saw " + observer.seen + ", expected " + expectedSeen
                    + ": " + context);
        }
        check(Arrays.equals(forwarded.toByteArray(), Arrays.copyOf(stream, forwarded.size())),
                "forwarded bytes differ from the input: " + context);
        return violation != null;
    }

    /** Between frames after {@code bytes} bytes of the stream, or before the first one. */
    private static boolean isBoundary(List<Frame> frames, long bytes) {
        if (bytes == 0) {
            return true;
        }
        for (Frame f : frames) {
            if (f.end() == bytes) {
                return true;
            }
        }
        return false;
    }

    private static String wantedTypes(Random random) {
        StringBuilder b = new StringBuilder();
        for (byte t : TYPES) {
            if (random.nextInt(3) == 0) {
                b.append((char) t);
            }
        }
        return b.toString();
    }

    /** A few frames, now and then one with a lying length, sometimes cut short at the end. */
    private static byte[] stream(Random random, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int frames = 1 + random.nextInt(12);
        for (int i = 0; i < frames; i++) {
            byte type = TYPES[random.nextInt(TYPES.length)];
            byte[] body = new byte[random.nextInt(random.nextInt(8) == 0 ? 2_000 : 30)];
            random.nextBytes(body);
            int length = 4 + body.length;
            if (random.nextInt(25) == 0) {
                int[] lies = {-1, 0, 3, Integer.MIN_VALUE, Integer.MAX_VALUE, max, max + 1, random.nextInt()};
                length = lies[random.nextInt(lies.length)];
            }
            out.write(type);
            out.writeBytes(ByteBuffer.allocate(4).putInt(length).array());
            out.writeBytes(body);
        }
        byte[] all = out.toByteArray();
        return random.nextInt(4) == 0 ? Arrays.copyOf(all, random.nextInt(all.length + 1)) : all;
    }

    /** The frames as the protocol reads them, up to and including the first bad header or the cut. */
    private static List<Frame> walk(byte[] stream, int max) {
        List<Frame> frames = new ArrayList<>();
        int at = 0;
        while (at < stream.length) {
            if (at + 5 > stream.length) {
                frames.add(new Frame(at, stream[at], Integer.MAX_VALUE, false, false));
                break;
            }
            int length = ByteBuffer.wrap(stream, at + 1, 4).getInt();
            boolean bad = length < 4 || length > max;
            frames.add(new Frame(at, stream[at], length, bad, true));
            if (bad || at + 1L + length > stream.length) {
                break;
            }
            at += 1 + length;
        }
        return frames;
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new AssertionError(problem);
        }
    }
}
