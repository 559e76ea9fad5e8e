package dev.tandem.proxy.capture;

import dev.tandem.proxy.capture.PendingRequest.ExecuteRequest;
import dev.tandem.proxy.capture.PendingRequest.QueryRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;

/**
 * The COPYs the client asked for, in its order, until both sides are done with each ({@link CopyIn}): which COPY the
 * client's CopyData, CopyDone and CopyFail belong to, what of its data is kept before and after the source's
 * CopyInResponse, and what the {@link TransactionHold} gets back when the source does not read it. A COPY leaves once
 * the client ended it and the source answered or failed it. The requests themselves, and what the source answers,
 * are the {@link SessionCapture}'s: it tells this queue of each.
 */
final class CopiesInFlight {

    private final Deque<CopyIn> copies = new ArrayDeque<>();
    private final TransactionHold hold;
    /**
     * Starts the reading of the rows' times of a COPY whose data went over the capture limit, from the data it sent so
     * far (the capture's copyData, dropped once read).
     */
    private final Function<StatementCapture, StatementTimes> overLimitTimes;

    CopiesInFlight(TransactionHold hold, Function<StatementCapture, StatementTimes> overLimitTimes) {
        this.hold = hold;
        this.overLimitTimes = overLimitTimes;
    }

    /** The COPY the client sends data for now: the first it has not ended. */
    CopyIn clientCopy() {
        for (CopyIn copy : copies) {
            if (!copy.ended) {
                return copy;
            }
        }
        return null;
    }

    /** Whether the client's next CopyData is to be shown whole: data of a mirrored COPY, or of one that may be. */
    boolean keepsData() {
        CopyIn copy = clientCopy();
        return copy != null && !copy.failed && (copy.answered ? copy.capture != null : copy.kept);
    }

    /** A CopyData of {@code length} (its length field) begins: counted when it comes before the COPY's answer. */
    void dataStarts(int length) {
        CopyIn copy = clientCopy();
        if (copy != null && !copy.answered) {
            copy.earlyBytes += length - 4; // not kept: counted, in case its answer makes it mirrored
        }
    }

    /**
     * In COPY IN the source fails the COPY at any message but CopyData, CopyDone, CopyFail, Sync and Flush (08P01), and
     * that message never runs ({@link SessionCapture#consumedByCopy}; from PostgreSQL 14 on the source then ends the
     * session): a client sends one when it did not expect the COPY (it bound a name it believes is another statement).
     * When a line of the data sent before that message failed the COPY first, the source reads the message as usual:
     * the COPY is over for the client too, and a Sync behind it is answered.
     *
     * @return the COPY the message is the first to interrupt so, or null
     */
    CopyIn endsCopy(byte type) {
        if (type == 'd' || type == 'c' || type == 'f' || type == 'S' || type == 'H') {
            return null;
        }
        CopyIn copy = clientCopy();
        if (copy == null || copy.failed || copy.interrupted) {
            return null;
        }
        copy.interrupted = true;
        if (copy.answered) {
            copy.ended = true;
            copy.abandoned = true; // as by a CopyFail: the source fails it, its rows never commit
            forgetFinishedCopies();
        }
        return copy;
    }

    /** CopyDone or CopyFail. */
    void clientCopyEnded(boolean abandoned) {
        CopyIn copy = clientCopy();
        if (copy != null) {
            copy.ended = true;
            copy.abandoned = abandoned;
            forgetFinishedCopies();
        }
    }

    private void forgetFinishedCopies() {
        while (!copies.isEmpty() && copies.peek().ended && (copies.peek().answered || copies.peek().failed)) {
            copies.poll();
        }
    }

    /**
     * A new COPY request: the client is done with every COPY before it, also with one the source failed (a client that
     * waits for CopyInResponse sends nothing for it, one that does not sent its data before this request).
     */
    void copyRequested(CopyIn copy) {
        for (CopyIn earlier : copies) {
            earlier.ended = true;
        }
        forgetFinishedCopies();
        copies.add(copy);
    }

    /** A COPY of the same query string as the one before it, which the source runs after that one. */
    void nextInQuery(CopyIn copy) {
        copies.add(copy);
    }

    /**
     * The source does not run the Execute's statement as a COPY, or no longer (it failed, was skipped, or runs another
     * statement): its data is dropped. A client that did not ask for a COPY sends none, so nothing ends it but this.
     */
    void copyNotRun(ExecuteRequest e) {
        CopyIn copy = e.copy;
        if (copy == null) {
            return;
        }
        if (!e.copyExpected && !copy.answered) {
            copy.ended = true;
        }
        failCopy(copy);
        forgetFinishedCopies();
    }

    /** The source will not read (any more of) this COPY's data: what was kept of it is given back. */
    void failCopy(CopyIn copy) {
        if (copy == null || copy.failed) {
            return;
        }
        copy.failed = true;
        hold.failed(copy.held);
        copy.held = 0;
        copy.early.clear();
        forgetFinishedCopies();
    }

    /** A CopyData shown whole: data of a mirrored COPY, or of one that may turn out mirrored when answered. */
    void copyData(ByteBuf frame) {
        CopyIn copy = clientCopy();
        int length = frame.readableBytes() - 5;
        if (copy == null || copy.failed || (copy.answered && copy.capture == null)) {
            return; // the COPY failed, or its answer came while this frame was arriving
        }
        if (!copy.answered) {
            if (!copy.overLimit && !hold.hold(length)) {
                copy.overLimit = true;
                copy.early.clear();
            }
            if (!copy.overLimit) {
                copy.early.add(ByteBufUtil.getBytes(frame, frame.readerIndex() + 5, length));
                copy.held += length;
            }
            copy.earlyBytes += length;
            return;
        }
        StatementCapture c = copy.capture;
        c.copyBytes += length;
        if (c.unreplayable == null && !hold.hold(length)) {
            c.unreplayable = hold.tooLarge();
            c.overLimit = true;
            // from here on its rows' times are read as its data passes, starting with what it sent so far
            c.times = overLimitTimes.apply(c);
            c.copyData.clear();
        }
        if (c.unreplayable == null) {
            c.copyData.add(ByteBufUtil.getBytes(frame, frame.readerIndex() + 5, length));
            c.held += length;
        } else if (c.times != null && c.times.reads()) {
            c.times.feed(ByteBufUtil.getBytes(frame, frame.readerIndex() + 5, length));
        }
    }

    /**
     * CopyInResponse for {@code copy}: the source reads its data now, for {@code capture} (null: not mirrored). What
     * the client sent before the answer goes to the capture, or back to the hold.
     */
    void copyInStarted(CopyIn copy, StatementCapture capture) {
        if (copy == null || copy.failed) {
            return; // a COPY the client's request did not show: its data is not told apart
        }
        copy.answered = true;
        copy.capture = capture;
        if (copy.interrupted) {
            // over already, as at a request sent after this answer (see endsCopy): if the source reads that request
            // as usual (the data failed the COPY first), a Sync the client sent after it is answered, and its CopyDone
            // or CopyFail for it comes too late to end another
            copy.ended = true;
            copy.abandoned = true;
        }
        if (capture == null) {
            hold.failed(copy.held); // the data kept for it is not needed
        } else if (copy.overLimit) {
            capture.copyBytes += copy.earlyBytes;
            capture.unreplayable = hold.tooLarge();
            capture.overLimit = true;
            capture.times = StatementTimes.unknown(); // what it sent before this answer was not kept, nor read
        } else if (!copy.kept && copy.earlyBytes > 0) {
            capture.copyBytes += copy.earlyBytes;
            capture.unreplayable = "COPY data came before the source started the COPY, under a search_path that did"
                    + " not make its table a mirrored one, and was not kept";
        } else {
            capture.copyBytes += copy.earlyBytes;
            capture.copyData.addAll(copy.early);
            capture.held += copy.held;
        }
        copy.held = 0;
        copy.early.clear();
        forgetFinishedCopies();
    }

    /**
     * The COPY the source reads data for in this request when the client sent a message in its stead
     * ({@link CopyIn#interrupted}), or null: an 08P01 error then is the COPY failing at that message.
     */
    static CopyIn interruptedCopyRead(PendingRequest head) {
        CopyIn read = null;
        if (head instanceof QueryRequest q) {
            for (CopyIn copy : q.copies) {
                read = copy.answered ? copy : read; // the string's COPYs run one after the other: the last answered
            }
        } else if (head instanceof ExecuteRequest e) {
            read = e.copy;
        }
        return read != null && read.answered && !read.failed && read.interrupted ? read : null;
    }
}
