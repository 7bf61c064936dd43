package dev.mailbatch.worker;

import dev.mailbatch.mail.SendResult;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Short retries of one recipient's send within the delivery, before the chunk goes back to SQS
 * for its longer back-off: a transient failure (a 503, a timeout, a 409 on the key in flight) is
 * tried again after 25 ms, 50 ms, 100 ms, 200 ms and 400 ms at most, each with full jitter,
 * {@link #MAX_CALLS} calls in all, with the same delivery key. Only this recipient waits; the
 * rest of the chunk goes on.
 *
 * <p>Not retried here (left to the SQS back-off): a failure whose Retry-After is longer than
 * {@link #CAP}, a retry that would end after the delivery must record, and any retry once the
 * worker's <em>retry budget</em> is spent. The budget (as gRPC's retry throttling) starts at
 * {@code budget} tokens; every transient failure takes one, every success gives one back (up to
 * {@code budget}); retries are made only while more than half is left. A provider failing more
 * than half of its calls therefore gets no more calls from retries than without them.
 */
public final class QuickRetries {
    /** Calls per recipient per delivery, the first included. */
    public static final int MAX_CALLS = 6;

    /** The first retry's ceiling, as the SDK's own DynamoDB retries start (25 ms). */
    static final Duration BASE = Duration.ofMillis(25);

    static final Duration CAP = Duration.ofSeconds(1);

    /** No quick retries: one call per recipient per delivery. */
    static final QuickRetries NONE = new QuickRetries(0, () -> 0);

    private final int budget;
    private final AtomicInteger tokens;
    private final DoubleSupplier random;

    /** @param budget the retry budget's tokens (0: never retry within a delivery) */
    QuickRetries(int budget, DoubleSupplier random) {
        this.budget = budget;
        this.tokens = new AtomicInteger(budget);
        this.random = random;
    }

    /** A call's result, for the budget. */
    void record(SendResult result) {
        if (result instanceof SendResult.TransientFailure) {
            tokens.updateAndGet(t -> Math.max(0, t - 1));
        } else if (result != null) {
            tokens.updateAndGet(t -> Math.min(budget, t + 1));
        }
    }

    /**
     * How long to wait before calling again after the {@code calls}-th call failed transiently, or
     * null to leave the recipient to the SQS back-off.
     */
    Duration next(int calls, SendResult.TransientFailure failure, Instant now, Instant recordBy) {
        if (calls >= MAX_CALLS || tokens.get() * 2 <= budget) {
            return null;
        }
        Duration retryAfter = failure.retryAfter() == null ? Duration.ZERO : failure.retryAfter();
        if (retryAfter.compareTo(CAP) > 0) {
            return null;
        }
        long ceiling = Math.min(CAP.toMillis(), BASE.toMillis() << Math.min(calls - 1, 10));
        Duration wait = Duration.ofMillis(Math.max(retryAfter.toMillis(), Math.round(random.getAsDouble() * ceiling)));
        return now.plus(wait).isBefore(recordBy) ? wait : null;
    }
}
