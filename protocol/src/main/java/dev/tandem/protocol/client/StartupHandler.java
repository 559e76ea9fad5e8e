package dev.tandem.protocol.client;

import dev.tandem.protocol.backend.Authentication;
import dev.tandem.protocol.backend.AuthenticationCleartextPassword;
import dev.tandem.protocol.backend.AuthenticationMD5Password;
import dev.tandem.protocol.backend.AuthenticationOk;
import dev.tandem.protocol.backend.AuthenticationSASL;
import dev.tandem.protocol.backend.AuthenticationSASLContinue;
import dev.tandem.protocol.backend.AuthenticationSASLFinal;
import dev.tandem.protocol.backend.BackendKeyData;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.NegotiateProtocolVersion;
import dev.tandem.protocol.backend.NoticeResponse;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.PasswordMessage;
import dev.tandem.protocol.frontend.StartupMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Drives a connection from StartupMessage to the first ReadyForQuery, then replaces itself with the
 * {@link ExchangeHandler} of a new {@link PgConnection} ("handshake first, then relay").
 *
 * <pre>
 *  AWAITING_REQUEST --AuthenticationOk-----------------------------------------------&gt; AUTHENTICATED
 *  AWAITING_REQUEST --Cleartext | MD5 / send PasswordMessage-------&gt; AWAITING_OK --Ok--&gt; AUTHENTICATED
 *  AWAITING_REQUEST --SASL / send SASLInitialResponse--&gt; SASL_CONTINUE
 *  SASL_CONTINUE --SASLContinue / send SASLResponse--&gt; SASL_FINAL --SASLFinal / verify--&gt; AWAITING_OK
 *  AUTHENTICATED --ParameterStatus | BackendKeyData | Notice--&gt; AUTHENTICATED --ReadyForQuery--&gt; handed over
 *  any --ErrorResponse--&gt; failed with the server's SQLSTATE; any other message --&gt; failed with 08P01
 * </pre>
 */
final class StartupHandler extends ChannelInboundHandlerAdapter {

    /** PostgreSQL caps a message at 1 GB; a frame beyond that is garbage or an attack. */
    static final int MAX_FRAME_BYTES = (1 << 30) + 5;

    enum Phase { AWAITING_REQUEST, AWAITING_OK, SASL_CONTINUE, SASL_FINAL, AUTHENTICATED }

    private final PgClientConfig config;
    private final CompletableFuture<PgConnection> result;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private BackendKeyData keyData;
    private ScramAuthentication scram;
    private Phase phase = Phase.AWAITING_REQUEST;
    private boolean started;

    StartupHandler(PgClientConfig config, CompletableFuture<PgConnection> result) {
        this.config = config;
        this.result = result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().addBefore(ctx.name(), "frames", new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 1, 4, -4, 0));
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", config.user());
        startup.put("database", config.database());
        startup.put("application_name", config.applicationName());
        startup.put("client_encoding", "UTF8");
        send(ctx, new StartupMessage(StartupMessage.V3_0, startup));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (!result.isDone()) {
                phase = on(ctx, BackendMessage.decode(frame));
            }
        } catch (PgException e) {
            fail(ctx, e);
        } catch (IllegalArgumentException e) {
            fail(ctx, PgException.client(PgException.PROTOCOL_VIOLATION, "malformed message during startup: "
                    + e.getMessage(), e));
        } finally {
            frame.release();
        }
    }

    /** The one transition method of the state machine drawn in the class comment. */
    private Phase on(ChannelHandlerContext ctx, BackendMessage message) {
        if (message instanceof ErrorResponse error) {
            throw PgException.of(error);
        }
        if (message instanceof NoticeResponse || message instanceof NegotiateProtocolVersion) {
            return phase;
        }
        switch (phase) {
            case AWAITING_REQUEST:
                if (message instanceof AuthenticationOk) {
                    return Phase.AUTHENTICATED;
                }
                if ((message instanceof AuthenticationCleartextPassword || message instanceof AuthenticationMD5Password
                        || message instanceof AuthenticationSASL) && config.password().isEmpty()) {
                    // the SCRAM library's own words ("The value for 'password' must not be empty") read as a bug
                    throw PgException.client(PgException.INVALID_AUTHORIZATION, "server " + config.host() + ":"
                            + config.port() + " asks user " + config.user() + " for a password, and none was given",
                            null);
                }
                if (message instanceof AuthenticationCleartextPassword) {
                    send(ctx, PasswordMessage.cleartext(config.password()));
                    return Phase.AWAITING_OK;
                }
                if (message instanceof AuthenticationMD5Password md5) {
                    send(ctx, PasswordMessage.md5(config.user(), config.password(),
                            md5.salt()));
                    return Phase.AWAITING_OK;
                }
                if (message instanceof AuthenticationSASL sasl) {
                    scram = ScramAuthentication.start(sasl.mechanisms(), config.password());
                    send(ctx, scram.initialResponse());
                    return Phase.SASL_CONTINUE;
                }
                break;
            case SASL_CONTINUE:
                if (message instanceof AuthenticationSASLContinue challenge) {
                    send(ctx, scram.response(challenge.data()));
                    return Phase.SASL_FINAL;
                }
                break;
            case SASL_FINAL:
                if (message instanceof AuthenticationSASLFinal outcome) {
                    scram.verify(outcome.data());
                    return Phase.AWAITING_OK;
                }
                break;
            case AWAITING_OK:
                if (message instanceof AuthenticationOk) {
                    return Phase.AUTHENTICATED;
                }
                break;
            case AUTHENTICATED:
                if (message instanceof ParameterStatus status) {
                    parameters.put(status.name(), status.value());
                    return phase;
                }
                if (message instanceof BackendKeyData key) {
                    keyData = key;
                    return phase;
                }
                if (message instanceof ReadyForQuery ready) {
                    handOver(ctx, ready);
                    return phase;
                }
                break;
            default:
                break;
        }
        throw PgException.client(PgException.PROTOCOL_VIOLATION, "unexpected " + message + " while " + phase
                + (message instanceof Authentication
                        ? " (this client supports trust, password, md5 and scram-sha-256 authentication)" : ""),
                null);
    }

    private void handOver(ChannelHandlerContext ctx, ReadyForQuery ready) {
        PgConnection connection = new PgConnection(ctx.channel(), config, parameters, keyData, ready.status());
        ctx.pipeline().replace(this, PgClient.HANDSHAKE, connection.handler());
        if (!result.complete(connection)) {
            ctx.close();
        }
    }

    private static void send(ChannelHandlerContext ctx, FrontendMessage message) {
        ctx.writeAndFlush(message.encode(ctx.alloc()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, PgException.connectionLost("server " + config.host() + ":" + config.port()
                + " closed the connection during startup (" + phase + ")", null));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, PgException.connectionLost("connection to " + config.host() + ":" + config.port()
                + " failed during startup: " + SocketFailure.describe(cause), cause));
    }

    private void fail(ChannelHandlerContext ctx, PgException e) {
        result.completeExceptionally(e);
        ctx.close();
    }
}
