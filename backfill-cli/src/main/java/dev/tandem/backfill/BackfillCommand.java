package dev.tandem.backfill;

import dev.tandem.backfill.connect.ServerError;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Base of every subcommand: turns the operator-facing failures ({@link BackfillException}, database errors) into one
 * readable line on stderr and exit code 1, so no stack trace hides the message.
 */
public abstract class BackfillCommand implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    @ParentCommand
    protected TandemBackfill root;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (UsageException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        } catch (BackfillException e) {
            err().println("error: " + e.getMessage());
            return ExitCodes.FAILURE;
        } catch (SQLException e) {
            err().println("error: " + describe(e));
            return ExitCodes.FAILURE;
        } finally {
            out().flush();
            err().flush();
        }
    }

    /** Runs the command and returns its exit code. */
    protected abstract int execute() throws SQLException;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    protected Map<String, String> environment() {
        return root == null ? System.getenv() : root.environment();
    }

    /**
     * A database error as the operator needs it: which server raised it, when known, its message and SQLSTATE, e.g.
     * {@code the target refused: ERROR: new row for relation ... (SQLSTATE 23514)}.
     */
    public static String describe(SQLException e) {
        String state = e.getSQLState();
        return (e instanceof ServerError labelled ? labelled.origin() + ": " : "") + e.getMessage()
                + (state == null ? "" : " (SQLSTATE " + state + ")");
    }
}
