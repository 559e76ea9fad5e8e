package dev.tandem.proxy.mirror;

import dev.tandem.testing.PostgresPairExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link MirrorProxyExtension} per mirror mode a {@link ClientScript} runs under, for a whole test class: each proxy
 * on a fresh database of its own with the class's tables (those every script writes, which it mirrors and empties
 * before each test), handed to the class by mode once all run.
 */
final class MirrorProxiesPerMode implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private final List<MirrorProxyExtension> proxies = new ArrayList<>();
    private final Map<String, RunningMirrorProxy> started = new LinkedHashMap<>();
    private final Consumer<Map<String, RunningMirrorProxy>> handOver;

    private MirrorProxiesPerMode(PostgresPairExtension pg, String name,
                                 Consumer<Map<String, RunningMirrorProxy>> handOver) {
        this.handOver = handOver;
        for (String mode : ClientScript.MODES) {
            proxies.add(MirrorProxyExtension.on(pg, name + "_" + mode, proxy -> started.put(mode, proxy))
                    .flags("--mirror-mode", mode, "--instance-id", name.replace('_', '-') + "-" + mode,
                            "--mirror-table", "public.metrics", "--mirror-table", "public.readings")
                    .emptiedBeforeEach(ClientScript.TABLES));
        }
    }

    /**
     * @param name     what each database's name starts with (and, with dashes, each proxy's instance id)
     * @param handOver takes the proxies by mode once they all run
     */
    static MirrorProxiesPerMode on(PostgresPairExtension pg, String name,
                                   Consumer<Map<String, RunningMirrorProxy>> handOver) {
        return new MirrorProxiesPerMode(pg, name, handOver);
    }

    /** Runs {@code ddl}, which creates tables {@code metrics} and {@code readings}, in each database on both sides. */
    MirrorProxiesPerMode tables(String ddl) {
        proxies.forEach(proxy -> proxy.tables(ddl));
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        for (MirrorProxyExtension proxy : proxies) {
            proxy.beforeAll(context);
        }
        handOver.accept(Collections.unmodifiableMap(started));
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        for (MirrorProxyExtension proxy : proxies) {
            proxy.beforeEach(context);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        for (MirrorProxyExtension proxy : proxies) {
            proxy.afterAll(context);
        }
    }
}
