package dev.tandem.backfill.connect;

import dev.tandem.backfill.UsageException;
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

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "Target database: JDBC URL or postgres://user@host:port/db")
    String target;

    @Option(names = "--target-password-env", paramLabel = "NAME",
            description = "Environment variable holding the target password (default: PGPASSWORD)")
    String targetPasswordEnv;

    public ConnectionSpec source(Map<String, String> environment) {
        try {
            return ConnectionSpec.parse(source, sourcePasswordEnv, environment);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--source: " + e.getMessage());
        }
    }

    public ConnectionSpec target(Map<String, String> environment) {
        try {
            return ConnectionSpec.parse(target, targetPasswordEnv, environment);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--target: " + e.getMessage());
        }
    }
}
