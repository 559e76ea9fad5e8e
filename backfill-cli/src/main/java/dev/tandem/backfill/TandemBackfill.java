package dev.tandem.backfill;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code tandem-backfill.jar}. */
@Command(name = "tandem-backfill", mixinStandardHelpOptions = true, version = "Tandem backfill 0.1.0",
        description = "Copies historical time-series rows from source to target up to the dual-write start.")
public final class TandemBackfill implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TandemBackfill()).execute(args));
    }
}
