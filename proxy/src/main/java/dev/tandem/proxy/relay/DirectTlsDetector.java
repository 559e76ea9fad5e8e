package dev.tandem.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a direct TLS connection (PostgreSQL 17's {@code sslnegotiation=direct}: the client opens with a TLS
 * ClientHello, no SSLRequest) from every other start of a connection, by the first byte: a TLS handshake record starts
 * with 0x16, a startup packet with the high byte of its length, which is 0 for every length the proxy accepts.
 * It sees only the connection's first bytes, then leaves the pipeline:
 * <ul>
 *   <li>any other first byte: removed; the bytes it buffered go on to the startup handler;</li>
 *   <li>0x16 with client TLS configured: replaced by the TLS handler, which gets the buffered ClientHello (Netty hands a
 *       replaced decoder's buffer to its replacement); the startup handler then requires ALPN "postgresql";</li>
 *   <li>0x16 without: a fatal TLS alert, then close, so the client reports a TLS handshake failure. (PostgreSQL closes
 *       without a word; a 3.0 ErrorResponse here would be read as a broken TLS record.)</li>
 * </ul>
 */
final class DirectTlsDetector extends ByteToMessageDecoder {

    private static final Logger log = LoggerFactory.getLogger(DirectTlsDetector.class);

    static final byte TLS_HANDSHAKE_RECORD = 0x16;
    /** A TLS record (RFC 8446 5.1, 6): type alert (21), version 3.3, length 2, level fatal (2), handshake_failure (40). */
    static final byte[] HANDSHAKE_FAILURE_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};

    private final SslContext clientTls;
    private final RelayMetrics metrics;
    private boolean refused;

    /** @param clientTls the proxy's TLS for clients, or null when it has none */
    DirectTlsDetector(SslContext clientTls, RelayMetrics metrics) {
        this.clientTls = clientTls;
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!in.isReadable()) {
            return;
        }
        if (in.getByte(in.readerIndex()) != TLS_HANDSHAKE_RECORD) {
            ctx.pipeline().remove(this);
        } else if (clientTls != null) {
            ctx.pipeline().replace(this, "tls", clientTls.newHandler(ctx.alloc()));
        } else {
            refused = true;
            in.skipBytes(in.readableBytes());
            metrics.connectionError("tls_unavailable");
            log.info("refused a direct TLS connection from {}: no client TLS is configured (tls.cert, tls.key)",
                    ctx.channel().remoteAddress());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(HANDSHAKE_FAILURE_ALERT)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
