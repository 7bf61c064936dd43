package dev.mailbatch.local.lambda;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A function invocation bounded by the function's Timeout, as Lambda bounds it. */
public final class Invocation {
    private Invocation() {}

    /**
     * Runs the call on its own virtual thread and waits at most {@code timeout}. On timeout the
     * thread is interrupted and abandoned (Lambda would stop the execution environment).
     *
     * @throws ExecutionException the handler threw; the cause is what it threw
     */
    public static <T> T call(Callable<T> call, Duration timeout)
            throws TimeoutException, ExecutionException, InterruptedException {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().name("invocation").start(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            thread.interrupt();
            throw e;
        }
    }
}
