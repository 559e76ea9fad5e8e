package dev.tandem.proxy.mirror;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many sessions upserting, inserting and racing on the same few keys through a whole proxy, in async and sync mode:
 * whatever order the target applies them in, every difference from the source is counted or ledgered
 * ({@link ContendedKeys}). A few seconds each; {@link ConcurrentUpsertsSoakIT} runs the same load for minutes.
 */
class ConcurrentUpsertsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @ParameterizedTest
    @ValueSource(strings = {"async", "sync"})
    void everyDifferenceUnderContendedKeysIsCounted(String mode, @TempDir Path spool) throws Exception {
        String db = ContendedKeys.database(PG.pair(), "contended_" + mode);
        long seed = Long.getLong("tandem.contended.seed", new SecureRandom().nextLong());
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, withMode(mode))) {
            ContendedKeys.Report report = ContendedKeys.run(PG.pair(), proxy,
                    new ContendedKeys.Load(8, 60, null, seed));
            System.out.printf("ConcurrentUpsertsIT %s seed=%d (-Dtandem.contended.seed=%d)%n%s", mode, seed, seed,
                    report);
            ContendedKeys.assertNothingSilent(report);
        }
    }

    static String[] withMode(String mode) {
        String[] args = new String[ContendedKeys.MIRRORED.length + 2];
        System.arraycopy(ContendedKeys.MIRRORED, 0, args, 0, ContendedKeys.MIRRORED.length);
        args[args.length - 2] = "--mirror-mode";
        args[args.length - 1] = mode;
        return args;
    }
}
