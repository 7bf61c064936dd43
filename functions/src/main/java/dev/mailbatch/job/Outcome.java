package dev.mailbatch.job;

import java.time.Instant;

/**
 * What one recipient's record should become, ready to be recorded.
 *
 * @param status the new status (PENDING: a transient failure, to be retried)
 * @param retryable for FAILED: gave up on transient failures only (see {@link Recipient#retryable()})
 * @param attempted whether this came from a send attempt (counted in {@code attempts})
 */
public record Outcome(
        EmailAddress recipient,
        RecipientStatus status,
        String error,
        Instant at,
        String providerMessageId,
        boolean retryable,
        boolean attempted) {

    public static Outcome sent(EmailAddress recipient, Instant at, String providerMessageId) {
        return new Outcome(recipient, RecipientStatus.SENT, null, at, providerMessageId, false, true);
    }

    public static Outcome failed(EmailAddress recipient, Instant at, String reason) {
        return new Outcome(recipient, RecipientStatus.FAILED, reason, at, null, false, true);
    }

    public static Outcome retry(EmailAddress recipient, Instant at, String reason) {
        return new Outcome(recipient, RecipientStatus.PENDING, reason, at, null, false, true);
    }

    /** Gave up on transient failures: FAILED, but a redriven message may try it again. */
    public static Outcome gaveUp(EmailAddress recipient, Instant at, String reason, boolean attempted) {
        return new Outcome(recipient, RecipientStatus.FAILED, reason, at, null, true, attempted);
    }

    public static Outcome cancelled(EmailAddress recipient, Instant at) {
        return new Outcome(recipient, RecipientStatus.CANCELLED, "the job was cancelled", at, null, false, false);
    }
}
