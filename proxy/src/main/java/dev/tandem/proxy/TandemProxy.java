package dev.tandem.proxy;

import dev.tandem.proxy.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code tandem-proxy.jar}. */
@Command(name = "tandem-proxy", mixinStandardHelpOptions = true, version = "Tandem proxy 0.1.0",
        subcommands = DemoCommand.class,
        description = "PostgreSQL wire-protocol proxy that relays to the source and mirrors committed writes to the target.")
public final class TandemProxy implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TandemProxy()).execute(args));
    }
}
