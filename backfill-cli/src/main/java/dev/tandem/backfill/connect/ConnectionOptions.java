package dev.tandem.backfill.connect;

import dev.tandem.backfill.UsageException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --source}/{@code --target} and their password variables, shared by the commands that read both sides. */
public final class ConnectionOptions {

    @Option(names = "--source", required = true, paramLabel = "URL",
            description = "Source database: JDBC URL or postgres://user@host:port/db")
    String source;

    @Option(names = "--source-password-env", paramLabel = "NAME",
            description = "Environment variable holding the source password (default: PGPASSWORD)")
    String sourcePasswordEnv;

    @Option(names = "--source-password-file", paramLabel = "FILE",
            description = "File holding the source password, e.g. a mounted secret (wins over the variables)")
    Path sourcePasswordFile;

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "Target database: JDBC URL or postgres://user@host:port/db")
    String target;

    @Option(names = "--target-password-env", paramLabel = "NAME",
            description = "Environment variable holding the target password (default: PGPASSWORD)")
    String targetPasswordEnv;

    @Option(names = "--target-password-file", paramLabel = "FILE",
            description = "File holding the target password, e.g. a mounted secret (wins over the variables)")
    Path targetPasswordFile;

    public ConnectionSpec source(Map<String, String> environment) {
        try {
            return ConnectionSpec.parse(source, sourcePasswordEnv, sourcePasswordFile, environment);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--source: " + e.getMessage());
        }
    }

    public ConnectionSpec target(Map<String, String> environment) {
        try {
            return ConnectionSpec.parse(target, targetPasswordEnv, targetPasswordFile, environment);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--target: " + e.getMessage());
        }
    }
}
