package dev.mailbatch.job;

import java.time.Instant;

/** One recipient's record: its outcome so far. */
public record Recipient(String email, RecipientStatus status, int attempts, String error,
                        Instant sentAt, String providerMessageId) {
}
