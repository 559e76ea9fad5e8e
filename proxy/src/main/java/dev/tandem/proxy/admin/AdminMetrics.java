package dev.tandem.proxy.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Binds the process-level meters that every Tandem process exports next to its own metrics. */
public final class AdminMetrics {

    /** Micrometer name of {@code tandem_netty_memory_used_bytes{allocator,type}}. */
    public static final String NETTY_MEMORY_USED = "tandem.netty.memory.used";

    private AdminMetrics() {
    }

    /**
     * Binds JVM memory, GC, threads, class loading, processor, file descriptors and uptime meters.
     *
     * @return closes the GC meters' JMX listener; call it when the process shuts down
     */
    public static AutoCloseable bindJvm(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return gc::close;
    }

    /**
     * Gauges of heap and direct memory held by Netty's allocators: the default one (adaptive in Netty 4.2) that
     * channels use unless told otherwise, and {@link PooledByteBufAllocator#DEFAULT} when it is a different one.
     */
    public static void bindNettyAllocators(MeterRegistry registry) {
        Map<String, ByteBufAllocatorMetric> allocators = new LinkedHashMap<>();
        addAllocator(allocators, ByteBufAllocator.DEFAULT);
        addAllocator(allocators, PooledByteBufAllocator.DEFAULT);
        allocators.forEach((kind, metric) -> {
            Gauge.builder(NETTY_MEMORY_USED, metric, ByteBufAllocatorMetric::usedHeapMemory)
                    .description("Memory held by a Netty buffer allocator")
                    .baseUnit(BaseUnits.BYTES)
                    .tags("allocator", kind, "type", "heap")
                    .register(registry);
            Gauge.builder(NETTY_MEMORY_USED, metric, ByteBufAllocatorMetric::usedDirectMemory)
                    .description("Memory held by a Netty buffer allocator")
                    .baseUnit(BaseUnits.BYTES)
                    .tags("allocator", kind, "type", "direct")
                    .register(registry);
        });
    }

    private static void addAllocator(Map<String, ByteBufAllocatorMetric> allocators, ByteBufAllocator allocator) {
        if (allocator instanceof ByteBufAllocatorMetricProvider provider) {
            allocators.putIfAbsent(kind(allocator), provider.metric());
        }
    }

    private static String kind(ByteBufAllocator allocator) {
        if (allocator instanceof PooledByteBufAllocator) {
            return "pooled";
        }
        if (allocator instanceof AdaptiveByteBufAllocator) {
            return "adaptive";
        }
        return allocator.getClass().getSimpleName().replace("ByteBufAllocator", "").toLowerCase(Locale.ROOT);
    }
}
