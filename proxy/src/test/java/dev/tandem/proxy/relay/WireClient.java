package dev.tandem.proxy.relay;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately dumb PostgreSQL client on a plain socket, for what pgjdbc would never send: raw bytes, broken frames,
 * and byte-exact recording of what comes back.
 */
public final class WireClient implements AutoCloseable {

    /** One backend message: type byte and body (without the length). */
    public record Message(char type, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** A field of an ErrorResponse/NoticeResponse, e.g. 'C' for the SQLSTATE. */
        public String field(char code) {
            int i = 0;
            while (i < body.length && body[i] != 0) {
                char c = (char) body[i];
                int end = i + 1;
                while (body[end] != 0) {
                    end++;
                }
                if (c == code) {
                    return new String(body, i + 1, end - i - 1, StandardCharsets.UTF_8);
                }
                i = end + 1;
            }
            return null;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    public WireClient(int port) throws IOException {
        this(new Socket("127.0.0.1", port));
    }

    /** Talks over an already connected socket, e.g. a TLS one. */
    public WireClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Reads the one-byte answer to an SSLRequest or GSSENCRequest. */
    public char readByte() throws IOException {
        return (char) in.readUnsignedByte();
    }

    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    static byte[] startup(String user, String database) {
        return startup(196608, "user", user, "database", database, "application_name", "wire-client");
    }

    public static byte[] startup(int version, String... params) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String p : params) {
            body.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        body.write(0);
        ByteBuffer b = ByteBuffer.allocate(8 + body.size());
        b.putInt(8 + body.size()).putInt(version).put(body.toByteArray());
        return b.array();
    }

    public static byte[] frame(char type, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).put((byte) type).putInt(4 + body.length).put(body).array();
    }

    public static byte[] cstrings(String... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String p : parts) {
            b.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    public static byte[] query(String sql) {
        return frame('Q', cstrings(sql));
    }

    public Message read() throws IOException {
        char type = (char) in.readUnsignedByte();
        int length = in.readInt();
        byte[] body = new byte[length - 4];
        in.readFully(body);
        return new Message(type, body);
    }

    /** Reads messages up to and including the next ReadyForQuery (or a FATAL error followed by the end of stream). */
    public List<Message> readUntilReady() throws IOException {
        List<Message> got = new ArrayList<>();
        while (true) {
            Message m;
            try {
                m = read();
            } catch (EOFException e) {
                return got;
            }
            got.add(m);
            if (m.type() == 'Z') {
                return got;
            }
        }
    }

    /** Logs in with trust authentication and returns the startup conversation. */
    public List<Message> login(String user, String database) throws IOException {
        send(startup(user, database));
        return readUntilReady();
    }

    /** Everything the peer sends until it closes the connection, unframed. */
    public byte[] readToEnd() throws IOException {
        return in.readAllBytes();
    }

    /** True when the peer closed the connection (end of stream) within the socket timeout. */
    boolean closedByPeer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain whatever was still in flight
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Ends the connection with a TCP reset instead of a close, as a killed client's host may. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
