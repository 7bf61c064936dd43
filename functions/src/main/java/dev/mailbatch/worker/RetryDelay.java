package dev.mailbatch.worker;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long a message with transient failures stays invisible before its next attempt:
 * exponential in the receive count with "equal jitter" (half fixed, half random), never less
 * than a provider's Retry-After, and never more than the cap (RetryMaxSeconds), a Retry-After
 * included: the template bounds MaxDeliveries x RetryMaxSeconds below the queue's retention, so a
 * message reaches its last deliveries before SQS could drop it.
 */
public final class RetryDelay {
    private static final long SQS_MAX_SECONDS = 43_200;

    private RetryDelay() {}

    public static Duration compute(
            int receiveCount, Duration retryAfter, Duration base, Duration max, DoubleSupplier random) {
        int exponent = Math.max(0, Math.min(receiveCount - 1, 20));
        long backoff = Math.min(max.toSeconds(), base.toSeconds() << exponent);
        long jittered = backoff / 2 + Math.round(random.getAsDouble() * (backoff - backoff / 2));
        long seconds = Math.max(jittered, retryAfter == null ? 0 : retryAfter.toSeconds());
        return Duration.ofSeconds(Math.min(Math.min(seconds, max.toSeconds()), SQS_MAX_SECONDS));
    }
}
