package dev.tandem.proxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;
import java.util.function.Supplier;

/** The socket implementation: native io_uring or epoll on Linux, NIO everywhere. */
public enum Transport {
    IO_URING(IoUring::isAvailable, IoUringIoHandler::newFactory, IoUringServerSocketChannel.class,
            IoUringSocketChannel.class),
    EPOLL(Epoll::isAvailable, EpollIoHandler::newFactory, EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO(() -> true, NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel.class);

    private final Supplier<Boolean> available;
    private final Supplier<IoHandlerFactory> ioHandler;
    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends Channel> clientChannel;

    Transport(Supplier<Boolean> available, Supplier<IoHandlerFactory> ioHandler,
              Class<? extends ServerChannel> serverChannel, Class<? extends Channel> clientChannel) {
        this.available = available;
        this.ioHandler = ioHandler;
        this.serverChannel = serverChannel;
        this.clientChannel = clientChannel;
    }

    public boolean isAvailable() {
        try {
            return available.get();
        } catch (LinkageError e) {
            return false;
        }
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandler.get());
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends Channel> clientChannel() {
        return clientChannel;
    }

    /** {@code auto} picks the preferred native transport that loads here, else NIO. */
    public static Transport choose(String name) {
        if (name == null || name.equals("auto")) {
            for (Transport t : new Transport[] {EPOLL, IO_URING}) {
                if (t.isAvailable()) {
                    return t;
                }
            }
            return NIO;
        }
        Transport t;
        try {
            t = valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--transport: '" + name + "' is not one of auto|epoll|io_uring|nio");
        }
        if (!t.isAvailable()) {
            throw new IllegalArgumentException("transport " + name + " is not available on this machine");
        }
        return t;
    }
}
