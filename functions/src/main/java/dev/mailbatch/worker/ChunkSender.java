package dev.mailbatch.worker;

import dev.mailbatch.config.Parallel;
import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Claim;
import dev.mailbatch.job.Content;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.Transition;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.mail.OutgoingEmail;
import dev.mailbatch.mail.SendResult;
import dev.mailbatch.store.Backoff;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.RecipientStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * Sends a chunk's recipients in waves, each wave claimed before it is sent: the claim is a
 * conditional write of the chunk's records that marks each recipient of the wave as being sent
 * until the delivery's invocation must end ({@link Recipient#claimedUntil()}). A second delivery
 * of the chunk (SQS delivers at least once) skips what a live claim holds, so no recipient is
 * sent by two deliveries at once, whatever the provider; and a claim whose holder died says that
 * the email may have gone out. Each wave's outcomes are recorded in one transaction with the
 * job's counters, and that write also claims the next wave.
 */
final class ChunkSender {
    private final RecipientStore recipients;
    private final JobStore jobs;
    private final EmailSender sender;
    private final Semaphore sendPermits;
    private final SendRate sendRate;
    private final Clock clock;
    private final QuickRetries quickRetries;
    private final Faults faults;

    ChunkSender(
            RecipientStore recipients,
            JobStore jobs,
            EmailSender sender,
            Semaphore sendPermits,
            SendRate sendRate,
            Clock clock,
            QuickRetries quickRetries,
            Faults faults) {
        this.recipients = recipients;
        this.jobs = jobs;
        this.sender = sender;
        this.sendPermits = sendPermits;
        this.sendRate = sendRate;
        this.clock = clock;
        this.quickRetries = quickRetries;
        this.faults = faults;
    }

    /**
     * One delivery's sends of one chunk.
     *
     * @param todo the recipients to send, in order
     * @param known the chunk's records as read
     * @param unresolved recipients an earlier delivery may have sent: sent even after a cancel
     * @param failFirst the reason to record the recipients FAILED (retryable) before they are sent
     *     (a message's last deliveries), or null
     * @param recordBy when the outcomes must be recorded
     * @param claim this delivery's claim: its own holder token, ending after its invocation surely has
     * @param waveSize sends per wave (per outcome transaction)
     */
    record Work(
            Job job,
            Content content,
            int chunk,
            int delivery,
            List<EmailAddress> todo,
            ChunkRecords known,
            Set<String> unresolved,
            String failFirst,
            Instant recordBy,
            Claim claim,
            int waveSize) {}

    /**
     * What the waves came to.
     *
     * @param heldUntil when the latest claim of another delivery that kept this one from a recipient
     *     ends, or null
     * @param finishedAt the time of the last outcome written, when every wave was sent and recorded
     *     and none left a recipient to retry (the job may have finished with it), or null
     */
    record Sent(ChunkResult result, Instant heldUntil, Instant finishedAt) {}

    Sent send(Work w) {
        CancelWatch cancel = new CancelWatch(jobs, w.job().id(), clock);
        List<Outcomes.Attempt> attempts = new ArrayList<>(w.todo().size());
        Map<String, Outcome> recorded = new LinkedHashMap<>();
        Instant heldUntil = null;
        int late = 0; // sends not done by the deadline, and waves not started: the message comes back

        // The first write claims the first wave (and, on the last deliveries, marks every recipient
        // to send FAILED first); each later write records a wave and claims the next.
        int from = 0;
        List<EmailAddress> wave = wave(w, from);
        Instant at = clock.instant();
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : w.todo()) {
            transitions.put(r, claimOrMark(w, r, wave.contains(r), at));
        }
        RecipientStore.Recorded written = record(w, transitions, w.known(), at);
        faults.at(Faults.BEFORE_SEND);
        Instant lastRecord = null;
        List<EmailAddress> claimed = List.of();
        try {
            for (; ; ) {
                claimed = claimedBy(written, wave);
                heldUntil = latest(heldUntil, heldUntil(written.records(), wave, claimed, at));
                List<EmailAddress> sending = claimed;
                // Each send is bounded by the time left (no call starts after recordBy, and a call's
                // own timeout ends it by then): none is cut off, so no answer that came is lost.
                List<Outcomes.Attempt> results =
                        Parallel.map(sending, r -> sendOne(w, r, w.unresolved().contains(r.key()) ? null : cancel));
                // every send of the wave has returned: none of them goes out after this
                faults.at(Faults.BEFORE_RECORD);
                from += w.waveSize();
                List<EmailAddress> next = wave(w, from);
                at = clock.instant();
                boolean inTime = at.isBefore(w.recordBy());
                transitions = new LinkedHashMap<>();
                List<Outcomes.Attempt> sent = new ArrayList<>();
                for (int i = 0; i < sending.size(); i++) {
                    EmailAddress r = sending.get(i);
                    Outcomes.Attempt attempt = results.get(i);
                    Instant now = at;
                    if (attempt.notStarted()) {
                        late++; // no call made: it comes back with the message, its claim released
                    } else {
                        sent.add(attempt);
                    }
                    transitions.put(r, current -> Outcomes.after(current, attempt, now, w.delivery()));
                }
                if (inTime) {
                    for (EmailAddress r : next) {
                        Instant now = at;
                        transitions.put(r, current -> Outcomes.claim(r, current, now, w.claim(), null));
                    }
                }
                written = record(w, transitions, written.records(), at);
                claimed = inTime ? claimedBy(written, next) : List.of();
                for (Outcomes.Attempt attempt : sent) {
                    Outcome outcome = written.outcomes().get(attempt.recipient().key());
                    if (outcome != null) {
                        recorded.put(attempt.recipient().key(), outcome);
                    }
                }
                attempts.addAll(sent);
                lastRecord = sent.isEmpty() ? lastRecord : at;
                if (next.isEmpty()) {
                    break;
                }
                if (!inTime) {
                    late += w.todo().size() - from;
                    break;
                }
                wave = next;
            }
        } catch (RuntimeException e) {
            // Alive, but this delivery fails (a store fault, say): its claims end now rather than at
            // its timeout, so the next delivery need not wait for them. An Error (a dying worker)
            // leaves them to end by themselves.
            endClaims(w, claimed, written.records());
            throw e;
        }
        faults.at(Faults.AFTER_RECORD);
        ChunkResult result = ChunkResult.of(attempts, recorded);
        if (late > 0) {
            result = result.plus(new ChunkResult(0, 0, 0, late, null, null));
        }
        boolean whole = late == 0 && result.retrying() == 0 && !recorded.isEmpty();
        return new Sent(result, heldUntil, whole ? lastRecord : null);
    }

    /** Best effort: this delivery's claims on {@code claimed} end now (each may have been sent). */
    private void endClaims(Work w, List<EmailAddress> claimed, ChunkRecords known) {
        if (claimed.isEmpty()) {
            return;
        }
        Instant at = clock.instant();
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : claimed) {
            transitions.put(r, current -> Outcomes.endClaim(r, current, at, w.claim()));
        }
        try {
            record(w, transitions, known, at);
        } catch (RuntimeException ignored) {
            // the claims end at their time instead
        }
    }

    private static List<EmailAddress> wave(Work w, int from) {
        return from >= w.todo().size()
                ? List.of()
                : w.todo().subList(from, Math.min(from + w.waveSize(), w.todo().size()));
    }

    /** A recipient of the first wave is claimed (and failed first); the others only failed first. */
    private static Transition claimOrMark(Work w, EmailAddress r, boolean inWave, Instant at) {
        if (inWave) {
            return current -> Outcomes.claim(r, current, at, w.claim(), w.failFirst());
        }
        return current ->
                current != null && current.heldAt(at) ? null : Outcomes.failFirst(r, current, at, w.failFirst());
    }

    private RecipientStore.Recorded record(
            Work w, Map<EmailAddress, Transition> transitions, ChunkRecords known, Instant at) {
        if (transitions.isEmpty()) {
            return new RecipientStore.Recorded(Map.of(), known);
        }
        return recipients.record(
                w.job().id(), w.chunk(), transitions, known, at, w.job().expiresAt());
    }

    /** The recipients of the wave this delivery's write claimed (the others are done, or held by another). */
    private static List<EmailAddress> claimedBy(RecipientStore.Recorded written, List<EmailAddress> wave) {
        return wave.stream()
                .filter(r -> {
                    Outcome o = written.outcomes().get(r.key());
                    return o != null && o.isClaim();
                })
                .toList();
    }

    /** When the latest live claim of another delivery on a recipient of the wave ends, or null. */
    private static Instant heldUntil(
            ChunkRecords records, List<EmailAddress> wave, List<EmailAddress> claimed, Instant now) {
        Instant until = null;
        for (EmailAddress r : wave) {
            Recipient record = records.get(r.key());
            if (!claimed.contains(r) && record != null && record.heldAt(now)) {
                until = latest(until, record.claimedUntil());
            }
        }
        return until;
    }

    /** Waits for one of the instance's send permits until {@code until}; whether it got one. */
    private boolean permit(Instant until) {
        try {
            long left = Duration.between(clock.instant(), until).toMillis();
            return left > 0 && sendPermits.tryAcquire(left, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    /**
     * Sends to one recipient, trying a transient failure again within the delivery as
     * {@link QuickRetries} allows.
     *
     * @param cancel stops the send if the job was cancelled; null: sent whatever (an unresolved recipient)
     */
    private Outcomes.Attempt sendOne(Work w, EmailAddress recipient, CancelWatch cancel) {
        Content content = w.content();
        OutgoingEmail email = new OutgoingEmail(
                content.from(),
                recipient.address(),
                content.subject(),
                content.text(),
                content.html(),
                Outcomes.deliveryKey(w.job().id(), recipient));
        SendResult result = null;
        for (int calls = 0; ; ) {
            if (!permit(w.recordBy())) {
                return new Outcomes.Attempt(recipient, result, calls, true);
            }
            try {
                try {
                    if (cancel != null && cancel.cancelled()) {
                        // not sent again; a failed call before this may still have gone out
                        return new Outcomes.Attempt(recipient, result, calls);
                    }
                    if (!sendRate.acquire(w.recordBy())) {
                        return new Outcomes.Attempt(recipient, result, calls, true);
                    }
                } catch (RuntimeException e) {
                    // the store failed us before this call (the cancel flag, the send rate): it is not
                    // made, and the recipient comes back; the wave's other sends are recorded
                    return new Outcomes.Attempt(recipient, result, calls, true);
                }
                result = sender.send(email, Duration.between(clock.instant(), w.recordBy()));
                calls++;
                if (result instanceof SendResult.TransientFailure t && t.throttled()) {
                    pause(t.retryAfter() == null ? ChunkProcessor.THROTTLED_PAUSE : t.retryAfter());
                }
            } finally {
                sendPermits.release();
            }
            faults.at(Faults.AFTER_EMAIL);
            quickRetries.record(result);
            Duration wait = result instanceof SendResult.TransientFailure t
                    ? quickRetries.next(calls, t, clock.instant(), w.recordBy())
                    : null;
            if (wait == null || !pausedFor(wait)) {
                return new Outcomes.Attempt(recipient, result, calls);
            }
        }
    }

    /**
     * Every worker holds off after a provider's "slow down": best effort, since the call's result
     * must be recorded whatever the store does (a failed pause costs a few early sends, no more).
     */
    private void pause(Duration delay) {
        try {
            sendRate.pause(delay);
        } catch (RuntimeException e) {
            // the next throttled answer pauses them again
        }
    }

    /** Waits before a quick retry; false if the wait was cut short (then no retry now). */
    private static boolean pausedFor(Duration wait) {
        try {
            Backoff.poll(wait, Duration.ZERO);
            return true;
        } catch (RuntimeException interrupted) {
            return false;
        }
    }
}
