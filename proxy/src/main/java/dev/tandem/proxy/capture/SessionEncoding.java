package dev.tandem.proxy.capture;

import dev.tandem.protocol.frontend.ClientEncodings;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One session's {@code client_encoding}, and which of its statement texts may have been read here in another encoding
 * than the source read them in. The mirror's target connections use UTF8: a statement that is not plain ASCII in a
 * session with another encoding is replayed as the bytes the client sent, so the capture must know which encoding
 * those bytes were in.
 *
 * <p>A text is read here when the client sends it, and by the source when it gets to it: a client_encoding change the
 * source reports after this read texts beyond the one that made it means those may have been read here in the old
 * encoding and there in the new. Such texts are ledgered rather than replayed when their transaction commits. One per
 * session, on its event loop.
 */
final class SessionEncoding {

    /**
     * The session's {@code client_encoding} as the source last reported it (at start-up and before the ReadyForQuery
     * after a change), null while it is UTF8, the encoding the mirror's target connections use.
     */
    private String clientEncoding;
    /** What the source reads this session's text in: {@link #clientEncoding}'s charset, UTF-8 if the JVM has none. */
    private Charset charset = StandardCharsets.UTF_8;
    /** Query and Parse texts read so far; each is numbered by its count ({@link #nextText}), from 1. */
    private long texts;
    /** {@link #texts} when the session last had nothing in flight: the source had read all of them. */
    private long answeredTexts;
    /** Texts numbered {@code (uncertainAfter, uncertainThrough]} may have been read here in another encoding. */
    private long uncertainAfter;
    private long uncertainThrough;
    /** The newest text a committed mirrored write came from. */
    private long lastCommittedText;

    /** The encoding the source reads the session's text in now; null while it is UTF8. */
    String clientEncoding() {
        return clientEncoding;
    }

    /** What to read the session's text in now. */
    Charset charset() {
        return charset;
    }

    /** Numbers a Query or Parse text read now. */
    long nextText() {
        return ++texts;
    }

    /** The session has nothing in flight (a ReadyForQuery): the source read every text. */
    void allAnswered() {
        answeredTexts = texts;
    }

    /** The source reported {@code client_encoding} {@code value}; returns whether it changed. */
    boolean reported(String value) {
        String reported = value.equalsIgnoreCase("UTF8") ? null : value;
        boolean changed = !Objects.equals(reported, clientEncoding);
        clientEncoding = reported;
        charset = reported == null ? StandardCharsets.UTF_8
                : ClientEncodings.charset(reported).orElse(StandardCharsets.UTF_8);
        return changed;
    }

    /**
     * The source reported a new client_encoding after start-up. When only a simple Query was in flight, it changed the
     * encoding for what comes after it, all read here in the new one. Otherwise texts already read here may have been
     * read by the source in the new encoding (a Parse after the SET in one extended-protocol batch, or pipelined after
     * it).
     *
     * @param soleQuery the text of the simple Query that is the only request in flight, or 0 when there is none
     * @return whether a transaction the source committed before reporting the change may have been mirrored in the
     *         encoding before: it is not ledgered ({@link #readInTheirEncoding}), so it is to be warned about
     */
    boolean changedInFlight(long soleQuery) {
        if (soleQuery != 0 && soleQuery == texts) {
            return false;
        }
        uncertainAfter = uncertainThrough == 0 ? answeredTexts : Math.min(uncertainAfter, answeredTexts);
        uncertainThrough = texts;
        return lastCommittedText > answeredTexts;
    }

    /**
     * In a session whose client_encoding is not UTF8, a statement that is not plain ASCII (the same bytes in every
     * encoding PostgreSQL supports) is replayed in that encoding: its text as the bytes the client sent, its parameter
     * values as they are. When the text cannot be written back as those bytes (an encoding this JVM cannot read, or
     * bytes it read as something else), it is ledgered rather than replayed changed. A COPY gets its encoding when
     * the source starts reading its data.
     *
     * @param encoding the client_encoding the source read the statement in, null for UTF8
     */
    static void check(StatementCapture c, String encoding) {
        if (encoding == null || c.isCopy() || c.unreplayable != null || c.isAscii()) {
            return;
        }
        Charset in = ClientEncodings.charset(encoding).orElse(null);
        if (in == null) {
            c.unreplayable = "non-ASCII text in a session whose client_encoding is " + encoding
                    + ", which the proxy cannot read";
        } else if (!ClientEncodings.roundTrips(c.sql, in)) {
            c.unreplayable = "statement text that does not read back as the bytes the client sent in its"
                    + " client_encoding " + encoding;
        } else {
            c.clientEncoding = encoding;
        }
    }

    /**
     * The committed writes, where one whose text was read here before a client_encoding change the source reported
     * later ({@link #changedInFlight}) is ledgered unless it is plain ASCII: the source may have read it in the other
     * encoding. A transaction the source committed before reporting the change is warned about there instead.
     *
     * @param finished the committing transaction's mirrored writes, each with its capture
     */
    List<CapturedStatement> readInTheirEncoding(List<CapturedStatement> captured,
                                                List<Finished> finished) {
        for (Finished f : finished) {
            lastCommittedText = Math.max(lastCommittedText, f.capture().text);
        }
        if (uncertainThrough == 0) {
            return captured;
        }
        List<CapturedStatement> checked = null;
        for (Finished f : finished) {
            StatementCapture c = f.capture();
            if (c.text <= uncertainAfter || c.text > uncertainThrough || c.unreplayable != null || c.isAscii()) {
                continue;
            }
            for (int i = 0; i < captured.size(); i++) {
                if (captured.get(i) == f.statement()) {
                    if (checked == null) {
                        checked = new ArrayList<>(captured);
                    }
                    CapturedStatement s = f.statement();
                    checked.set(i, new CapturedStatement.Unreplayable(s.table(), s.sourceRows(), s.sql(),
                            "client_encoding changed while this statement was in flight, so the proxy cannot tell"
                                    + " which encoding the source read it in", s.searchPath()));
                }
            }
        }
        return checked == null ? captured : checked;
    }
}
