package dev.tandem.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad flags are usage errors: exit code 2 and a message saying what is wrong, before any connection is made. */
class CliUsageTest {

    private static final String[] CONNECTION = {"--source", "postgres://u@127.0.0.1:1/db", "--target",
        "jdbc:postgresql://127.0.0.1:1/db"};

    private static Cli.Run run(String command, String... extra) {
        String[] args = new String[1 + CONNECTION.length + extra.length];
        args[0] = command;
        System.arraycopy(CONNECTION, 0, args, 1, CONNECTION.length);
        System.arraycopy(extra, 0, args, 1 + CONNECTION.length, extra.length);
        return Cli.run(args);
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.Run run = Cli.run();
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("Missing required command: one of stage, copy, verify, repair, settle")
                .contains("Usage: tandem-backfill");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Cli.Run run = run("copy", "--paralelism", "3");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("Unknown options: '--paralelism'").contains("Possible solutions: --parallelism");
    }

    @Test
    void missingConnectionIsAUsageError() {
        Cli.Run run = Cli.run("verify", "--source", "postgres://u@h/db");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("Missing required option: '--target=URL'");
    }

    @Test
    void aMetricsPortOutOfRangeIsAUsageError() {
        for (String command : List.of("copy", "repair")) {
            Cli.Run run = run(command, "--metrics-port", "99999");
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).contains("Invalid value for option '--metrics-port': 99999 is not a port: allowed 0"
                    + " (any free port) to 65535").doesNotContain("IllegalArgumentException");
        }
    }

    @Test
    void aBoundRelativeToTheDayIsAUsageError() {
        for (List<String> flags : List.of(List.of("--until", "yesterday"), List.of("--until", "Today 12:00"),
                List.of("--from", "now"), List.of("--until", "2026-11-27", "--from", "tomorrow"))) {
            Cli.Run run = run("stage", flags.toArray(String[]::new));
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).as(flags.toString()).contains("means another time on every run");
        }
    }

    @Test
    void malformedTableIsAUsageErrorThatSaysTheSchemaIsOptional() {
        Cli.Run run = run("stage", "--table", "public.metrics");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--table needs [schema.]table:timecol[:slice] (the schema defaults to public),"
                + " got 'public.metrics'");
        // as the message says, a table without its schema is taken: the command goes on to connect (and fails there)
        Cli.Run noSchema = run("stage", "--table", "metrics:t");
        assertThat(noSchema.exitCode()).as(noSchema.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(noSchema.err()).doesNotContain("--table");
    }

    @Test
    void malformedSliceIsAUsageError() {
        Cli.Run run = run("stage", "--table", "m:t", "--slice", "fortnight");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("cannot read slice 'fortnight'");
    }

    @Test
    void malformedLedgerEntryIdIsAUsageError() {
        Cli.Run run = Cli.run("settle", "--target", "jdbc:postgresql://127.0.0.1:1/db", "4,9-5");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("the span '9-5' runs backwards: write 5-9");
        assertThat(Cli.run("settle", "--target", "jdbc:postgresql://127.0.0.1:1/db").err())
                .contains("Missing required parameter: 'ID'");
    }

    @Test
    void malformedUrlIsAUsageErrorThatHidesThePassword() {
        Cli.Run run = Cli.run("status", "--target", "mysql://admin:s3cret@host/db");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--target").contains("neither a JDBC URL").doesNotContain("s3cret");
    }

    @Test
    void aUrlPortOutOfRangeIsAUsageErrorNamingIt() {
        Cli.Run run = Cli.run("status", "--target", "postgres://u@127.0.0.1:99999/db");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--target: '99999' in '127.0.0.1:99999' is not a port; allowed 1 to 65535")
                .doesNotContain("No suitable driver");
        Cli.Run jdbc = Cli.run("status", "--target", "jdbc:postgresql://u:s3cret@h:70000/db");
        assertThat(jdbc.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(jdbc.err()).contains("a JDBC URL has no user:password@ part").doesNotContain("s3cret");
    }

    @Test
    void aPasswordFlagIsRefusedWithoutRepeatingThePassword() {
        for (String[] flag : List.of(new String[] {"--target-password", "hunter2"},
                new String[] {"--source-password=hunter2"}, new String[] {"--password", "hunter2"})) {
            List<String> args = new ArrayList<>(List.of("status", "--target", "postgres://u@h/db"));
            args.addAll(List.of(flag));
            Cli.Run run = Cli.run(args.toArray(String[]::new));
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).as(run.toString()).contains(flag[0].split("=")[0])
                    .contains("-password-env NAME").contains("PGPASSWORD").doesNotContain("hunter2");
        }
    }

    /**
     * picocli repeats an argument it cannot place: {@code --source} given to {@code status}, which has none, or a URL
     * left over after a quoting slip, with the password a URL may carry.
     */
    @Test
    void anUnmatchedArgumentIsRepeatedWithoutThePasswordItsUrlCarries() {
        List<String[]> commands = List.of(
                new String[] {"status", "--source=postgres://u:hunter2@127.0.0.1:1/db", "--target", "postgres://u@h/db"},
                new String[] {"status", "--target", "postgres://u@h/db", "postgresql://u:hunter2@127.0.0.1:1/db"},
                new String[] {"status", "--target", "postgres://u@h/db", "postgresql://u:hun@ter/2@127.0.0.1:1/db"},
                new String[] {"status", "--target", "postgres://u@h/db",
                    "--source=jdbc:postgresql://127.0.0.1:1/db?user=u&password=hunter2&sslmode=require"});
        for (String[] command : commands) {
            Cli.Run run = Cli.run(command);
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).as(run.toString()).doesNotContain("hunter2").doesNotContain("ter/2").contains("Usage: tandem-backfill status")
                    .containsAnyOf("Unknown option: '--source=", "Unmatched argument at index 3: 'postgresql://u:***@");
        }
        assertThat(Cli.run(commands.get(3)).err()).contains("password=***&sslmode=require");
    }

    @Test
    void aJdbcUrlThePoolCannotUseIsReportedWithoutItsPassword() {
        Cli.Run run = Cli.run("status", "--target", "jdbc:postgresql://127.0.0.1:notaport/db?user=u&password=hunter2");
        assertThat(run.exitCode()).as(run.toString()).isNotZero();
        assertThat(run.out() + run.err()).as(run.toString()).doesNotContain("hunter2");
    }

    @Test
    void missingPasswordVariableIsAUsageError() {
        Cli.Run run = run("verify", "--source-password-env", "TANDEM_TEST_UNSET_VARIABLE");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("TANDEM_TEST_UNSET_VARIABLE").contains("is not set");
    }

    @Test
    void zeroParallelismIsAUsageError() {
        Cli.Run run = run("copy", "--parallelism", "0");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--parallelism must be at least 1");
    }

    @Test
    void helpListsTheSubcommandsAndExitCodes() {
        Cli.Run run = Cli.run("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("stage", "copy", "verify", "repair", "settle", "status", "clean", "refresh-caggs",
                        "forget-instance")
                .contains("3  verify found differences");
    }

    @Test
    void forgetInstanceNeedsTheInstanceId() {
        Cli.Run run = Cli.run("forget-instance", "--target", "jdbc:postgresql://127.0.0.1:1/db");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("Missing required parameter: 'INSTANCE_ID'");
    }

    @Test
    void stageAndRepairOfferTheStatementThatTheWritersHaveStopped() {
        for (String command : List.of("stage", "repair")) {
            Cli.Run run = Cli.run(command, "--help");
            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.out().replaceAll("\\s+", " ")).as(command).contains("--writers-stopped State that every"
                    + " writer has stopped (the cutover, step 7 of docs/migration.md)")
                    .contains("not checked with --writers-stopped");
        }
    }

    @Test
    void helpListsEachSubcommandsWholeSummary() {
        String help = Cli.run("--help").out().replaceAll("\\s+", " ");
        assertThat(help).contains("or per --slice of each --table, up to --until, after checking")
                .contains("delete the target rows of the range and stream the source's rows")
                .contains("a checksum of the full row contents")
                .contains("recorded in the proxy's divergence ledger");
    }
}
