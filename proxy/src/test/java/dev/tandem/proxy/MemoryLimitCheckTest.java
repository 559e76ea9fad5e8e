package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryLimitCheckTest {

    private static final long GIB = 1L << 30;

    @Test
    void limitsWithinTheJvmsMemoryGiveNoWarning() {
        assertThat(MemoryLimitCheck.warnings(GIB, 2 * GIB, 4 * GIB, 4 * GIB)).isEmpty();
    }

    /** The defaults (1 GiB captured, 2 GiB held) under -Xmx1g: the JVM runs out before either limit holds anyone. */
    @Test
    void eachLimitLargerThanWhatHoldsItIsNamedWithBothSizes() {
        assertThat(MemoryLimitCheck.warnings(GIB, 2 * GIB, GIB, GIB)).containsExactly(
                "mirror.max-captured-bytes (1GiB) is more than half of the JVM's maximum heap (1GiB): raise -Xmx or"
                        + " lower it",
                "limits.max-held-bytes (2GiB) is more than the JVM's maximum direct memory (1GiB,"
                        + " -XX:MaxDirectMemorySize, as much as -Xmx unless set), where the proxy holds those messages:"
                        + " raise -XX:MaxDirectMemorySize or lower it");
    }
}
