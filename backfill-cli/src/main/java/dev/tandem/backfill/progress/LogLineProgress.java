package dev.tandem.backfill.progress;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/** Progress as plain log lines (when stdout is not a terminal): one line at most every {@code intervalMillis}, and a last one. */
public final class LogLineProgress implements ProgressListener {

    private final PrintWriter out;
    private final long intervalNanos;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private long total;
    private long startNanos;
    private long lastPrintNanos;

    public LogLineProgress(PrintWriter out, long intervalMillis) {
        this.out = out;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    @Override
    public synchronized void started(long tasks) {
        total = tasks;
        startNanos = System.nanoTime();
        lastPrintNanos = startNanos;
    }

    @Override
    public void taskDone(long rows, long bytes) {
        done.incrementAndGet();
        this.rows.addAndGet(rows);
        this.bytes.addAndGet(bytes);
        maybePrint();
    }

    @Override
    public void taskFailed() {
        done.incrementAndGet();
        maybePrint();
    }

    private synchronized void maybePrint() {
        long now = System.nanoTime();
        if (now - lastPrintNanos >= intervalNanos) {
            lastPrintNanos = now;
            print(now);
        }
    }

    private void print(long now) {
        out.println("copy: " + Throughput.line(done.get(), total, rows.get(), bytes.get(), (now - startNanos) / 1e9));
        out.flush();
    }

    @Override
    public synchronized void close() {
        print(System.nanoTime());
    }
}
