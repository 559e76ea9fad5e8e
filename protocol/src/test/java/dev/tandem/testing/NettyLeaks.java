package dev.tandem.testing;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Makes a test fail on a leaked {@code ByteBuf}. Netty only logs a leak (as {@code LEAK: ...}, which {@code .ci/run}
 * looks for in the test output after the whole build), and only once the garbage collector has found the buffer and
 * a later allocation lets the detector look: a test class that must fail on a leak of its own is annotated
 * {@code @ExtendWith(NettyLeaks.class)}, which calls {@link #install()} before its tests and {@link #assertNone()}
 * after them.
 *
 * <p>Netty offers a listener for the leaks it reports but no public way to reach the detector of byte buffers, so the
 * field is read reflectively; a Netty upgrade that moves it fails {@link #install()} loudly rather than silently
 * checking nothing.
 */
public final class NettyLeaks implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> REPORTED = new ArrayList<>();
    private static boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        assertNone();
    }

    /** Tracks every buffer from now on (paranoid level) and records the leaks Netty reports. */
    public static synchronized void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        if (installed) {
            return;
        }
        try {
            Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
            field.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) field.get(null);
            detector.setLeakListener((type, records) -> {
                synchronized (NettyLeaks.class) {
                    REPORTED.add(type + " leaked:" + records);
                }
            });
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach Netty's ByteBuf leak detector; was Netty upgraded?", e);
        }
        installed = true;
    }

    /**
     * Lets the garbage collector find unreleased buffers and the detector report them, then fails if any leak was
     * reported since the last call. Reports are deduplicated by Netty: a leak at a place already reported in this JVM
     * is not reported again.
     */
    public static void assertNone() throws InterruptedException {
        for (int round = 0; round < 5; round++) {
            System.gc();
            Thread.sleep(20); // the reference handler enqueues what the collection found
            // each tracked allocation makes the detector poll its queue of collected, unreleased buffers
            for (ByteBufAllocator alloc : List.of(PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT)) {
                alloc.heapBuffer(1).release();
                alloc.directBuffer(1).release();
            }
        }
        List<String> leaks;
        synchronized (NettyLeaks.class) {
            leaks = List.copyOf(REPORTED);
            REPORTED.clear();
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) reported:\n" + String.join("\n\n", leaks));
        }
    }
}
