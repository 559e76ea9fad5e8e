package dev.tandem.backfill.copy;

import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.plan.TableLayout;
import dev.tandem.backfill.plan.TimescaleCatalog;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * Moves one range of one table: in the caller's open target transaction, DELETE the target rows of the range (readied
 * for compressed TimescaleDB chunks, {@link TimescaleCatalog#prepareRangeRewrite}), then stream
 * {@code COPY (SELECT ...) TO STDOUT} from a REPEATABLE READ READ ONLY source transaction into {@code COPY ... FROM STDIN}.
 * The source is read on a reader thread and the target written on the caller's thread, through a small bounded queue of
 * 64 KiB chunks: both servers work at once, and nothing is buffered whole in memory.
 */
public final class RangeCopier {

    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int QUEUE_CHUNKS = 16;
    private static final Chunk END = new Chunk(new byte[0], 0);

    /** What a range copy moved. */
    public record Result(long rows, long bytes) {
    }

    private record Chunk(byte[] data, int length) {
    }

    private final ExecutorService readers;

    /** @param readers runs the source side of each copy; needs one thread per concurrent copy */
    public RangeCopier(ExecutorService readers) {
        this.readers = readers;
    }

    /**
     * @param source a connection in auto-commit mode; left in auto-commit mode with its read transaction ended, or, when
     *               this throws, in no known state (a COPY cut off mid-stream leaves its rest unread): not to be reused
     * @param target a connection inside the task's transaction, which the caller commits or rolls back
     */
    public Result copy(Connection source, Connection target, TableLayout layout, long start, long end) throws SQLException {
        try (Statement delete = target.createStatement()) {
            TimescaleCatalog.prepareRangeRewrite(target, layout.schema(), layout.table(), layout.timeColumn(), start, end);
            delete.executeUpdate(layout.deleteSql(start, end));
        } catch (SQLException e) {
            throw Side.TARGET.label(e);
        }
        Side.SOURCE.run(() -> source.setAutoCommit(false));
        try {
            Side.SOURCE.run(() -> {
                try (Statement s = source.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                }
            });
            Result result = stream(source, target, layout, start, end);
            Side.SOURCE.run(source::commit);
            Side.SOURCE.run(() -> source.setAutoCommit(true));
            return result;
        } catch (SQLException | RuntimeException e) {
            // nothing more is asked of a session in no known state: its answer (pgjdbc threw NoSuchElementException
            // from setAutoCommit) replaced the task's own error, which the operator saw as "failed: null"
            rollbackQuietly(source);
            throw e;
        }
    }

    private Result stream(Connection source, Connection target, TableLayout layout, long start, long end)
            throws SQLException {
        CopyIn copyIn = Side.TARGET.call(() -> target.unwrap(PGConnection.class).getCopyAPI()
                .copyIn(layout.copyInSql()));
        BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
        AtomicBoolean abandoned = new AtomicBoolean();
        String copyOutSql = layout.copyOutSql(start, end);
        Future<Long> reader = readers.submit(() -> read(source, copyOutSql, queue, abandoned));
        try {
            while (true) {
                Chunk chunk = queue.take();
                if (chunk == END) {
                    break;
                }
                copyIn.writeToCopy(chunk.data(), 0, chunk.length());
            }
            long bytes = reader.get();
            long rows = copyIn.endCopy();
            return new Result(rows, bytes);
        } catch (SQLException e) {
            throw Side.TARGET.label(e); // writing or ending the COPY into the target
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("copy interrupted", "57014", e);
        } catch (ExecutionException e) {
            // the reader's failure: the source's COPY, which the reader thread ran
            Throwable cause = e.getCause();
            throw cause instanceof SQLException sql ? Side.SOURCE.label(sql)
                    : new SQLException("reading the source failed: " + cause, cause);
        } finally {
            abandoned.set(true);
            queue.clear();
            awaitQuietly(reader);
            if (copyIn.isActive()) {
                try {
                    copyIn.cancelCopy();
                } catch (SQLException ignored) {
                    // the target transaction is rolled back by the caller anyway
                }
            }
        }
    }

    /**
     * Source side: rows into 64 KiB chunks; stops early (cancelling the COPY) once the writer has given up. Ends the
     * queue however it ends, also when the source refuses the COPY itself, so the writer never waits for it forever.
     */
    private static long read(Connection source, String sql, BlockingQueue<Chunk> queue, AtomicBoolean abandoned)
            throws SQLException, InterruptedException {
        CopyOut copyOut = null;
        long bytes = 0;
        try {
            copyOut = source.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
            byte[] buffer = new byte[CHUNK_BYTES];
            int length = 0;
            byte[] row;
            while ((row = copyOut.readFromCopy()) != null) {
                bytes += row.length;
                if (length + row.length > CHUNK_BYTES) {
                    if (length > 0) {
                        put(queue, new Chunk(buffer, length), abandoned);
                        buffer = new byte[CHUNK_BYTES];
                        length = 0;
                    }
                    if (row.length > CHUNK_BYTES) {
                        put(queue, new Chunk(row, row.length), abandoned);
                        continue;
                    }
                }
                System.arraycopy(row, 0, buffer, length, row.length);
                length += row.length;
            }
            if (length > 0) {
                put(queue, new Chunk(buffer, length), abandoned);
            }
            return bytes;
        } finally {
            if (copyOut != null && copyOut.isActive()) {
                try {
                    copyOut.cancelCopy();
                } catch (SQLException ignored) {
                    // the read transaction is rolled back next
                }
            }
            if (!abandoned.get()) {
                queue.put(END);
            }
        }
    }

    private static void put(BlockingQueue<Chunk> queue, Chunk chunk, AtomicBoolean abandoned)
            throws InterruptedException, SQLException {
        while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
            if (abandoned.get()) {
                throw new SQLException("target side failed; source read stopped", "57014");
            }
        }
    }

    private static void awaitQuietly(Future<?> future) {
        boolean interrupted = false;
        while (true) {
            try {
                future.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.isClosed()) {
                c.rollback();
            }
        } catch (SQLException | RuntimeException ignored) {
            // a broken connection has no transaction left to roll back, and one out of step is discarded by the caller
        }
    }
}
