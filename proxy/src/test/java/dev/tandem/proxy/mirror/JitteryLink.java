package dev.tandem.proxy.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP link in front of a server that hands each connection's answers on after a random delay (up to
 * {@code maxDelay}, in their order), and its requests at once: as a busy network or event loop may, it makes the proxy
 * read the answers of two sessions in another order than the server sent them. The delays of a connection come from
 * the seed and the connection's number.
 */
final class JitteryLink implements AutoCloseable {

    private record Chunk(byte[] bytes, long dueNanos) {
    }

    private static final Chunk END = new Chunk(new byte[0], 0);

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final long maxDelayNanos;
    private final long seed;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jittery-link");
        t.setDaemon(true);
        return t;
    });

    private JitteryLink(String host, int port, Duration maxDelay, long seed) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.host = host;
        this.port = port;
        this.maxDelayNanos = maxDelay.toNanos();
        this.seed = seed;
        threads.execute(this::accept);
    }

    static JitteryLink to(String host, int port, Duration maxDelay, long seed) throws IOException {
        return new JitteryLink(host, port, maxDelay, seed);
    }

    /** Where to connect instead of the server, as "host:port". */
    String address() {
        return listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort();
    }

    private void accept() {
        try {
            while (true) {
                Socket client = listener.accept();
                Socket server = new Socket(host, port);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                Random random = new Random(seed * 31 + connections.incrementAndGet());
                BlockingQueue<Chunk> answers = new LinkedBlockingQueue<>();
                threads.execute(() -> copy(client, server));
                threads.execute(() -> delay(server, answers, random));
                threads.execute(() -> deliver(answers, client, server));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Reads the server's bytes, each read due after the one before and a random delay. */
    private void delay(Socket server, BlockingQueue<Chunk> answers, Random random) {
        long lastDue = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = server.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                long due = Math.max(lastDue, System.nanoTime() + (long) (random.nextDouble() * maxDelayNanos));
                answers.add(new Chunk(Arrays.copyOf(buffer, n), due));
                lastDue = due;
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            answers.add(END);
        }
    }

    private static void deliver(BlockingQueue<Chunk> answers, Socket client, Socket server) {
        try (OutputStream out = client.getOutputStream()) {
            while (true) {
                Chunk chunk = answers.take();
                if (chunk == END) {
                    break;
                }
                long wait = chunk.dueNanos() - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                out.write(chunk.bytes());
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // closed
        } finally {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(JitteryLink::closeQuietly);
        threads.shutdownNow();
    }
}
