package dev.tandem.backfill.progress;

import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A terminal progress bar over tasks, with rows/s and MB/s as its extra message (ETA from the bar). */
public final class ConsoleProgress implements ProgressListener {

    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private ProgressBar bar;
    private long startNanos;

    @Override
    public synchronized void started(long tasks) {
        startNanos = System.nanoTime();
        bar = new ProgressBarBuilder().setTaskName("copy").setInitialMax(tasks).setStyle(ProgressBarStyle.ASCII)
                .setUnit(" tasks", 1).showSpeed().build();
    }

    @Override
    public void taskDone(long rows, long bytes) {
        long r = this.rows.addAndGet(rows);
        long b = this.bytes.addAndGet(bytes);
        double seconds = Math.max((System.nanoTime() - startNanos) / 1e9, 0.001);
        synchronized (this) {
            bar.step();
            bar.setExtraMessage(String.format(java.util.Locale.ROOT, " %.0f rows/s %s/s", r / seconds,
                    Throughput.bytes(b / seconds)));
        }
    }

    @Override
    public synchronized void taskFailed() {
        bar.step();
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
