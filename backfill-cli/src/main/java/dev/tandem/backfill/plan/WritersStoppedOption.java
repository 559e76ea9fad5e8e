package dev.tandem.backfill.plan;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * {@code --writers-stopped}: the operator's statement that no writer is left (the cutover), which lifts the
 * {@code --max-lateness} check of {@code stage} and {@code repair}. The check keeps a row committed while its range is
 * copied from being lost or copied twice; with nothing written any more, ranges may reach past now, so the rows dated
 * ahead of the clock can be copied by a command.
 */
public final class WritersStoppedOption {

    @Option(names = "--writers-stopped",
            description = "State that every writer has stopped (the cutover, step 7 of docs/migration.md): ranges may"
                    + " then end later than now() - --max-lateness, which is not checked, so rows dated after now are"
                    + " copied too. While a writer still runs, a row it writes into a range being copied can be lost or"
                    + " copied twice")
    boolean stated;

    /** Whether the operator stated it; if so, says on {@code out} that the lateness check is off. */
    public boolean announce(PrintWriter out) {
        if (stated) {
            out.println("--writers-stopped: the lateness check (--max-lateness) is off; every writer must have stopped");
        }
        return stated;
    }
}
