package dev.tandem.proxy.mirror;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ConcurrentUpsertsIT}'s load for minutes and with more sessions, to find reorderings too rare for a few
 * seconds, and to measure how often the order-uncertain counter fires against how often the target really applied
 * two upserts of a key in the other order (printed in
 * {@code proxy/target/failsafe-reports/dev.tandem.proxy.mirror.ConcurrentUpsertsSoakIT-output.txt}).
 *
 * <p>Tagged {@code soak}: excluded from the normal build. Run it with
 * <pre>
 * ./mvnw -B -o verify -pl protocol,proxy -am -Dgroups=soak -Dit.test=ConcurrentUpsertsSoakIT -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
 *     [-Dtandem.contended.seconds=60] [-Dtandem.contended.clients=16] [-Dtandem.contended.seed=N]
 * </pre>
 */
@Tag("soak")
class ConcurrentUpsertsSoakIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @ParameterizedTest
    @ValueSource(strings = {"async", "sync"})
    void everyDifferenceUnderContendedKeysIsCountedForMinutes(String mode, @TempDir Path spool) throws Exception {
        String db = ContendedKeys.database(PG.pair(), "contended_soak_" + mode);
        long seed = Long.getLong("tandem.contended.seed", new SecureRandom().nextLong());
        Duration duration = Duration.ofSeconds(Long.getLong("tandem.contended.seconds", 60));
        int clients = Integer.getInteger("tandem.contended.clients", 16);
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool,
                ConcurrentUpsertsIT.withMode(mode))) {
            ContendedKeys.Report report = ContendedKeys.run(PG.pair(), proxy,
                    new ContendedKeys.Load(clients, Integer.MAX_VALUE, duration, seed));
            System.out.printf("ConcurrentUpsertsSoakIT %s %s, %d clients, seed=%d (-Dtandem.contended.seed=%d)%n%s",
                    mode, duration, clients, seed, seed, report);
            ContendedKeys.assertNothingSilent(report);
        }
    }
}
