package dev.tandem.proxy.relay;

import dev.tandem.protocol.backend.Authentication;
import dev.tandem.protocol.backend.AuthenticationSASL;
import dev.tandem.protocol.backend.NegotiateProtocolVersion;
import dev.tandem.protocol.backend.NoticeResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * On a source connection with TLS relayed to a client without it: takes {@code SCRAM-SHA-256-PLUS} out of the
 * mechanisms the source offers, as a server without TLS would not offer it.
 *
 * <p>The source offers channel binding because its own connection, the proxy's, is TLS; but the client has no TLS
 * channel to bind to, and libpq ends such a session at once ("server offered SCRAM-SHA-256-PLUS authentication over a
 * non-SSL connection"), whatever its {@code channel_binding}: every libpq client in plain text to the proxy failed
 * against a source that authenticates with SCRAM over TLS, the default {@code source.tls: prefer} included. Without
 * the offer the client answers with plain SCRAM and flag {@code n} ("no channel binding support"), which the source
 * accepts over TLS. A client with {@code channel_binding=require} is refused by its own driver, with its own words.
 *
 * <p>Only the first messages of the session pass through here: whole, until the source's first Authentication
 * request (the one that offers SASL, if any) or any other message that ends the start of the exchange; then this
 * handler removes itself and the bytes behind go on unchanged.
 */
final class PlainClientSaslOffer extends ByteToMessageDecoder {

    static final String NAME = "plain-client-sasl-offer";
    static final String CHANNEL_BINDING = "SCRAM-SHA-256-PLUS";

    private static final int HEADER = 5;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= HEADER) {
            int start = in.readerIndex();
            byte type = in.getByte(start);
            int length = in.getInt(start + 1);
            if (length < 4 || length - 4 > RelaySession.MAX_HELD_BEFORE_READY) {
                // not an authentication request: the relay's own scanner judges it
                ctx.pipeline().remove(this);
                return;
            }
            if (in.readableBytes() < 1 + length) {
                return;
            }
            ByteBuf frame = in.readRetainedSlice(1 + length);
            if (type == NegotiateProtocolVersion.TYPE || type == NoticeResponse.TYPE) {
                out.add(frame); // may come before the authentication request
                continue;
            }
            out.add(type == Authentication.TYPE && length >= 8 && frame.getInt(HEADER) == Authentication.SASL
                    ? withoutChannelBinding(ctx, frame) : frame);
            ctx.pipeline().remove(this);
            return;
        }
    }

    /** @param frame an AuthenticationSASL frame; ownership passes to this method */
    private static ByteBuf withoutChannelBinding(ChannelHandlerContext ctx, ByteBuf frame) {
        AuthenticationSASL offer;
        try {
            offer = AuthenticationSASL.decode(frame.duplicate());
        } catch (IllegalArgumentException e) {
            return frame; // malformed: relayed as it came, for the client to judge as it would the source's
        }
        List<String> kept = offer.mechanisms().stream().filter(m -> !m.equals(CHANNEL_BINDING)).toList();
        if (kept.size() == offer.mechanisms().size() || kept.isEmpty()) {
            return frame;
        }
        frame.release();
        ByteBuf rewritten = ctx.alloc().buffer();
        new AuthenticationSASL(kept).encode(rewritten);
        return rewritten;
    }
}
