package dev.tandem.proxy.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The relay layer's meters. The hot path only adds to {@link LongAdder}s indexed by type byte; Micrometer reads them
 * through function counters when scraped, so relaying a message costs no map lookup and no allocation.
 */
public final class RelayMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger active = new AtomicInteger();
    private final Counter accepted;
    private final LongAdder[] bytes = new LongAdder[Direction.values().length];
    private final LongAdder[][] messages = new LongAdder[Direction.values().length][129];
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();

    public RelayMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("tandem.connections.active", active, AtomicInteger::get)
                .description("Client connections open through the proxy").register(registry);
        accepted = Counter.builder("tandem.connections")
                .description("Client connections accepted").register(registry);
        for (Direction d : Direction.values()) {
            LongAdder b = new LongAdder();
            bytes[d.ordinal()] = b;
            FunctionCounter.builder("tandem.relay.bytes", b, LongAdder::sum)
                    .tag("direction", d.label()).description("Bytes relayed").register(registry);
            LongAdder other = new LongAdder();
            for (int type = 0; type < 128; type++) {
                String name = MessageNames.name(d, type);
                LongAdder counter = name == null ? other : new LongAdder();
                messages[d.ordinal()][type] = counter;
                if (name != null) {
                    register(d, name, counter);
                }
            }
            messages[d.ordinal()][128] = other;
            register(d, MessageNames.OTHER, other);
        }
    }

    private void register(Direction d, String type, LongAdder counter) {
        FunctionCounter.builder("tandem.relay.messages", counter, LongAdder::sum)
                .tag("direction", d.label()).tag("type", type)
                .description("Protocol messages relayed, by type").register(registry);
    }

    /** Reports how much of {@code limits.max-held-bytes} is reserved, and how many sessions wait for room. */
    void heldMessages(HeldFrameBudget budget) {
        Gauge.builder("tandem.relay.held.bytes", budget, HeldFrameBudget::reserved).baseUnit("bytes")
                .description("Bytes reserved for client messages held whole (limits.max-held-bytes)")
                .register(registry);
        Gauge.builder("tandem.relay.sessions.waiting", budget, HeldFrameBudget::waiting)
                .description("Sessions not read until held client messages of others complete").register(registry);
    }

    void connectionOpened() {
        accepted.increment();
        active.incrementAndGet();
    }

    void connectionClosed() {
        active.decrementAndGet();
    }

    public int activeConnections() {
        return active.get();
    }

    void bytes(Direction d, int n) {
        bytes[d.ordinal()].add(n);
    }

    void message(Direction d, byte type) {
        int i = type >= 0 ? type : 128;
        messages[d.ordinal()][i].increment();
    }

    /** Counts a connection that failed; {@code reason} is one of a small fixed set (never free text). */
    void connectionError(String reason) {
        errors.computeIfAbsent(reason, r -> Counter.builder("tandem.connection.errors").tag("reason", r)
                .description("Client connections that ended in an error, by reason").register(registry)).increment();
    }
}
