package dev.mailbatch.worker;

import dev.mailbatch.config.Jitter;
import dev.mailbatch.store.Backoff;
import dev.mailbatch.store.RateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stack-wide send rate, as one worker instance sees it: each send first takes a token. Tokens
 * come from the shared buckets ({@link RateStore}), which hold {@code perSecond / 20} together and
 * refill at {@code perSecond}. In any second at most what the buckets held, what instances held
 * and what refilled go out, and the tokens held are bounded one of two ways:
 *
 * <ul>
 *   <li>When {@code perSecond / 20 / maxWorkers} is one or more, an instance takes at most that
 *       many at a time and keeps them until used, but never past the end of its invocation nor
 *       for longer than {@link #FRESH}. At most {@code maxWorkers} instances run at once (the
 *       function's reserved concurrency), so never more than {@code perSecond / 20} are held.
 *   <li>Below that (a low rate, many workers), a take asks for what one bucket holds, and what is
 *       left after {@link #FRESH_LOW_RATE} is dropped: what is held was taken in the last 50 ms.
 * </ul>
 *
 * Either way, in any second at most {@code perSecond * 1.1} emails go out across all workers.
 *
 * <p>Holding a take's tokens until they are used, rather than for a fixed 50 ms, is what keeps the
 * takes few: at a high rate an instance takes once per few hundred sends, not every 50 ms (issue
 * 12: the rate buckets were 43 % of a drain's write units). A high rate is split over several
 * buckets ({@link RateStore#shards}); a worker takes from one of them, and moves on to the next
 * whenever its bucket has none left.
 */
final class SendRate {
    /** How long tokens taken from the bucket may wait to be used, at most. */
    static final Duration FRESH = Duration.ofSeconds(1);

    /** The same, when each instance's share of the tokens that may be held is less than one. */
    static final Duration FRESH_LOW_RATE = Duration.ofMillis(50);

    private final RateStore bucket;
    private final Duration longestPause;
    private final double perSecond;
    private final double capacity;
    private final int shards;
    private final int want; // tokens one take asks for
    private final Duration fresh;
    private int shard;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: virtual threads wait here
    private int tokens;
    private Instant takenAt = Instant.EPOCH;

    /**
     * @param maxWorkers the most worker instances that run at once
     * @param longestPause the most a provider's "slow down" may hold every worker (RetryMaxSeconds)
     */
    SendRate(RateStore bucket, double perSecond, int maxWorkers, Duration longestPause, Clock clock) {
        this.longestPause = longestPause;
        this.bucket = bucket;
        this.perSecond = perSecond;
        this.shards = RateStore.shards(perSecond);
        this.capacity = Math.max(1, perSecond / 20 / shards);
        double share = perSecond / 20 / maxWorkers; // of the tokens that may be held, one instance's
        this.want = (int) (share >= 1 ? Math.min(Math.ceil(capacity), Math.floor(share)) : Math.ceil(capacity));
        this.fresh = share >= 1 ? FRESH : FRESH_LOW_RATE;
        this.shard = -1; // picked at the first take: never in a SnapStart snapshot (see restored())
        this.clock = clock;
    }

    /** Blocks until this worker may send one email. */
    void acquire() {
        acquire(Instant.MAX);
    }

    /**
     * Blocks until this worker may send one email, or {@code until} passes first.
     *
     * @return whether it may send
     */
    boolean acquire(Instant until) {
        lock.lock();
        try {
            return take(until);
        } finally {
            lock.unlock();
        }
    }

    private boolean take(Instant until) {
        if (shard < 0) {
            shard = Jitter.nextInt(shards); // where this instance starts: each its own, restored or not
        }
        int dry = 0; // buckets found empty in a row
        while (true) {
            Instant now = clock.instant();
            if (tokens > 0 && now.isBefore(takenAt.plus(fresh))) {
                tokens--;
                return true;
            }
            if (!now.isBefore(until)) {
                return false;
            }
            RateStore.Grant grant = bucket.take(shard, want, perSecond / shards, capacity, now);
            if (grant.tokens() > 0) {
                tokens = grant.tokens();
                takenAt = now;
                dry = 0;
            } else {
                tokens = 0;
                shard = (shard + 1) % shards; // this one is dry (or paused): the next may not be
                if (++dry >= shards) {
                    dry = 0;
                    Duration left = Duration.between(clock.instant(), until);
                    Duration wait = grant.retryIn();
                    Backoff.poll(left.compareTo(wait) < 0 && !left.isNegative() ? left : wait, Duration.ZERO);
                }
            }
        }
    }

    /**
     * The execution environment was restored from a SnapStart snapshot: the bucket to start from is
     * drawn again at the next take, so environments restored from one snapshot spread over the
     * buckets instead of all starting on the one the snapshot holds.
     */
    void restored() {
        lock.lock();
        try {
            shard = -1;
            tokens = 0;
        } finally {
            lock.unlock();
        }
    }

    /** The bucket this instance takes from next, or -1 before its first take. */
    int shard() {
        return shard;
    }

    /** The invocation ends: tokens still held are given up, since only running instances may hold any. */
    void drop() {
        lock.lock();
        try {
            tokens = 0;
        } finally {
            lock.unlock();
        }
    }

    /** A provider asked to slow down: every worker waits {@code delay} before its next send. */
    void pause(Duration delay) {
        drop();
        bucket.pauseUntil(clock.instant().plus(delay.compareTo(longestPause) > 0 ? longestPause : delay), shards);
    }
}
