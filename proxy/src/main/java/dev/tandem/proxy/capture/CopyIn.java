package dev.tandem.proxy.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * One COPY FROM STDIN the client asked for, from its request until the client has ended its data and the source
 * has answered (or failed) it. The client may send the data before the source's CopyInResponse (pgx sends it right
 * behind the statement), a pipelining client even the next COPY's before the source answered the first: each
 * COPY's data is kept apart until its own answer says which capture it belongs to.
 */
final class CopyIn {
    /** Mirrored as far as the request tells: data sent before the answer is kept. */
    final boolean kept;
    /** The source sent its CopyInResponse: it reads this COPY's data now, for {@link #capture}. */
    boolean answered;
    /** What the answer made of it: where its data goes, null when it is not mirrored. */
    StatementCapture capture;
    /** The source failed it, or the request it belongs to, before or while reading it: its data is dropped. */
    boolean failed;
    /** The client sent its CopyDone or CopyFail. */
    boolean ended;
    /** It was a CopyFail: the source will fail the COPY. */
    boolean abandoned;
    /**
     * The client sent another message before it ended the data, mostly before the answer (it did not expect a
     * COPY): if the source starts it, it reads that message in COPY IN and fails the COPY at it, unless its data
     * failed it first; that message never runs ({@link #takes}).
     */
    boolean interrupted;
    /** The request of the message that interrupted it, which the COPY takes (null: one that asks nothing). */
    PendingRequest takes;
    /** Data sent before the answer: its bytes, and of them what {@link #early} keeps (counted by the hold). */
    final List<byte[]> early = new ArrayList<>();
    long earlyBytes;
    long held;
    boolean overLimit;

    CopyIn(boolean kept) {
        this.kept = kept;
    }
}
