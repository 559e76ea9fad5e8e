package dev.tandem.proxy.spool;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The process {@link SpoolProcessKillTest} kills: appends from several threads with fsync always and prints
 * "thread index" for every append whose future completed, i.e. that a client would have been told is committed.
 */
public final class SpoolCrashChild {

    private SpoolCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        SpoolSettings settings = new SpoolSettings(dir, 1L << 30, 8 * 1024, FsyncPolicy.ALWAYS, Duration.ofSeconds(1),
                OnFull.BLOCK);
        PrintStream out = System.out;
        Spool spool = Spool.open(settings);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread appender = new Thread(() -> {
                for (int i = 0; ; i++) {
                    spool.writer().append(payload(thread, i)).join();
                    synchronized (out) {
                        out.println("confirmed " + thread + " " + i);
                        out.flush();
                    }
                }
            });
            appender.start();
        }
    }

    static byte[] payload(int thread, int index) {
        ByteBuffer buffer = ByteBuffer.allocate(100 + (index % 7) * 50);
        buffer.putInt(thread).putInt(index);
        while (buffer.hasRemaining()) {
            buffer.put((byte) (thread + index * 3 + buffer.position()));
        }
        return buffer.array();
    }
}
