package dev.tandem.backfill.copy;

import dev.tandem.backfill.plan.Slice;
import dev.tandem.backfill.plan.StageCommand;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --mirror-wait}: how long a command waits for the proxies' mirrors to catch up ({@link MirrorCatchUp}). */
public final class MirrorWaitOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--mirror-wait", paramLabel = "INTERVAL", defaultValue = "2 min",
            converter = StageCommand.SliceConverter.class,
            description = "Wait at most this long for every proxy mirroring into the target to apply what the source"
                    + " committed before the wait (default: ${DEFAULT-VALUE}); then stop with an error")
    Slice mirrorWait;

    /** @throws ParameterException for a value without a unit, which parses as zero */
    public Duration duration() {
        if (mirrorWait.micros() == 0) {
            throw new ParameterException(spec.commandLine(),
                    "--mirror-wait must be a duration such as '2 min', not '" + mirrorWait + "'");
        }
        return Duration.ofNanos(mirrorWait.micros() * 1000);
    }
}
