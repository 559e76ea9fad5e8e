package dev.tandem.proxy;

import dev.tandem.proxy.config.ConfigException;
import dev.tandem.proxy.config.CredentialFlags;
import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.demo.DemoCommand;
import dev.tandem.proxy.mirror.MappingChangedException;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.SpoolException;
import dev.tandem.proxy.spool.SpoolOwnerMismatchException;
import io.netty.util.ResourceLeakDetector;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code tandem-proxy.jar}: runs the proxy; {@code demo} runs the self-contained demo. */
@Command(name = "tandem-proxy", mixinStandardHelpOptions = true, version = "Tandem proxy 0.1.0",
        subcommands = DemoCommand.class,
        description = {"PostgreSQL wire-protocol proxy: relays every session to the source unchanged and mirrors"
                + " committed INSERT and COPY traffic to the target.",
                "Configuration: tandem.yaml (--config) and flags; flags win. See docs/configuration.md."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly", "1:failed while running", "2:bad configuration or usage"})
public final class TandemProxy implements Callable<Integer> {

    @Mixin
    ProxyOptions options;

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "auto",
            description = "Socket transport: auto, epoll, io_uring or nio (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
            description = "Event-loop threads relaying sessions; 0 = one per two CPU cores (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Override
    public Integer call() throws Exception {
        ProxyConfig config;
        Transport chosen;
        try {
            config = options.load(System.getenv());
            chosen = Transport.choose(transport);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("tandem-proxy: " + e.getMessage());
            return 2;
        }
        if (ioThreads < 0) {
            System.err.println("tandem-proxy: --io-threads must be 0 (default) or more, not " + ioThreads);
            return 2;
        }
        ProxyApplication app;
        try {
            app = new ProxyApplication(config).ioThreads(ioThreads).start(chosen);
        } catch (SpoolOwnerMismatchException | MappingChangedException e) {
            // instance-id or target.databases and mirror.spool.dir do not fit together: a configuration error, not a
            // failure while running
            System.err.println("tandem-proxy: " + e.getMessage());
            return 2;
        } catch (SpoolException e) {
            // mirror.spool.dir cannot be opened (permission denied, a file in its path, locked by another proxy): the
            // message names the directory and the cause; a stack trace would bury both
            System.err.println("tandem-proxy: " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            // an address already in use, say: the message names it and the setting, a stack trace would bury both
            System.err.println("tandem-proxy: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
            // Only a stop signal gets here (SIGTERM from systemd, Docker or Kubernetes; Ctrl-C), and the JVM would end
            // with 128 + the signal, 143 after SIGTERM, which systemd counts as a failed unit. The proxy has stopped
            // cleanly: it says so with 0, as --help does.
            Runtime.getRuntime().halt(0);
        }, "tandem-shutdown"));
        stopped.await();
        return 0;
    }

    /** The command as {@link #main} runs it. */
    static CommandLine commandLine() {
        return CredentialFlags.refusedIn(new CommandLine(new TandemProxy()));
    }

    public static void main(String[] args) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Sampling leak detection costs on every relayed buffer; the tests run with paranoid detection instead.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(commandLine().execute(args));
    }
}
