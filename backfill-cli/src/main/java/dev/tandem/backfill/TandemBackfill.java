package dev.tandem.backfill;

import dev.tandem.backfill.connect.CredentialFlags;
import dev.tandem.backfill.copy.CopyCommand;
import dev.tandem.backfill.jobs.RefreshCaggsCommand;
import dev.tandem.backfill.ledger.SettleCommand;
import dev.tandem.backfill.mirror.ForgetInstanceCommand;
import dev.tandem.backfill.plan.StageCommand;
import dev.tandem.backfill.repair.RepairCommand;
import dev.tandem.backfill.status.CleanCommand;
import dev.tandem.backfill.status.StatusCommand;
import dev.tandem.backfill.verify.VerifyCommand;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Entry point of {@code tandem-backfill.jar}. */
@Command(name = "tandem-backfill", mixinStandardHelpOptions = true, version = "Tandem backfill 0.1.0",
        description = "Copies historical time-series rows from source to target up to the dual-write start.",
        subcommands = {StageCommand.class, CopyCommand.class, VerifyCommand.class, RepairCommand.class,
                SettleCommand.class, StatusCommand.class, CleanCommand.class, RefreshCaggsCommand.class,
                ForgetInstanceCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success", "  1  failure (the message says why), or copy/repair stopped by Ctrl-C",
                "  2  usage error (bad flags)", "  3  verify found differences between source and target (with"
                        + " --through, also while divergence ledger entries are open)",
                "  130  a second Ctrl-C rolled the running tasks back"})
public final class TandemBackfill implements Runnable {

    private final Map<String, String> environment;
    private final AtomicBoolean stopRequested = new AtomicBoolean();

    public TandemBackfill() {
        this(System.getenv());
    }

    /** @param environment where password variables ({@code PGPASSWORD}, {@code --*-password-env}) are looked up */
    public TandemBackfill(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public Map<String, String> environment() {
        return environment;
    }

    /** Set by the first Ctrl-C: workers finish their running tasks and claim no more. */
    public AtomicBoolean stopRequested() {
        return stopRequested;
    }

    @Spec
    CommandSpec spec;

    /**
     * No command is a usage error (exit code 2, as the footer says), not a success: a script that lost its command to
     * a quoting slip must not go on as if a step had run.
     */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required command: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** The command as {@link #main} runs it. */
    public static CommandLine commandLine(TandemBackfill app) {
        return CredentialFlags.refusedIn(new CommandLine(app));
    }

    public static void main(String[] args) {
        TandemBackfill app = new TandemBackfill();
        Interrupts.install(app.stopRequested());
        System.exit(commandLine(app).execute(args));
    }
}
