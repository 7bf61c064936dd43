package dev.mailbatch.config;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** The functions' one fan-out: blocking I/O per item, each on its own virtual thread. */
public final class Parallel {
    private Parallel() {}

    /**
     * Applies {@code work} to every item at once and returns the results in the items' order,
     * after every item is done. What {@code work} throws is rethrown as it is (the first, in item
     * order): an {@link Error} too, so a dying worker dies whole. One item runs on the caller's thread.
     */
    public static <T, R> List<R> map(List<T> items, Function<T, R> work) {
        if (items.size() == 1) {
            return List.of(work.apply(items.getFirst()));
        }
        return mapUntil(items, work, null);
    }

    /**
     * As {@link #map}, but waits only until {@code until} (null: for as long as it takes): an item
     * not done by then is cancelled (its thread interrupted) and its result is null. Errors still
     * come through.
     */
    public static <T, R> List<R> mapUntil(List<T> items, Function<T, R> work, Instant until) {
        List<R> results = new ArrayList<>(items.size());
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<R>> futures = new ArrayList<>(items.size());
            for (T item : items) {
                futures.add(executor.submit(() -> work.apply(item)));
            }
            for (Future<R> future : futures) {
                if (until == null) {
                    results.add(future.get());
                    continue;
                }
                long left = Duration.between(Instant.now(), until).toMillis();
                try {
                    results.add(future.get(Math.max(0, left), TimeUnit.MILLISECONDS));
                } catch (TimeoutException late) {
                    future.cancel(true);
                    results.add(null);
                }
            }
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case RuntimeException r -> throw r;
                case Error error -> throw error;
                default -> throw new IllegalStateException(e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return results;
    }
}
