package dev.mailbatch.job;

import java.time.Instant;

/**
 * One recipient's record: its outcome so far.
 *
 * @param retryable for FAILED: it failed only transiently and ran out of deliveries, so a redriven
 *     message may still send it
 */
public record Recipient(
        String email,
        RecipientStatus status,
        int attempts,
        String error,
        Instant sentAt,
        String providerMessageId,
        boolean retryable) {

    /** Whether a delivery of its chunk should (still) try to send it. */
    public boolean wantsSend() {
        return status == RecipientStatus.PENDING || (status == RecipientStatus.FAILED && retryable);
    }
}
