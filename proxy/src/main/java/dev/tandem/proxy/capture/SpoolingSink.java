package dev.tandem.proxy.capture;

import dev.tandem.proxy.spool.SpoolFullException;
import dev.tandem.proxy.spool.SpoolRecordTooLargeException;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolWriter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/**
 * Hands committed transactions to the durable spool. The returned stage is what the client's ReadyForQuery waits
 * for: the append itself (immediate with {@code fsync: interval|never}, after the group fsync with {@code always},
 * after space frees up with {@code on-full: block}), then, in sync mode, the target's commit.
 */
public final class SpoolingSink implements SessionCapture.Sink {

    private final SpoolWriter writer;
    private final GapLedger gaps;
    private final BiFunction<String, SpoolPosition, CompletionStage<?>> afterAppend;

    /**
     * @param afterAppend what else the client waits for once the record of a source database is appended: nothing in
     *                    async mode, the target applying it in sync mode
     */
    public SpoolingSink(SpoolWriter writer, GapLedger gaps,
                        BiFunction<String, SpoolPosition, CompletionStage<?>> afterAppend) {
        this.writer = writer;
        this.gaps = gaps;
        this.afterAppend = afterAppend;
    }

    @Override
    public CompletionStage<?> committed(CapturedTransaction tx) {
        CompletableFuture<SpoolPosition> appended;
        try {
            appended = writer.append(TransactionCodec.encode(tx));
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        return appended.handle((position, failure) -> {
            if (failure == null) {
                return afterAppend.apply(tx.database(), position);
            }
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            gaps.shed(tx, cause instanceof SpoolRecordTooLargeException ? cause.getMessage()
                    : cause instanceof SpoolFullException ? "the spool was full (mirror.spool.on-full: shed)"
                    : "the spool failed: " + cause.getMessage());
            return CompletableFuture.completedFuture(null);
        }).thenCompose(stage -> stage.exceptionally(e -> null));
    }
}
