package dev.tandem.backfill.progress;

import java.util.Locale;

/** Human formatting of counts, rates and durations for progress output and status. */
public final class Throughput {

    private Throughput() {
    }

    public static String bytes(double bytes) {
        if (bytes >= 1 << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (1 << 30));
        }
        if (bytes >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1 << 20));
        }
        if (bytes >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / (1 << 10));
        }
        return String.format(Locale.ROOT, "%.0f B", bytes);
    }

    public static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }

    /** {@code 12/40 tasks, 1234567 rows (250000 rows/s, 20.1 MiB/s), ETA 3m10s}. */
    public static String line(long done, long total, long rows, long bytes, double elapsedSeconds) {
        double seconds = Math.max(elapsedSeconds, 0.001);
        String eta = done == 0 || done >= total ? "" : ", ETA " + duration(seconds / done * (total - done));
        return String.format(Locale.ROOT, "%d/%d tasks, %d rows (%.0f rows/s, %s/s)%s", done, total, rows, rows / seconds,
                bytes(bytes / seconds), eta);
    }
}
