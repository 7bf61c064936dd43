package dev.mailbatch.job;

import java.time.Instant;

/**
 * What one recipient's record should become, ready to be recorded.
 *
 * @param status the new status (PENDING: a transient failure, to be retried)
 * @param retryable for FAILED: gave up on transient failures only (see {@link Recipient#retryable()})
 * @param attempts how many provider calls this outcome came from (added to the record's {@code attempts})
 * @param claim for a claim: the claiming delivery's (see {@link Recipient#claim()}); null for
 *     every other outcome, which ends a claim
 */
public record Outcome(
        EmailAddress recipient,
        RecipientStatus status,
        String error,
        Instant at,
        String providerMessageId,
        boolean retryable,
        int attempts,
        Claim claim) {

    public Outcome(
            EmailAddress recipient,
            RecipientStatus status,
            String error,
            Instant at,
            String providerMessageId,
            boolean retryable,
            int attempts) {
        this(recipient, status, error, at, providerMessageId, retryable, attempts, null);
    }

    public static Outcome sent(EmailAddress recipient, Instant at, String providerMessageId) {
        return new Outcome(recipient, RecipientStatus.SENT, null, at, providerMessageId, false, 1);
    }

    public static Outcome failed(EmailAddress recipient, Instant at, String reason) {
        return new Outcome(recipient, RecipientStatus.FAILED, reason, at, null, false, 1);
    }

    public static Outcome retry(EmailAddress recipient, Instant at, String reason) {
        return new Outcome(recipient, RecipientStatus.PENDING, reason, at, null, false, 1);
    }

    /** Gave up on transient failures: FAILED, but a redriven message may try it again. */
    public static Outcome gaveUp(EmailAddress recipient, Instant at, String reason, boolean attempted) {
        return new Outcome(recipient, RecipientStatus.FAILED, reason, at, null, true, attempted ? 1 : 0);
    }

    public static Outcome cancelled(EmailAddress recipient, Instant at) {
        return new Outcome(recipient, RecipientStatus.CANCELLED, "the job was cancelled", at, null, false, 0);
    }

    /**
     * A delivery claims the recipient before it sends: the record keeps its status and error and
     * says that a send is under way until {@code until} (or, once that passed, that one may have
     * gone out). Written before every send, so "may have been sent" is read from the record.
     *
     * @param current the record now, or null (a recipient never attempted: PENDING)
     */
    public static Outcome claim(EmailAddress recipient, Recipient current, Instant at, Claim claim) {
        return current == null
                ? new Outcome(recipient, RecipientStatus.PENDING, null, at, null, false, 0, claim)
                : new Outcome(recipient, current.status(), current.error(), at, null, current.retryable(), 0, claim);
    }

    /** Whether this claims the recipient for a send. */
    public boolean isClaim() {
        return claim != null;
    }

    /** The same outcome, also carrying {@code claim} (a mark written before a send). */
    public Outcome claimedBy(Claim claim) {
        return new Outcome(recipient, status, error, at, providerMessageId, retryable, attempts, claim);
    }

    /** Whether this came from a send attempt. */
    public boolean attempted() {
        return attempts > 0;
    }

    /** The same outcome, from {@code calls} provider calls (quick retries within one delivery). */
    public Outcome fromCalls(int calls) {
        return attempts == 0 || calls == attempts
                ? this
                : new Outcome(recipient, status, error, at, providerMessageId, retryable, calls, claim);
    }
}
