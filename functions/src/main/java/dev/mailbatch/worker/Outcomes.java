package dev.mailbatch.worker;

import dev.mailbatch.job.Digest;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.mail.SendResult;
import java.time.Instant;

/**
 * The worker's outcome logic, pure: what a recipient's record becomes after an attempt, given
 * what it is now; and which records say their recipient was, or may have been, sent.
 */
final class Outcomes {
    private Outcomes() {}

    /**
     * One recipient's attempt in this delivery: the last result of {@code calls} provider calls (more
     * than one after quick retries); a null result means it was not sent because the job was cancelled.
     */
    record Attempt(EmailAddress recipient, SendResult result, int calls) {
        Attempt(EmailAddress recipient, SendResult result) {
            this(recipient, result, result == null ? 0 : 1);
        }
    }

    /**
     * What a recipient's record becomes after this delivery's attempt, given what it is now: a
     * pure function of the two, so the store can apply it again to a record that another
     * delivery changed.
     */
    static Outcome after(Recipient current, Attempt attempt, Instant at, int delivery) {
        Outcome outcome = decide(current, attempt, at, delivery);
        return outcome == null ? null : outcome.fromCalls(attempt.calls());
    }

    private static Outcome decide(Recipient current, Attempt attempt, Instant at, int delivery) {
        if (current != null
                && current.status() == RecipientStatus.CANCELLED
                && attempt.result() instanceof SendResult.Sent s) {
            return Outcome.sent(attempt.recipient(), at, s.providerMessageId()); // it went out after all
        }
        if (current != null && !current.wantsSend()) {
            return null; // SENT, FAILED for good or CANCELLED: done elsewhere, never changed again
        }
        boolean markedFailed = current != null && current.status() == RecipientStatus.FAILED;
        return switch (attempt.result()) {
            case null -> markedFailed ? null : Outcome.cancelled(attempt.recipient(), at);
            case SendResult.Sent s -> Outcome.sent(attempt.recipient(), at, s.providerMessageId());
            case SendResult.PermanentFailure f -> Outcome.failed(attempt.recipient(), at, f.reason());
            case SendResult.TransientFailure t ->
                markedFailed
                        ? Outcome.gaveUp(attempt.recipient(), at, "delivery " + delivery + ": " + t.reason(), true)
                        : Outcome.retry(attempt.recipient(), at, t.reason());
        };
    }

    /**
     * Whether an earlier delivery of this chunk may have sent to the recipient without its outcome
     * being known: it has a PENDING record of an attempt (a lost answer, a transient failure), or
     * no record while this is not the chunk's first delivery (a delivery that died after sending).
     */
    static boolean mayHaveBeenSent(Recipient current, int delivery) {
        return current == null ? delivery > 1 : current.status() == RecipientStatus.PENDING && current.attempts() > 0;
    }

    /**
     * Whether a record says its recipient was never sent: none yet, PENDING, or FAILED (retryable)
     * by a "mark FAILED first" without an attempt (a cancel then makes it CANCELLED, not failed).
     */
    static boolean neverSent(Recipient current) {
        return current == null
                || current.status() == RecipientStatus.PENDING
                || (current.status() == RecipientStatus.FAILED && current.retryable() && current.attempts() == 0);
    }

    /**
     * The delivery key of (job, recipient), sent to the provider as its Idempotency-Key: stable
     * across deliveries, and carrying no address (providers log the header).
     */
    static String deliveryKey(String jobId, EmailAddress recipient) {
        return "mb-" + jobId + "-" + Digest.sha256Hex(recipient.key(), 16);
    }

    /** A reason, with the error the record carried before. */
    static String withPrevious(String reason, Recipient current) {
        return current != null && current.error() != null ? reason + ": " + current.error() : reason;
    }
}
