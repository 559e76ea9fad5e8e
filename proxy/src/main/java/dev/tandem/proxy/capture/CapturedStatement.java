package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.List;

/**
 * One write the source executed for a mirrored table, captured exactly as the application sent it.
 * {@link #table()} is resolved (its schema is never null); {@link #sourceRows()} is the row count of the source's
 * CommandComplete tag, or -1 when the source did not report one; {@link #searchPath()} is the session's
 * {@code search_path} when the statement ran (empty for the server's default), or null when not recorded (then the
 * transaction's applies).
 */
public sealed interface CapturedStatement {

    /**
     * Whether a parameter type OID is a user-defined type's: OIDs below 16384 are built in and the same on every
     * PostgreSQL server, the others differ from server to server.
     */
    static boolean userDefinedType(int oid) {
        return oid >= 16384;
    }

    /**
     * Whether a parameter type OID is an object reference type ({@code regclass}, {@code regtype}, {@code regproc} and
     * the other OID alias types, or an array of one): their binary form is the OID of a table, type or function,
     * which has another OID on the target (their text form is its name, which is the same).
     */
    static boolean objectReference(int oid) {
        return switch (oid) {
            // regproc, regprocedure, regoper, regoperator, regclass, regtype, regconfig, regdictionary, regnamespace,
            // regrole, regcollation; then their array types
            case 24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096, 4191,
                 1008, 2207, 2208, 2209, 2210, 2211, 3735, 3770, 4090, 4097, 4192 -> true;
            default -> false;
        };
    }

    TableName table();

    long sourceRows();

    List<String> searchPath();

    /** This statement with {@link #searchPath()} set. */
    CapturedStatement withSearchPath(List<String> path);

    /**
     * The session's {@code client_encoding} when it was not UTF8 and the statement is not plain ASCII (a COPY's data
     * is not looked at: for a COPY, whenever it was not UTF8), else null. Its text and its parameter or COPY bytes
     * are in that encoding as the application sent them, and the target must read them in the same one, or it stores
     * other characters or rejects the bytes.
     */
    String clientEncoding();

    /** This statement with {@link #clientEncoding()} set. */
    CapturedStatement withClientEncoding(String encoding);

    /** The session's {@link InputSettings} when the statement ran; {@link InputSettings#UNKNOWN} when not recorded. */
    InputSettings settings();

    /** This statement with {@link #settings()} set. */
    CapturedStatement withSettings(InputSettings settings);

    /** The application's SQL text: a whole statement for the simple protocol, the Parse text for the extended one. */
    String sql();

    /** Bytes of payload, for size limits and lag in bytes. */
    long payloadBytes();

    /**
     * The same write into another table: {@code sql} is this statement's text with the table replaced; the values,
     * formats and data stay as the application sent them.
     */
    CapturedStatement into(TableName other, String sql);

    /** A statement from a simple Query message (one statement of it, cut out of a multi-statement string). */
    record Simple(TableName table, long sourceRows, String sql, List<String> searchPath, String clientEncoding,
                  InputSettings settings) implements CapturedStatement {
        public Simple(TableName table, long sourceRows, String sql) {
            this(table, sourceRows, sql, null, null);
        }

        public Simple(TableName table, long sourceRows, String sql, List<String> searchPath) {
            this(table, sourceRows, sql, searchPath, null);
        }

        public Simple(TableName table, long sourceRows, String sql, List<String> searchPath, String clientEncoding) {
            this(table, sourceRows, sql, searchPath, clientEncoding, InputSettings.UNKNOWN);
        }

        @Override
        public Simple withSearchPath(List<String> path) {
            return new Simple(table, sourceRows, sql, path, clientEncoding, settings);
        }

        @Override
        public Simple withClientEncoding(String encoding) {
            return new Simple(table, sourceRows, sql, searchPath, encoding, settings);
        }

        @Override
        public Simple withSettings(InputSettings values) {
            return new Simple(table, sourceRows, sql, searchPath, clientEncoding, values);
        }

        @Override
        public Simple into(TableName other, String text) {
            return new Simple(other, sourceRows, text, searchPath, clientEncoding, settings);
        }

        @Override
        public long payloadBytes() {
            return sql.length();
        }
    }

    /**
     * An extended-protocol execution: Parse text and parameter type OIDs, Bind formats and values, byte for byte.
     * A null parameter value is SQL NULL.
     */
    record Extended(TableName table, long sourceRows, String sql, int[] parameterTypes, short[] parameterFormats,
                    byte[][] parameters, List<String> searchPath, String clientEncoding, InputSettings settings)
            implements CapturedStatement {
        public Extended(TableName table, long sourceRows, String sql, int[] parameterTypes, short[] parameterFormats,
                        byte[][] parameters) {
            this(table, sourceRows, sql, parameterTypes, parameterFormats, parameters, null, null);
        }

        public Extended(TableName table, long sourceRows, String sql, int[] parameterTypes, short[] parameterFormats,
                        byte[][] parameters, List<String> searchPath) {
            this(table, sourceRows, sql, parameterTypes, parameterFormats, parameters, searchPath, null);
        }

        public Extended(TableName table, long sourceRows, String sql, int[] parameterTypes, short[] parameterFormats,
                        byte[][] parameters, List<String> searchPath, String clientEncoding) {
            this(table, sourceRows, sql, parameterTypes, parameterFormats, parameters, searchPath, clientEncoding,
                    InputSettings.UNKNOWN);
        }

        @Override
        public Extended withSearchPath(List<String> path) {
            return new Extended(table, sourceRows, sql, parameterTypes, parameterFormats, parameters, path,
                    clientEncoding, settings);
        }

        @Override
        public Extended withClientEncoding(String encoding) {
            return new Extended(table, sourceRows, sql, parameterTypes, parameterFormats, parameters, searchPath,
                    encoding, settings);
        }

        @Override
        public Extended withSettings(InputSettings values) {
            return new Extended(table, sourceRows, sql, parameterTypes, parameterFormats, parameters, searchPath,
                    clientEncoding, values);
        }

        @Override
        public Extended into(TableName other, String text) {
            return new Extended(other, sourceRows, text, parameterTypes, parameterFormats, parameters, searchPath,
                    clientEncoding, settings);
        }

        @Override
        public long payloadBytes() {
            long n = sql.length();
            for (byte[] p : parameters) {
                n += p == null ? 0 : p.length;
            }
            return n;
        }

        @Override
        public String toString() {
            // Parameter values are application data: never in logs.
            return "Extended[table=" + table + ", sourceRows=" + sourceRows + ", parameters=" + parameters.length + "]";
        }
    }

    /**
     * A committed write the mirror cannot replay faithfully (say a binary parameter of a user-defined type, or a
     * transaction larger than the capture limit): it goes to the divergence ledger instead, so nothing is lost silently.
     *
     * @param timesRead whether the capture read its rows' times although it did not keep its data (a statement of a
     *                  transaction over the capture limit): then its ledger entry says whether they are known
     * @param times     the range of its rows' times when read and all known ({@link RowTimesReading}), else null
     */
    record Unreplayable(TableName table, long sourceRows, String sql, String reason, List<String> searchPath,
                        boolean timesRead, TimeRange times) implements CapturedStatement {
        public Unreplayable(TableName table, long sourceRows, String sql, String reason) {
            this(table, sourceRows, sql, reason, null);
        }

        public Unreplayable(TableName table, long sourceRows, String sql, String reason, List<String> searchPath) {
            this(table, sourceRows, sql, reason, searchPath, false, null);
        }

        @Override
        public Unreplayable withSearchPath(List<String> path) {
            return new Unreplayable(table, sourceRows, sql, reason, path, timesRead, times);
        }

        /** This statement with its rows' times read: {@code range}, or null when they are not all known. */
        public Unreplayable withTimes(TimeRange range) {
            return new Unreplayable(table, sourceRows, sql, reason, searchPath, true, range);
        }

        /** Never replayed: its text is only shown, and was read into a string already. */
        @Override
        public String clientEncoding() {
            return null;
        }

        @Override
        public Unreplayable withClientEncoding(String encoding) {
            return this;
        }

        /** Never replayed. */
        @Override
        public InputSettings settings() {
            return InputSettings.UNKNOWN;
        }

        @Override
        public Unreplayable withSettings(InputSettings settings) {
            return this;
        }

        @Override
        public Unreplayable into(TableName other, String text) {
            return new Unreplayable(other, sourceRows, text, reason, searchPath, timesRead, times);
        }

        @Override
        public long payloadBytes() {
            return sql.length();
        }
    }

    /** {@code COPY ... FROM STDIN} and the CopyData payloads the client sent, in order. */
    record Copy(TableName table, long sourceRows, String sql, List<byte[]> data, List<String> searchPath,
                String clientEncoding, InputSettings settings) implements CapturedStatement {
        public Copy {
            data = List.copyOf(data);
        }

        public Copy(TableName table, long sourceRows, String sql, List<byte[]> data) {
            this(table, sourceRows, sql, data, null, null);
        }

        public Copy(TableName table, long sourceRows, String sql, List<byte[]> data, List<String> searchPath) {
            this(table, sourceRows, sql, data, searchPath, null);
        }

        public Copy(TableName table, long sourceRows, String sql, List<byte[]> data, List<String> searchPath,
                    String clientEncoding) {
            this(table, sourceRows, sql, data, searchPath, clientEncoding, InputSettings.UNKNOWN);
        }

        @Override
        public Copy withSearchPath(List<String> path) {
            return new Copy(table, sourceRows, sql, data, path, clientEncoding, settings);
        }

        @Override
        public Copy withClientEncoding(String encoding) {
            return new Copy(table, sourceRows, sql, data, searchPath, encoding, settings);
        }

        @Override
        public Copy withSettings(InputSettings values) {
            return new Copy(table, sourceRows, sql, data, searchPath, clientEncoding, values);
        }

        @Override
        public Copy into(TableName other, String text) {
            return new Copy(other, sourceRows, text, data, searchPath, clientEncoding, settings);
        }

        @Override
        public long payloadBytes() {
            long n = sql.length();
            for (byte[] d : data) {
                n += d.length;
            }
            return n;
        }

        @Override
        public String toString() {
            return "Copy[table=" + table + ", sourceRows=" + sourceRows + ", chunks=" + data.size() + "]";
        }
    }
}
