package dev.tandem.proxy.admin;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs providers that may block (a status that queries the target, a readiness check that connects to the source)
 * on a small bounded pool, so the admin event loop never waits on them.
 *
 * <p>A call that outlives the timeout completes with {@link TimeoutException} and its worker is interrupted; a call
 * submitted while every worker is busy and the queue is full completes with {@link RejectedExecutionException}.
 */
final class BlockingCalls implements AutoCloseable {

    private static final int QUEUE_CAPACITY = 32;

    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timer;
    private final Duration timeout;

    BlockingCalls(int threads, Duration timeout, ScheduledExecutorService timer) {
        AtomicInteger counter = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), runnable -> {
                    Thread thread = new Thread(runnable, "tandem-admin-worker-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.timer = timer;
        this.timeout = timeout;
    }

    Duration timeout() {
        return timeout;
    }

    <T> CompletableFuture<T> call(Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Future<?> running;
        try {
            running = workers.submit(() -> {
                try {
                    result.complete(work.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
            return result;
        }
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            if (result.completeExceptionally(new TimeoutException("no answer within " + timeout.toMillis() + " ms"))) {
                running.cancel(true);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((value, error) -> deadline.cancel(false));
        return result;
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
