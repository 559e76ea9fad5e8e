package dev.tandem.proxy.mirror;

import dev.tandem.protocol.client.PgClient;
import dev.tandem.protocol.client.PgClientConfig;
import dev.tandem.protocol.client.PgConnection;
import dev.tandem.proxy.config.Secret;
import dev.tandem.proxy.config.TargetConfig;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.CompletableFuture;

/** Opens the proxy's own connections to target databases with the target credentials. */
public final class TargetConnector {

    private final ApplierRun run = ApplierRun.now();
    private final PgClientConfig base;
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;

    /**
     * @param group       the caller owns it
     * @param channelType the socket channel of {@code group}'s transport
     */
    public TargetConnector(TargetConfig target, EventLoopGroup group, Class<? extends Channel> channelType) {
        this.base = new PgClientConfig(target.host(), target.port(), "postgres", target.user(),
                target.password().map(Secret::reveal).orElse(""), target.tls().clientMode(),
                target.caFile().orElse(null),
                target.connectTimeout() != null ? target.connectTimeout() : PgClientConfig.DEFAULT_CONNECT_TIMEOUT,
                run.applicationName(), "target.tls");
        this.group = group;
        this.channelType = channelType;
    }

    /** The run whose connections these are: one connector per applier. */
    ApplierRun run() {
        return run;
    }

    /** Connects to {@code database} on the target; fails with a {@link dev.tandem.protocol.client.PgException}. */
    public CompletableFuture<PgConnection> connect(String database) {
        return PgClient.connect(base.withDatabase(database), group, channelType);
    }
}
