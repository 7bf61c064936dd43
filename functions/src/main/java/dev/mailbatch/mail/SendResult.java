package dev.mailbatch.mail;

import java.time.Duration;

/** What a provider made of one email. */
public sealed interface SendResult {

    /** Accepted by the provider. */
    record Sent(String providerMessageId) implements SendResult {}

    /** Refused for good (a bad address, a rejected message): recorded, never retried. */
    record PermanentFailure(String reason) implements SendResult {}

    /**
     * Throttled, timed out, or a provider fault: retried later, not before {@code retryAfter} if
     * given.
     *
     * @param throttled the provider said to slow down (HTTP 429, SES throttling): every worker waits
     */
    record TransientFailure(String reason, Duration retryAfter, boolean throttled) implements SendResult {
        public TransientFailure(String reason, Duration retryAfter) {
            this(reason, retryAfter, false);
        }
    }
}
