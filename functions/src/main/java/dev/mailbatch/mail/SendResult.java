package dev.mailbatch.mail;

import java.time.Duration;

/** What a provider made of one email. */
public sealed interface SendResult {

    /** Accepted by the provider. */
    record Sent(String providerMessageId) implements SendResult {}

    /** Refused for good (a bad address, a rejected message): recorded, never retried. */
    record PermanentFailure(String reason) implements SendResult {}

    /** Throttled, timed out, or a provider fault: retried later, not before {@code retryAfter} if given. */
    record TransientFailure(String reason, Duration retryAfter) implements SendResult {}
}
