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
 * early. The buckets hold {@code perSecond / 20} tokens at most together (at least one each), so in
 * any second at most {@code perSecond * 1.1} emails go out across all workers. A high rate is
 * split over several buckets ({@link RateStore#shards}); a worker takes from one of them, and
 * moves on to the next whenever its bucket has none left.
 */
final class SendRate {
    /** How long tokens taken from the bucket may wait to be used. */
    static final Duration FRESH = Duration.ofMillis(50);

    private final RateStore bucket;
    private final Duration longestPause;
    private final double perSecond;
    private final double capacity;
    private final int shards;
    private int shard;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: virtual threads wait here
    private int tokens;
    private Instant takenAt = Instant.EPOCH;

    /** @param longestPause the most a provider's "slow down" may hold every worker (RetryMaxSeconds) */
    SendRate(RateStore bucket, double perSecond, Duration longestPause, Clock clock) {
        this.longestPause = longestPause;
        this.bucket = bucket;
        this.perSecond = perSecond;
        this.shards = RateStore.shards(perSecond);
        this.capacity = Math.max(1, perSecond / 20 / shards);
        this.shard = java.util.concurrent.ThreadLocalRandom.current().nextInt(shards);
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
        int dry = 0; // buckets found empty in a row
        while (true) {
            Instant now = clock.instant();
            if (tokens > 0 && now.isBefore(takenAt.plus(FRESH))) {
                tokens--;
                return;
            }
            RateStore.Grant grant = bucket.take(shard, (int) Math.ceil(capacity), perSecond / shards, capacity, now);
            if (grant.tokens() > 0) {
                tokens = grant.tokens();
                takenAt = now;
                dry = 0;
            } else {
                tokens = 0;
                shard = (shard + 1) % shards; // this one is dry (or paused): the next may not be
                if (++dry >= shards) {
                    dry = 0;
                    Backoff.poll(grant.retryIn(), Duration.ZERO);
                }
            }
        }
    }

    /** A provider asked to slow down: every worker waits {@code delay} before its next send. */
    void pause(Duration delay) {
        bucket.pauseUntil(clock.instant().plus(delay.compareTo(longestPause) > 0 ? longestPause : delay), shards);
    }
}
