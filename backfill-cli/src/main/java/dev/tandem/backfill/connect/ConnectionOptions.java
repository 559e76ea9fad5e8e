package dev.tandem.backfill.connect;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Mixin;
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

    /** {@code --target} and its password options, the same as for the commands that only touch the target. */
    @Mixin
    TargetOptions targetOptions;

    public ConnectionSpec source(Map<String, String> environment) {
        return ConnectionSpec.parseOption("--source", source, sourcePasswordEnv, sourcePasswordFile, environment);
    }

    public ConnectionSpec target(Map<String, String> environment) {
        return targetOptions.target(environment);
    }
}
