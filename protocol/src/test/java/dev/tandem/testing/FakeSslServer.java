package dev.tandem.testing;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A PostgreSQL server reduced to its answer to SSLRequest, for what a real one cannot be made to do: answer with an
 * ErrorResponse, or show which server name (SNI) the client sent in its TLS hello. Each connection gets the same
 * answer and is then closed.
 */
public final class FakeSslServer implements AutoCloseable {

    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final BlockingQueue<List<String>> serverNames = new LinkedBlockingQueue<>();
    private final Thread acceptor;

    private FakeSslServer(byte[] answer, SSLContext tls) throws IOException {
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    new DataInputStream(socket.getInputStream()).readFully(new byte[8]);
                    socket.getOutputStream().write(answer);
                    socket.getOutputStream().flush();
                    if (tls != null) {
                        serverNames.add(handshake(tls, socket));
                    }
                } catch (IOException e) {
                    // the client gave up or the server is closing; the next accept tells which
                }
            }
        }, "fake-ssl-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Answers every SSLRequest with {@code bytes}, e.g. 'E' and an ErrorResponse. */
    public static FakeSslServer answering(byte[] bytes) throws IOException {
        return new FakeSslServer(bytes, null);
    }

    /** Answers 'S', completes the TLS handshake with {@code pair} and records the server names the client sent. */
    public static FakeSslServer tls(TestCertificates.Pair pair) throws IOException {
        SSLContext context = ((JdkSslContext) SslContextBuilder.forServer(pair.cert().toFile(), pair.key().toFile())
                .sslProvider(SslProvider.JDK).build()).context();
        return new FakeSslServer(new byte[] {'S'}, context);
    }

    private static List<String> handshake(SSLContext tls, Socket socket) throws IOException {
        try (SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true)) {
            ssl.setUseClientMode(false);
            ssl.startHandshake();
            return ((ExtendedSSLSession) ssl.getSession()).getRequestedServerNames().stream()
                    .map(name -> ((SNIHostName) name).getAsciiName()).toList();
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The server names (SNI) of the next completed TLS handshake: empty when the client sent none. */
    public List<String> nextServerNames() throws InterruptedException {
        List<String> names = serverNames.poll(30, TimeUnit.SECONDS);
        if (names == null) {
            throw new AssertionError("no TLS handshake reached the fake server within 30 s");
        }
        return names;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
