package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.client.PgConnection;
import dev.tandem.protocol.client.PgException;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Records the operator's "all writers are on the proxy now" in {@code tandem.dual_write} on a target database
 * ({@code marked_at = now()}, {@code marked_by = 'proxy:<instance-id>'}); the backfill's default {@code --until}.
 * Each mark uses a short-lived connection of its own, so it works while the applier is paused or retrying.
 */
public final class DualWriteMarks {

    private final TargetConnector connector;
    private final String instanceId;

    public DualWriteMarks(TargetConnector connector, String instanceId) {
        this.connector = connector;
        this.instanceId = instanceId;
    }

    /**
     * Sets (or moves) the mark of {@code targetDatabase}, creating Tandem's state tables there if needed. Never
     * blocks.
     *
     * @return completes when the mark is committed, or exceptionally with a {@link PgException}
     */
    public CompletableFuture<Void> mark(String targetDatabase) {
        return connector.connect(targetDatabase).thenCompose(connection -> upsert(connection, targetDatabase)
                .whenComplete((done, error) -> connection.close()));
    }

    private CompletableFuture<Void> upsert(PgConnection connection, String database) {
        return connection.simpleQuery(MirrorSchema.ddl()).thenCompose(created -> {
            failOnError(created);
            Pipeline<Void> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
            try {
                pipeline.execute(null, MirrorSchema.MARK_NOW, database, "proxy:" + instanceId);
            } catch (RuntimeException e) {
                pipeline.discard();
                throw e;
            }
            return connection.exchange(pipeline.finish());
        }).thenAccept(DualWriteMarks::failOnError);
    }

    private static void failOnError(List<BackendMessage> reply) {
        for (BackendMessage m : reply) {
            if (m instanceof ErrorResponse e) {
                throw PgException.of(e);
            }
        }
    }
}
