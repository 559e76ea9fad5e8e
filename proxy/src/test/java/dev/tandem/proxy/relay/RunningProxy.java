package dev.tandem.proxy.relay;

import dev.tandem.testing.PgServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.util.function.UnaryOperator;

/** A proxy in front of a test server, on a free loopback port. */
final class RunningProxy implements AutoCloseable {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ProxyServer server;

    private RunningProxy(RelaySettings settings, SessionTap.Factory taps) throws InterruptedException {
        server = new ProxyServer(settings, new RelayMetrics(registry), taps).start();
    }

    static RunningProxy with(RelaySettings settings) throws InterruptedException {
        return new RunningProxy(settings, null);
    }

    /** A proxy that shows every session to {@code taps}, as the mirror's proxy does. */
    static RunningProxy tapped(PgServer source, SessionTap.Factory taps) throws InterruptedException {
        return new RunningProxy(RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress(source.host(), source.port())), taps);
    }

    static RunningProxy in(PgServer source) throws InterruptedException {
        return in(source, s -> s);
    }

    static RunningProxy in(PgServer source, UnaryOperator<RelaySettings> customise) throws InterruptedException {
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress(source.host(), source.port()));
        return new RunningProxy(customise.apply(settings), null);
    }

    int port() {
        return server.address().getPort();
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    double counter(String name, String... tags) {
        var search = registry.find(name).tags(tags);
        var fc = search.functionCounter();
        if (fc != null) {
            return fc.count();
        }
        var c = search.counter();
        return c == null ? 0 : c.count();
    }

    @Override
    public void close() {
        server.close(java.time.Duration.ofSeconds(2));
    }
}
