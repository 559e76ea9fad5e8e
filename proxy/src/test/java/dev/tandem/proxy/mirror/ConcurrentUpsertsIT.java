package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many sessions upserting, inserting and racing on the same few keys through a whole proxy, in async and sync mode:
 * whatever order the target applies them in, every difference from the source is counted or ledgered
 * ({@link ContendedKeys}), and explicit transactions are applied in the source's order. The proxy reads the source's
 * answers through a {@link JitteryLink}, which delays each by up to {@value #JITTER_MS} ms: the answer to a COMMIT
 * often comes after that of the session that waited for its lock, as on a busy proxy. A few seconds each;
 * {@link ConcurrentUpsertsSoakIT} runs the same load for minutes, without the link.
 */
class ConcurrentUpsertsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static final int JITTER_MS = 20;

    @ParameterizedTest
    @ValueSource(strings = {"async", "sync"})
    void everyDifferenceUnderContendedKeysIsCounted(String mode, @TempDir Path spool) throws Exception {
        String db = ContendedKeys.database(PG.pair(), "contended_" + mode);
        long seed = Long.getLong("tandem.contended.seed", new SecureRandom().nextLong());
        try (JitteryLink link = JitteryLink.to(PG.source().host(), PG.source().port(), Duration.ofMillis(JITTER_MS),
                seed);
             RunningMirrorProxy proxy = RunningMirrorProxy.startThrough(link.address(), PG.pair(), db, spool,
                     withMode(mode))) {
            ContendedKeys.Report report = ContendedKeys.run(PG.pair(), proxy,
                    new ContendedKeys.Load(8, 60, null, seed));
            System.out.printf("ConcurrentUpsertsIT %s seed=%d (-Dtandem.contended.seed=%d)%n%s", mode, seed, seed,
                    report);
            ContendedKeys.assertNothingSilent(report);
        }
    }

    /**
     * Explicit transactions of one upsert each, all of one key: nearly each waits for the lock of the one before, and
     * its COMMIT's answer is often read before that one's. The target applies them in the source's order all the same.
     */
    @ParameterizedTest
    @ValueSource(strings = {"async", "sync"})
    void explicitTransactionsOfOneKeyAreAppliedInTheSourcesOrder(String mode, @TempDir Path spool) throws Exception {
        String db = ContendedKeys.database(PG.pair(), "one_key_" + mode);
        long seed = Long.getLong("tandem.contended.seed", new SecureRandom().nextLong());
        try (JitteryLink link = JitteryLink.to(PG.source().host(), PG.source().port(), Duration.ofMillis(JITTER_MS),
                seed);
             RunningMirrorProxy proxy = RunningMirrorProxy.startThrough(link.address(), PG.pair(), db, spool,
                     withMode(mode))) {
            ContendedKeys.Report report = ContendedKeys.runOneKey(PG.pair(), proxy,
                    new ContendedKeys.Load(8, 40, null, seed));
            System.out.printf("ConcurrentUpsertsIT one key %s seed=%d (-Dtandem.contended.seed=%d)%n%s", mode, seed,
                    seed, report);
            ContendedKeys.TableReport last = report.table("last");
            assertThat(last.reordered().pairs()).as("pairs applied in the other order: %s", report).isZero();
            assertThat(last.differingRows()).as("%s", report).isZero();
            assertThat(last.uncertain()).as("the sequencer ordered them all: none is uncertain: %s", report).isZero();
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
