package dev.tandem.proxy;

import dev.tandem.proxy.config.Sizes;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the memory limits of a mirroring proxy fit in the JVM's: what {@code mirror.max-captured-bytes} bounds is
 * held in the heap, what {@code limits.max-held-bytes} bounds in direct buffers. A limit larger than the JVM's own is
 * no bound: the JVM runs out first, and the session or the mirror stops with 53200 where the limit would have made a
 * session wait.
 */
final class MemoryLimitCheck {

    private MemoryLimitCheck() {
    }

    /** One warning per limit that does not fit, naming both numbers and what to change. */
    static List<String> warnings(long maxCapturedBytes, long maxHeldBytes, long maxHeap, long maxDirect) {
        List<String> warnings = new ArrayList<>();
        if (maxCapturedBytes > maxHeap / 2) {
            warnings.add("mirror.max-captured-bytes (" + Sizes.format(maxCapturedBytes) + ") is more than half of the"
                    + " JVM's maximum heap (" + Sizes.format(maxHeap) + "): raise -Xmx or lower it");
        }
        if (maxHeldBytes > maxDirect) {
            warnings.add("limits.max-held-bytes (" + Sizes.format(maxHeldBytes) + ") is more than the JVM's maximum"
                    + " direct memory (" + Sizes.format(maxDirect) + ", -XX:MaxDirectMemorySize, as much as -Xmx unless"
                    + " set), where the proxy holds those messages: raise -XX:MaxDirectMemorySize or lower it");
        }
        return warnings;
    }
}
