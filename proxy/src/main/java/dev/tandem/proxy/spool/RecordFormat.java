package dev.tandem.proxy.spool;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk layout, big-endian.
 *
 * <pre>
 * segment file  = segment header, record*
 * segment header (32 bytes): magic "TSEG" | version u16 | reserved u16 | first sequence i64 | created millis i64
 *                            | CRC32C of the preceding 24 bytes u32 | reserved u32
 * record header  (28 bytes): magic "TR" | version u8 | flags u8 | payload length i32 | sequence i64
 *                            | append millis i64 | CRC32C u32
 * record         = record header, payload
 * </pre>
 *
 * The record CRC covers the payload, then the first 24 header bytes: the payload part can be computed before the
 * writer takes its lock, the header part (sequence, time) only once they are assigned. A torn write, a flipped bit in the
 * payload or in the header fields all fail the check.
 */
final class RecordFormat {

    static final int SEGMENT_HEADER_BYTES = 32;
    static final int RECORD_HEADER_BYTES = 28;

    private static final int SEGMENT_MAGIC = 0x5453_4547;
    static final short RECORD_MAGIC = 0x5452;
    private static final short SEGMENT_VERSION = 1;
    private static final byte RECORD_VERSION = 1;
    private static final int CRC_COVERED_HEADER_BYTES = 24;

    private RecordFormat() {
    }

    /** The fields of a record header; {@code crc} as stored. */
    record RecordHeader(int payloadLength, long sequence, long appendMillis, int crc) {
    }

    static void writeSegmentHeader(ByteBuffer target, long firstSequence, long createdMillis) {
        int start = target.position();
        target.putInt(SEGMENT_MAGIC).putShort(SEGMENT_VERSION).putShort((short) 0)
                .putLong(firstSequence).putLong(createdMillis);
        CRC32C crc = new CRC32C();
        crc.update(target.duplicate().position(start).limit(start + 24));
        target.putInt((int) crc.getValue()).putInt(0);
    }

    /** When the segment of a valid {@code header} was created: just before its first record was appended. */
    static long segmentCreatedMillis(ByteBuffer header) {
        return header.getLong(header.position() + 16);
    }

    /**
     * Checks a segment header and returns the first sequence it declares.
     *
     * @return the problem, or {@code null} when the header is valid and names {@code expectedFirstSequence}
     */
    static String segmentHeaderProblem(ByteBuffer header, long expectedFirstSequence) {
        if (header.remaining() < SEGMENT_HEADER_BYTES) {
            return "segment header is truncated (" + header.remaining() + " of " + SEGMENT_HEADER_BYTES + " bytes)";
        }
        int start = header.position();
        int magic = header.getInt(start);
        if (magic != SEGMENT_MAGIC) {
            return String.format("not a spool segment (magic 0x%08x)", magic);
        }
        short version = header.getShort(start + 4);
        if (version != SEGMENT_VERSION) {
            return "unsupported segment version " + version;
        }
        CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(start).limit(start + 24));
        if ((int) crc.getValue() != header.getInt(start + 24)) {
            return "segment header checksum mismatch";
        }
        long first = header.getLong(start + 8);
        if (first != expectedFirstSequence) {
            return "segment header names first sequence " + first + " but the file name says " + expectedFirstSequence;
        }
        return null;
    }

    /** CRC32C primed with the payload; {@link #writeRecordHeader} adds the header fields. */
    static CRC32C payloadCrc(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload, 0, payload.length);
        return crc;
    }

    static void writeRecordHeader(ByteBuffer target, int payloadLength, long sequence, long appendMillis,
                                  CRC32C payloadCrc) {
        int start = target.position();
        target.putShort(RECORD_MAGIC).put(RECORD_VERSION).put((byte) 0)
                .putInt(payloadLength).putLong(sequence).putLong(appendMillis);
        payloadCrc.update(target.duplicate().position(start).limit(start + CRC_COVERED_HEADER_BYTES));
        target.putInt((int) payloadCrc.getValue());
    }

    /**
     * Reads a record header at {@code header}'s position without moving it.
     *
     * @return the header, or {@code null} when magic or version are wrong ({@link #recordHeaderProblem} says why)
     */
    static RecordHeader readRecordHeader(ByteBuffer header) {
        if (recordHeaderProblem(header) != null) {
            return null;
        }
        int p = header.position();
        return new RecordHeader(header.getInt(p + 4), header.getLong(p + 8), header.getLong(p + 16),
                header.getInt(p + 24));
    }

    static String recordHeaderProblem(ByteBuffer header) {
        int p = header.position();
        short magic = header.getShort(p);
        if (magic != RECORD_MAGIC) {
            return String.format("no record header (magic 0x%04x)", magic & 0xffff);
        }
        byte version = header.get(p + 2);
        if (version != RECORD_VERSION) {
            return "unsupported record version " + version;
        }
        int length = header.getInt(p + 4);
        if (length < 0) {
            return "negative payload length " + length;
        }
        return null;
    }

    /** Whether {@code payload} and the header at {@code header}'s position match the stored CRC. */
    static boolean crcMatches(ByteBuffer header, byte[] payload, int stored) {
        CRC32C crc = new CRC32C();
        crc.update(payload, 0, payload.length);
        int p = header.position();
        crc.update(header.duplicate().position(p).limit(p + CRC_COVERED_HEADER_BYTES));
        return (int) crc.getValue() == stored;
    }
}
