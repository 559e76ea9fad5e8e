package dev.tandem.proxy.config;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Refuses {@code --target-password} and its kind. There are no such flags, but picocli's own answer to an unknown
 * option repeats every unmatched argument, the password after it included, on stderr (and so into the journal or CI
 * log that collects it): this answer names the flag only and says where the secret goes instead.
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
            e.getCommandLine().getErr().println("tandem-proxy: " + flag + ": " + advice(flag));
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
        String why = "passwords and tokens are never taken from the command line (other users see them in ps, and"
                + " shells keep them in their history); ";
        if (flag.contains("target")) {
            return why + "put the target's password in environment variable " + Defaults.TARGET_PASSWORD_ENV
                    + ", or in the one named by target.password-env, or in the file named by target.password-file";
        }
        if (flag.contains("source")) {
            return why + "put the source's password in environment variable " + Defaults.SOURCE_PASSWORD_ENV
                    + ", or in the one named by source.password-env, or in the file named by source.password-file";
        }
        if (flag.contains("admin") || flag.contains("token")) {
            return why + "put the admin token in environment variable " + Defaults.ADMIN_TOKEN_ENV
                    + ", or in the one named by admin.token-env, or in the file named by admin.token-file";
        }
        return why + "put them in environment variables: " + Defaults.TARGET_PASSWORD_ENV + ", "
                + Defaults.SOURCE_PASSWORD_ENV + " and " + Defaults.ADMIN_TOKEN_ENV + ", or the ones named by"
                + " target.password-env, source.password-env and admin.token-env (or files: target.password-file,"
                + " source.password-file, admin.token-file)";
    }
}
