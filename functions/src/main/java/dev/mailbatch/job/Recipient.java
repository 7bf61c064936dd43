package dev.mailbatch.job;

import java.time.Instant;

/**
 * One recipient's record: its outcome so far.
 *
 * @param retryable for FAILED: it failed only transiently and ran out of deliveries, so a redriven
 *     message may still send it
 * @param claim set while a delivery has claimed it to send (written before the send; see
 *     {@link #claimed()}): until it ends no other delivery sends it; null when no send is under way
 *     or unresolved
 */
public record Recipient(
        String email,
        RecipientStatus status,
        int attempts,
        String error,
        Instant sentAt,
        String providerMessageId,
        boolean retryable,
        Claim claim) {

    /** A record no delivery has claimed. */
    public Recipient(
            String email,
            RecipientStatus status,
            int attempts,
            String error,
            Instant sentAt,
            String providerMessageId,
            boolean retryable) {
        this(email, status, attempts, error, sentAt, providerMessageId, retryable, null);
    }

    /** Whether a delivery of its chunk should (still) try to send it. */
    public boolean wantsSend() {
        return status == RecipientStatus.PENDING || (status == RecipientStatus.FAILED && retryable);
    }

    /**
     * Whether a delivery claimed it and recorded no outcome since: the claim is written before the
     * send, so the email may have gone out (the claimer may have died after sending).
     */
    public boolean claimed() {
        return claim != null;
    }

    /** Whether a claim still holds at {@code now}: its delivery may be sending it now. */
    public boolean heldAt(Instant now) {
        return claim != null && claim.holdsAt(now);
    }

    /** When the claim on it ends, or null if it has none. */
    public Instant claimedUntil() {
        return claim == null ? null : claim.until();
    }
}
