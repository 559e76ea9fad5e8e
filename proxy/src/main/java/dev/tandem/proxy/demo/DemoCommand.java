package dev.tandem.proxy.demo;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tandem-proxy demo}: the whole flow on embedded PostgreSQL, no external services. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole migration in miniature on embedded PostgreSQL: history on the source, the proxy"
                + " dual-writing a workload, the dual-write mark, the backfill, verification and a report.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "6432", description = "Proxy port to use if free (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--history-days", defaultValue = "3", description = "Days of history on the source (default: ${DEFAULT-VALUE}).")
    int historyDays;

    @Option(names = "--workload-rows", defaultValue = "300", description = "Rows inserted through the proxy (default: ${DEFAULT-VALUE}).")
    int workloadRows;

    @Option(names = "--exit-when-done", description = "Exit after the report instead of serving until Ctrl-C.")
    boolean exitWhenDone;

    @Override
    public Integer call() throws Exception {
        Demo demo = new Demo(System.out);
        Demo.Report report;
        try {
            report = demo.run(port, historyDays, workloadRows);
        } catch (Exception e) {
            demo.close();
            throw e;
        }
        if (exitWhenDone) {
            demo.close();
        } else {
            demo.printHowToConnect(report);
            demo.awaitShutdown();
        }
        int verify = report.backfillVerifyExit();
        return verify == 0 ? 0 : 1;
    }
}
