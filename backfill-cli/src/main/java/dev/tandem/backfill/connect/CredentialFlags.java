package dev.tandem.backfill.connect;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Refuses {@code --source-password} and its kind. There are no such flags, but picocli's own answer to an unknown
 * option repeats every unmatched argument, the password after it included, on stderr (and so into the CI or cron log
 * that collects it): this answer names the flag only and says where the password goes instead. For the same reason
 * a URL's password in any other argument picocli repeats ({@code --source} given to a command without it, a URL left
 * over after a quoting slip) is shown as {@code ***}.
 */
public final class CredentialFlags {

    /**
     * The password of a URL's {@code user:password@}, up to the argument's last '@': a password with an unescaped '@'
     * or '/' is hidden whole (and, where a later '@' is no password's, a little more than the password).
     */
    private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/?#@\\s']*:)[^\\s']*@");
    /** A {@code password} parameter of a JDBC URL, or of a libpq URL's query. */
    private static final Pattern PARAMETER_PASSWORD = Pattern.compile("(?i)([?&]password=)[^&\\s']*");

    private CredentialFlags() {
    }

    /** {@code commandLine}, refusing credential flags before its usual handling of a bad argument. */
    public static CommandLine refusedIn(CommandLine commandLine) {
        IParameterExceptionHandler usual = commandLine.getParameterExceptionHandler();
        commandLine.setParameterExceptionHandler((e, args) -> {
            String flag = e instanceof UnmatchedArgumentException unmatched ? credentialFlag(unmatched.getUnmatched())
                    : null;
            if (flag == null) {
                String message = String.valueOf(e.getMessage());
                String redacted = redacted(message);
                if (redacted.equals(message)) {
                    return usual.handleParseException(e, args);
                }
                // picocli's usual answer, but with the message redacted
                PrintWriter err = e.getCommandLine().getErr();
                err.println(redacted);
                if (!UnmatchedArgumentException.printSuggestions(e, err)) {
                    e.getCommandLine().usage(err);
                }
                return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
            }
            e.getCommandLine().getErr().println(e.getCommandLine().getCommandName() + ": " + flag + ": " + advice(flag));
            return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        return commandLine;
    }

    /** {@code text} with the passwords of the URLs in it replaced by {@code ***}. */
    private static String redacted(String text) {
        String withoutUserInfo = URL_PASSWORD.matcher(text).replaceAll("$1***@");
        return PARAMETER_PASSWORD.matcher(withoutUserInfo).replaceAll("$1***");
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
