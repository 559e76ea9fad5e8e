package dev.tandem.backfill.connect;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Refuses {@code --source-password} and its kind. There are no such flags, but picocli's own answer to an unknown
 * option repeats every unmatched argument, the password after it included, on stderr (and so into the CI or cron log
 * that collects it): this answer names the flag only and says where the password goes instead.
 */
public final class CredentialFlags {

    private CredentialFlags() {
    }

    /** {@code commandLine}, refusing credential flags before its usual handling of a bad argument. */
    public static CommandLine refusedIn(CommandLine commandLine) {
        IParameterExceptionHandler usual = commandLine.getParameterExceptionHandler();
        commandLine.setParameterExceptionHandler((e, args) -> {
            String flag = e instanceof UnmatchedArgumentException unmatched ? credentialFlag(unmatched.getUnmatched())
                    : null;
            if (flag == null) {
                return usual.handleParseException(e, args);
            }
            e.getCommandLine().getErr().println(e.getCommandLine().getCommandName() + ": " + flag + ": " + advice(flag));
            return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        return commandLine;
    }

    private static String credentialFlag(List<String> unmatched) {
        for (String argument : unmatched) {
            int equals = argument.indexOf('=');
            String name = (equals < 0 ? argument : argument.substring(0, equals)).toLowerCase(Locale.ROOT);
            if (name.startsWith("-") && !name.endsWith("-env")
                    && (name.contains("pass") || name.contains("token") || name.contains("secret"))) {
                return name;
            }
        }
        return null;
    }

    private static String advice(String flag) {
        String side = flag.contains("target") ? "target" : flag.contains("source") ? "source" : null;
        String variable = side == null ? "--source-password-env NAME and --target-password-env NAME"
                : "--" + side + "-password-env NAME";
        return "passwords are never taken from the command line (other users see them in ps, and shells keep them in"
                + " their history); put the password in an environment variable and name it with " + variable
                + ", or in a file named with " + variable.replace("-env NAME", "-file FILE") + ", or set PGPASSWORD";
    }
}
