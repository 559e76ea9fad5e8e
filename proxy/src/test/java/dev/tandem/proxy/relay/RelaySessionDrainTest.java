package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.frame.FrameObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The source read on after the client left: the relay's bookkeeping of that drain ends with the session. */
class RelaySessionDrainTest {

    /** An event loop that says whether it holds scheduled tasks (EmbeddedChannel drops its own when it closes). */
    private static final class ObservableLoop extends DefaultEventLoop {
        boolean holdsScheduledTasks() throws Exception {
            return submit(() -> nextScheduledTaskNano() != -1).get(); // hasScheduledTasks() counts only those due
        }
    }

    private static final class EndRecorder implements SessionTap {
        final List<SessionEnd> ends = new CopyOnWriteArrayList<>();

        @Override
        public FrameObserver frontend() {
            return FrameObserver.NONE;
        }

        @Override
        public FrameObserver backend() {
            return FrameObserver.NONE;
        }

        @Override
        public void closed(SessionEnd end) {
            ends.add(end);
        }
    }

    @Test
    void aSourceThatClosesWhileDrainedLeavesNothingScheduledThatHoldsTheSession() throws Exception {
        ObservableLoop loop = new ObservableLoop();
        LocalAddress address = new LocalAddress("relay-drain-test");
        Channel server = new ServerBootstrap().group(loop).channel(LocalServerChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter()).bind(address).sync().channel();
        try {
            Channel source = new Bootstrap().group(loop).channel(LocalChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(address).sync().channel();
            EmbeddedChannel client = new EmbeddedChannel();
            RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", 5432));
            EndRecorder tap = new EndRecorder();
            RelaySession session = new RelaySession(client, settings, new RelayMetrics(new SimpleMeterRegistry()),
                    new HeldFrameBudget(settings.maxHeldBytes()), tap);
            loop.submit(() -> session.sourceConnected(source)).get();
            assertThat(loop.holdsScheduledTasks()).as("scheduled before the client leaves").isFalse();

            // the client left: the source is read on until it closes, for at most limits.drain-timeout
            loop.submit(() -> session.closedBy(Direction.CLIENT_TO_SOURCE)).get();
            assertThat(loop.holdsScheduledTasks()).as("the drain's deadline").isTrue();
            // it closes at once, as a source does after a Terminate
            loop.submit(() -> session.closedBy(Direction.SOURCE_TO_CLIENT)).get();
            source.closeFuture().sync();

            assertThat(session.state()).isEqualTo(RelaySession.State.CLOSED);
            assertThat(tap.ends).hasSize(1);
            // a deadline left on the event loop keeps the session, its capture and both channels reachable for the
            // whole limits.drain-timeout (5 minutes by default): at hundreds of connections a second, a hundred
            // thousand closed sessions
            assertThat(loop.holdsScheduledTasks()).as("scheduled on the source's event loop after the session ended")
                    .isFalse();
            client.finishAndReleaseAll();
        } finally {
            server.close().sync();
            loop.shutdownGracefully().sync();
        }
    }
}
