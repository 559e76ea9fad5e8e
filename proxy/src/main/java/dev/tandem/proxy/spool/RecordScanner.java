package dev.tandem.proxy.spool;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import dev.tandem.proxy.spool.RecordFormat.RecordHeader;

/**
 * Reads and checks records of one segment file through a read buffer (one system call for many small records).
 *
 * <p>Every read is bounded by a caller-given limit, and the buffer is never filled past it: bytes past the visible end
 * of the segment being written may be a record still being written, and must not be kept in the buffer.
 */
final class RecordScanner implements AutoCloseable {

    private static final int BUFFER_BYTES = 64 * 1024;

    /** A checked record, or the reason the bytes at that offset are not one. */
    record Outcome(RecordHeader header, byte[] payload, String problem) {
        static Outcome problem(String problem) {
            return new Outcome(null, null, problem);
        }

        boolean valid() {
            return problem == null;
        }

        long bytes() {
            return RecordFormat.RECORD_HEADER_BYTES + (long) header.payloadLength();
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    private long bufferStart = -1;

    RecordScanner(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    Path file() {
        return file;
    }

    /** Reads the segment header; {@code null} when it is valid and names {@code firstSequence}, else the problem. */
    String segmentHeaderProblem(long firstSequence, long limit) throws IOException {
        if (!fill(0, RecordFormat.SEGMENT_HEADER_BYTES, limit)) {
            return "segment header is truncated (" + Math.max(0, Math.min(limit, channel.size())) + " of "
                    + RecordFormat.SEGMENT_HEADER_BYTES + " bytes)";
        }
        return RecordFormat.segmentHeaderProblem(view(0), firstSequence);
    }

    /** When the segment was created, from a header {@link #segmentHeaderProblem} found valid. */
    long segmentCreatedMillis() throws IOException {
        if (!fill(0, RecordFormat.SEGMENT_HEADER_BYTES, RecordFormat.SEGMENT_HEADER_BYTES)) {
            throw new EOFException("segment " + file + " ended inside its header");
        }
        return RecordFormat.segmentCreatedMillis(view(0));
    }

    /** Reads and checks the record at {@code offset}; it must end at or before {@code limit}. */
    Outcome read(long offset, long limit) throws IOException {
        if (!fill(offset, RecordFormat.RECORD_HEADER_BYTES, limit)) {
            long available = Math.max(0, Math.min(limit, channel.size()) - offset);
            return Outcome.problem("record header is truncated (" + available + " of "
                    + RecordFormat.RECORD_HEADER_BYTES + " bytes before the end)");
        }
        ByteBuffer headerView = view(offset);
        String problem = RecordFormat.recordHeaderProblem(headerView);
        if (problem != null) {
            return Outcome.problem(problem);
        }
        RecordHeader header = RecordFormat.readRecordHeader(headerView);
        long payloadStart = offset + RecordFormat.RECORD_HEADER_BYTES;
        if (header.payloadLength() > limit - payloadStart) {
            return Outcome.problem("payload of " + header.payloadLength() + " bytes runs past the end ("
                    + (limit - payloadStart) + " bytes left)");
        }
        byte[] headerCopy = new byte[RecordFormat.RECORD_HEADER_BYTES];
        headerView.get(headerView.position(), headerCopy);
        byte[] payload = readPayload(payloadStart, header.payloadLength(), limit);
        if (!RecordFormat.crcMatches(ByteBuffer.wrap(headerCopy), payload, header.crc())) {
            return Outcome.problem("checksum mismatch (the header says sequence " + header.sequence() + ", "
                    + header.payloadLength() + " payload bytes)");
        }
        return new Outcome(header, payload, null);
    }

    /** Reads only the header of the record at {@code offset} (no checksum); {@code null} if it is not a header. */
    RecordHeader readHeader(long offset, long limit) throws IOException {
        if (!fill(offset, RecordFormat.RECORD_HEADER_BYTES, limit)) {
            return null;
        }
        return RecordFormat.readRecordHeader(view(offset));
    }

    /** Whether a valid record starts anywhere in {@code (from, limit)}: tells a torn tail from damage in the middle. */
    boolean validRecordAfter(long from, long limit) throws IOException {
        for (long offset = from + 1; offset + RecordFormat.RECORD_HEADER_BYTES <= limit; offset++) {
            if (!fill(offset, 2, limit)) {
                return false;
            }
            if (buffer.getShort(bufferIndex(offset)) == RecordFormat.RECORD_MAGIC && read(offset, limit).valid()) {
                return true;
            }
        }
        return false;
    }

    private byte[] readPayload(long start, int length, long limit) throws IOException {
        byte[] payload = new byte[length];
        if (length <= buffer.capacity()) {
            if (!fill(start, length, limit)) {
                throw new EOFException("segment " + file + " ended while reading a payload at " + start);
            }
            buffer.get(bufferIndex(start), payload);
            return payload;
        }
        if (!FileSlices.read(channel, start, payload)) {
            throw new EOFException("segment " + file + " ended while reading a payload at " + start);
        }
        return payload;
    }

    /** Makes {@code [offset, offset + length)} available in the buffer, reading no byte at or past {@code limit}. */
    private boolean fill(long offset, int length, long limit) throws IOException {
        if (offset + length > limit) {
            return false;
        }
        if (bufferStart >= 0 && offset >= bufferStart && offset + length <= bufferStart + buffer.limit()) {
            return true;
        }
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), limit - offset));
        bufferStart = offset;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, offset + buffer.position());
            if (n < 0) {
                break;
            }
        }
        buffer.flip();
        return buffer.limit() >= length;
    }

    private int bufferIndex(long offset) {
        return (int) (offset - bufferStart);
    }

    private ByteBuffer view(long offset) {
        return buffer.duplicate().position(bufferIndex(offset));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
