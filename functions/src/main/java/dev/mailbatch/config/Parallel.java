package dev.mailbatch.config;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
        List<R> results = new ArrayList<>(items.size());
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<R>> futures = new ArrayList<>(items.size());
            for (T item : items) {
                futures.add(executor.submit(() -> work.apply(item)));
            }
            for (Future<R> future : futures) {
                results.add(future.get());
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
