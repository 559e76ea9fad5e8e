package dev.tandem.backfill.progress;

/** Told about each finished task of a run; implementations must be thread-safe (workers call it concurrently). */
public interface ProgressListener extends AutoCloseable {

    void started(long tasks);

    void taskDone(long rows, long bytes);

    void taskFailed();

    @Override
    void close();

    /** Calls every listener in turn. */
    static ProgressListener all(ProgressListener... listeners) {
        return new ProgressListener() {
            @Override
            public void started(long tasks) {
                for (ProgressListener l : listeners) {
                    l.started(tasks);
                }
            }

            @Override
            public void taskDone(long rows, long bytes) {
                for (ProgressListener l : listeners) {
                    l.taskDone(rows, bytes);
                }
            }

            @Override
            public void taskFailed() {
                for (ProgressListener l : listeners) {
                    l.taskFailed();
                }
            }

            @Override
            public void close() {
                for (ProgressListener l : listeners) {
                    l.close();
                }
            }
        };
    }
}
