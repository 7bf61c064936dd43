package dev.mailbatch.worker;

import dev.mailbatch.job.Claim;
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
     * than one after quick retries). A null result means no call was made: the job was cancelled
     * first, or ({@code late}) the delivery's time ran out before the call could start.
     */
    record Attempt(EmailAddress recipient, SendResult result, int calls, boolean late) {
        Attempt(EmailAddress recipient, SendResult result, int calls) {
            this(recipient, result, calls, false);
        }

        Attempt(EmailAddress recipient, SendResult result) {
            this(recipient, result, result == null ? 0 : 1);
        }

        /** Not sent, for want of time: the message comes back. */
        boolean notStarted() {
            return late && result == null;
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
        if (attempt.notStarted()) {
            return current == null ? null : released(current, attempt, at); // not sent: as it was, unclaimed
        }
        return switch (attempt.result()) {
            // not called: the job was cancelled first. Known never sent unless an earlier delivery tried it.
            case null ->
                current != null && current.attempts() > 0
                        ? released(current, attempt, at)
                        : Outcome.cancelled(attempt.recipient(), at);
            case SendResult.Sent s -> Outcome.sent(attempt.recipient(), at, s.providerMessageId());
            case SendResult.PermanentFailure f -> Outcome.failed(attempt.recipient(), at, f.reason());
            case SendResult.TransientFailure t ->
                markedFailed
                        ? Outcome.gaveUp(attempt.recipient(), at, "delivery " + delivery + ": " + t.reason(), true)
                        : Outcome.retry(attempt.recipient(), at, t.reason());
        };
    }

    /** The record as it was, without this delivery's claim (null if it has none). */
    private static Outcome released(Recipient current, Attempt attempt, Instant at) {
        return current.claimed()
                ? new Outcome(attempt.recipient(), current.status(), current.error(), at, null, current.retryable(), 0)
                : null;
    }

    /**
     * Whether the recipient may have been sent without its outcome being known, by what its record
     * says (never by how often SQS delivered the message: a redriven or requeued copy starts again
     * at 1): a delivery claimed it and recorded nothing since (the claim is written before every
     * send, so the claimer may have died after sending), or it is PENDING after an attempt (a lost
     * answer, a transient failure).
     */
    static boolean mayHaveBeenSent(Recipient current) {
        return current != null
                && ((current.status() == RecipientStatus.PENDING && current.attempts() > 0)
                        || (current.wantsSend() && current.claimed()));
    }

    /**
     * Whether a record says its recipient was never sent: none yet, or one that still wants a send
     * with no attempt and no claim behind it (PENDING, or FAILED (retryable) by a "mark FAILED first"
     * whose send never started: a cancel makes it CANCELLED, not failed).
     */
    static boolean neverSent(Recipient current) {
        return current == null || (current.wantsSend() && current.attempts() == 0 && !current.claimed());
    }

    /**
     * What a recipient's record becomes when this delivery claims it to send, given what it is now:
     * claimed by this delivery until its claim ends (and FAILED (retryable) first, on a message's last deliveries); null
     * when it wants no send any more, or another delivery's claim still holds it.
     *
     * @param failFirst the reason to record it FAILED before the send, or null
     */
    static Outcome claim(EmailAddress recipient, Recipient current, Instant at, Claim mine, String failFirst) {
        if (current != null && current.wantsSend() && mine.isBy(current.claim())) {
            // this delivery's own claim (its write landed, and its answer was lost): claimed already
            return Outcome.claim(recipient, current, at, mine);
        }
        if (current != null && (!current.wantsSend() || current.heldAt(at))) {
            return null;
        }
        Outcome marked = failFirst(recipient, current, at, failFirst);
        return marked != null ? marked.claimedBy(mine) : Outcome.claim(recipient, current, at, mine);
    }

    /**
     * What a recipient's record becomes when this delivery's claim on it ends before an outcome is
     * known: still claimed (the email may have gone out), but only until {@code at}, so the next
     * delivery resolves it without waiting. Null if the claim is not this delivery's any more.
     *
     * @param mine this delivery's claim
     */
    static Outcome endClaim(EmailAddress recipient, Recipient current, Instant at, Claim mine) {
        return current != null && current.wantsSend() && mine.isBy(current.claim())
                ? Outcome.claim(recipient, current, at, mine.endedAt(at))
                : null;
    }

    /**
     * On a message's last deliveries, a recipient still to send is recorded FAILED (retryable)
     * before it is sent: if the delivery dies and the message lands in the dead-letter queue, the
     * job still ends; a send that succeeds moves it to SENT. Null when there is nothing to mark.
     */
    static Outcome failFirst(EmailAddress recipient, Recipient current, Instant at, String reason) {
        if (reason == null || (current != null && current.status() != RecipientStatus.PENDING)) {
            return null;
        }
        Outcome failed = Outcome.gaveUp(recipient, at, withPrevious(reason, current), false);
        // a claim whose holder died stays: it says the email may have gone out
        return current != null && current.claimed() ? failed.claimedBy(current.claim()) : failed;
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
