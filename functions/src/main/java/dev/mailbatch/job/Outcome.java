package dev.mailbatch.job;

import java.time.Instant;

/**
 * What one send attempt to one recipient came to, ready to be recorded.
 *
 * @param status SENT, FAILED (permanent) or PENDING (transient: to be retried)
 */
public record Outcome(EmailAddress recipient, RecipientStatus status, String error,
                      Instant at, String providerMessageId) {
}
