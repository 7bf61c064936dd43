package dev.mailbatch.store;

import dev.mailbatch.config.Jitter;
import java.time.Duration;

/** Waiting before asking again: after a conflict or throttling, or while polling for a change. */
public final class Backoff {
    private Backoff() {}

    /** Waits before try {@code tries + 1}: 40 ms doubling up to 1 s, plus up to 20 ms of jitter. */
    public static void beforeRetry(int tries) {
        sleep(Duration.ofMillis(Math.min(1000, 20L << Math.min(tries, 6)) + Jitter.nextInt(20)));
    }

    /** Waits {@code base} plus up to {@code jitter} more (spreads out many waiters polling one item). */
    public static void poll(Duration base, Duration jitter) {
        long extra = jitter.isZero() ? 0 : Jitter.nextLong(jitter.toMillis());
        sleep(base.plusMillis(extra));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting to retry", e);
        }
    }
}
