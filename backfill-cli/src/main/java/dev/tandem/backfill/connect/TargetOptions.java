package dev.tandem.backfill.connect;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --target} and its password options, for the commands that only touch the plan; {@link ConnectionOptions}
 * adds the source's.
 */
public final class TargetOptions {

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "Target database: JDBC URL or postgres://user@host:port/db")
    String target;

    @Option(names = "--target-password-env", paramLabel = "NAME",
            description = "Environment variable holding the target password (default: PGPASSWORD)")
    String targetPasswordEnv;

    @Option(names = "--target-password-file", paramLabel = "FILE",
            description = "File holding the target password, e.g. a mounted secret (wins over the variables)")
    Path targetPasswordFile;

    public ConnectionSpec target(Map<String, String> environment) {
        return ConnectionSpec.parseOption("--target", target, targetPasswordEnv, targetPasswordFile, environment);
    }
}
