package dev.tandem.backfill;

import dev.tandem.testing.PgServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Runs {@code tandem-backfill} in-process, as {@code main} would, capturing its output. */
public final class Cli {

    /** One run: exit code, stdout, stderr. */
    public record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private Cli() {
    }

    public static Run run(String... args) {
        return run(Map.of(), args);
    }

    public static Run run(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TandemBackfill.commandLine(new TandemBackfill(environment));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** {@code --source} as a libpq URL and {@code --target} as a JDBC URL, so both forms are exercised. */
    public static List<String> connection(PgServer source, PgServer target, String database) {
        return List.of("--source", "postgres://" + source.user() + "@" + source.host() + ":" + source.port() + "/" + database,
                "--target", target.jdbcUrl(database) + "?user=" + target.user());
    }

    /** A command with the connection options of both sides, then {@code extra}. */
    public static Run both(String command, PgServer source, PgServer target, String database, String... extra) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(connection(source, target, database));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    /** A command that only needs the target. */
    public static Run targetOnly(String command, PgServer target, String database, String... extra) {
        List<String> args = new ArrayList<>(List.of(command, "--target", target.jdbcUrl(database) + "?user=" + target.user()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }
}
