package dev.mailbatch.worker;

import dev.mailbatch.store.Backoff;
import dev.mailbatch.store.RateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stack-wide send rate, as one worker instance sees it: each send first takes a token. Tokens
 * come from the shared bucket ({@link RateStore}) a few at a time and are used within
 * {@link #FRESH}; what is left then is dropped, so a worker never sends late on tokens it took
 * early. The bucket holds {@code perSecond / 20} tokens at most (at least one), so in any second
 * at most {@code perSecond * 1.1} emails go out across all workers.
 */
final class SendRate {
    /** How long tokens taken from the bucket may wait to be used. */
    static final Duration FRESH = Duration.ofMillis(50);

    private final RateStore bucket;
    private final Duration longestPause;
    private final double perSecond;
    private final double capacity;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: virtual threads wait here
    private int tokens;
    private Instant takenAt = Instant.EPOCH;

    /** @param longestPause the most a provider's "slow down" may hold every worker (RetryMaxSeconds) */
    SendRate(RateStore bucket, double perSecond, Duration longestPause, Clock clock) {
        this.longestPause = longestPause;
        this.bucket = bucket;
        this.perSecond = perSecond;
        this.capacity = Math.max(1, perSecond / 20);
        this.clock = clock;
    }

    /** Blocks until this worker may send one email. */
    void acquire() {
        lock.lock();
        try {
            take();
        } finally {
            lock.unlock();
        }
    }

    private void take() {
        while (true) {
            Instant now = clock.instant();
            if (tokens > 0 && now.isBefore(takenAt.plus(FRESH))) {
                tokens--;
                return;
            }
            RateStore.Grant grant = bucket.take((int) Math.ceil(capacity), perSecond, capacity, now);
            if (grant.tokens() > 0) {
                tokens = grant.tokens();
                takenAt = now;
            } else {
                tokens = 0;
                Backoff.poll(grant.retryIn(), Duration.ZERO);
            }
        }
    }

    /** A provider asked to slow down: every worker waits {@code delay} before its next send. */
    void pause(Duration delay) {
        bucket.pauseUntil(clock.instant().plus(delay.compareTo(longestPause) > 0 ? longestPause : delay));
    }
}
