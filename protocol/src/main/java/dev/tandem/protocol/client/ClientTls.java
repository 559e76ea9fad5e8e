package dev.tandem.protocol.client;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** The client side of a TLS connection to a PostgreSQL server, shared by the mirror's client and the relay. */
public final class ClientTls {

    private ClientTls() {
    }

    /**
     * A handler for a connection to {@code host}, as {@link SslContext#newHandler(ByteBufAllocator, String, int)} makes
     * it, that sends the host name (SNI) whenever {@code host} is not an IP address, as libpq does: the JDK sends it
     * only for names with a dot, so {@code localhost} or a container name such as {@code db} would go without, and
     * a TLS router in front of the server could not tell where to go.
     */
    public static SslHandler handler(SslContext context, ByteBufAllocator alloc, String host, int port) {
        SslHandler handler = context.newHandler(alloc, host, port);
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return handler;
        }
        SNIHostName name;
        try {
            name = new SNIHostName(host);
        } catch (IllegalArgumentException notADnsName) {
            // e.g. "db_1": TLS allows only DNS names here, and the JDK leaves such a name out too
            return handler;
        }
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(List.of(name));
        engine.setSSLParameters(parameters);
        return handler;
    }
}
