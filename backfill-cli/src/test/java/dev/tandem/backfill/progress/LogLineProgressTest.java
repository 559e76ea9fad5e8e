package dev.tandem.backfill.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class LogLineProgressTest {

    @Test
    void printsALastLineWithTasksRowsAndRates() {
        StringWriter out = new StringWriter();
        try (LogLineProgress progress = new LogLineProgress(new PrintWriter(out), 3_600_000)) {
            progress.started(4);
            progress.taskDone(1000, 1 << 20);
            progress.taskDone(500, 1 << 20);
        }
        assertThat(out.toString()).startsWith("copy: 2/4 tasks, 1500 rows (").contains("rows/s").contains("B/s")
                .contains("ETA");
    }
}
