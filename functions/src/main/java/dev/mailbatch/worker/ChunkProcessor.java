package dev.mailbatch.worker;

import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobRepository;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.job.Transition;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.mail.OutgoingEmail;
import dev.mailbatch.mail.SendResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Sends one chunk (one delivery of one SQS message):
 * <ol>
 *   <li>reads the job; sends nothing for a job whose submit has not finished enqueueing (and
 *       abandons it once its submit is surely dead), nor for an abandoned one;</li>
 *   <li>for a cancelled job, marks the chunk's unattempted recipients CANCELLED;</li>
 *   <li>skips recipients already done (a duplicate or redelivered message);</li>
 *   <li>on the message's last two deliveries, first marks the rest FAILED (retryable), so that
 *       the job ends even if this delivery dies and the message lands in the dead-letter queue;</li>
 *   <li>sends the rest concurrently, stopping within about a second of a cancel;</li>
 *   <li>records every outcome and the job's counters in one transaction (for SES, one per
 *       {@code SEND_CONCURRENCY} sends).</li>
 * </ol>
 * A crash anywhere before that transaction leaves nothing recorded, so the redelivered message
 * sends again, with the same Idempotency-Key per (job, recipient).
 */
public final class ChunkProcessor {
    /** How long a worker waits in place for a submit to finish enqueueing before it lets the message go. */
    static final Duration ENQUEUE_WAIT = Duration.ofSeconds(3);

    private static final Duration CANCEL_CHECK_INTERVAL = Duration.ofMillis(500);

    private final JobRepository jobs;
    private final EmailSender sender;
    private final Semaphore sendPermits;
    private final Clock clock;
    private final int maxDeliveries;
    private final int recordEvery;
    private final Faults faults;

    /**
     * @param sendPermits bounds the sends in flight across all chunks handled by this instance
     * @param maxDeliveries the queue's maxReceiveCount: after that many deliveries a message goes
     *     to the dead-letter queue
     * @param recordEvery how many sends to make before recording their outcomes: the whole chunk
     *     for a provider that honours Idempotency-Key (one transaction per chunk); fewer for one
     *     that does not (SES), because every send not yet recorded when a worker dies is sent again
     */
    public ChunkProcessor(
            JobRepository jobs,
            EmailSender sender,
            Semaphore sendPermits,
            Clock clock,
            int maxDeliveries,
            int recordEvery,
            Faults faults) {
        this.jobs = jobs;
        this.sender = sender;
        this.sendPermits = sendPermits;
        this.clock = clock;
        this.maxDeliveries = maxDeliveries;
        this.recordEvery = Math.max(1, recordEvery);
        this.faults = faults;
    }

    /** @param delivery which delivery of the message this is (SQS's ApproximateReceiveCount) */
    public ChunkResult process(ChunkMessage message, int delivery) {
        Optional<Job> found = jobs.find(message.jobId(), clock.instant());
        if (found.isEmpty()
                || found.get().abandonedAt() != null
                || found.get().sent() == found.get().total()) {
            return ChunkResult.NOTHING_TO_DO; // expired, given up unsent, or every recipient sent
        }
        Job job = found.get();
        if (job.enqueuedAt() == null) {
            job = awaitEnqueued(job);
            if (job == null || job.abandonedAt() != null) {
                return ChunkResult.NOTHING_TO_DO;
            }
            if (job.enqueuedAt() == null) {
                if (job.isOrphaned(clock.instant())) {
                    jobs.abandon(job, clock.instant(), Job.ABANDONED_REASON);
                    return ChunkResult.NOTHING_TO_DO;
                }
                return ChunkResult.NOT_READY;
            }
        }
        Map<String, EmailAddress> recipients = new LinkedHashMap<>();
        for (String address : message.to()) {
            EmailAddress recipient = EmailAddress.ofNormalized(address);
            recipients.putIfAbsent(recipient.key(), recipient);
        }
        Map<String, Recipient> known = jobs.findRecipients(job.id(), recipients.values());
        if (job.cancelledAt() != null) {
            return cancelRest(job, recipients, known);
        }
        List<EmailAddress> todo = recipients.values().stream()
                .filter(r -> !known.containsKey(r.key()) || known.get(r.key()).wantsSend())
                .toList();
        if (todo.isEmpty()) {
            return ChunkResult.NOTHING_TO_DO;
        }
        if (job.startedAt() == null) {
            jobs.markStarted(job.id(), clock.instant());
        }
        Map<String, Recipient> before = known;
        if (delivery >= maxDeliveries - 1) {
            before = markFailedFirst(job, todo, known, delivery);
        }

        faults.at(Faults.BEFORE_SEND);
        CancelWatch cancel = new CancelWatch(job.id());
        List<Attempt> attempts = new ArrayList<>(todo.size());
        Map<String, Outcome> recorded = new LinkedHashMap<>();
        for (int from = 0; from < todo.size(); from += recordEvery) {
            List<Attempt> group = sendAll(job, todo.subList(from, Math.min(from + recordEvery, todo.size())), cancel);
            faults.at(Faults.BEFORE_RECORD);
            Instant at = clock.instant();
            Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
            for (Attempt attempt : group) {
                transitions.put(attempt.recipient(), current -> after(current, attempt, at, delivery));
            }
            recorded.putAll(jobs.record(job.id(), transitions, before, at, job.expiresAt()));
            attempts.addAll(group);
        }
        faults.at(Faults.AFTER_RECORD);

        int sent = 0;
        int failed = 0;
        int cancelled = 0;
        int retrying = 0;
        Duration retryAfter = null;
        for (Attempt attempt : attempts) {
            Outcome outcome = recorded.get(attempt.recipient().key());
            if (outcome == null) {
                continue; // done by another delivery
            }
            switch (outcome.status()) {
                case SENT -> sent++;
                case FAILED ->
                    failed += outcome.retryable() && attempt.result() instanceof SendResult.TransientFailure ? 0 : 1;
                case CANCELLED -> cancelled++;
                case PENDING -> {}
            }
            if (attempt.result() instanceof SendResult.TransientFailure t) {
                retrying++;
                if (t.retryAfter() != null
                        && (retryAfter == null || t.retryAfter().compareTo(retryAfter) > 0)) {
                    retryAfter = t.retryAfter();
                }
            }
        }
        return new ChunkResult(sent, failed, cancelled, retrying, retryAfter, false);
    }

    /**
     * What a recipient's record becomes after this delivery's attempt, given what it is now: a
     * pure function of the two, so the repository can apply it again to a record that another
     * delivery changed.
     */
    static Outcome after(Recipient current, Attempt attempt, Instant at, int delivery) {
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

    /** One recipient's attempt; a null result means it was not sent because the job was cancelled. */
    record Attempt(EmailAddress recipient, SendResult result) {}

    private Job awaitEnqueued(Job job) {
        Instant deadline = clock.instant().plus(ENQUEUE_WAIT);
        Job current = job;
        while (current.enqueuedAt() == null
                && current.abandonedAt() == null
                && clock.instant().isBefore(deadline)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return current;
            }
            current = jobs.find(job.id(), clock.instant()).orElse(null);
            if (current == null) {
                return null;
            }
        }
        return current;
    }

    private ChunkResult cancelRest(Job job, Map<String, EmailAddress> recipients, Map<String, Recipient> known) {
        Instant at = clock.instant();
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : recipients.values()) {
            transitions.put(
                    r,
                    current -> current == null || current.status() == RecipientStatus.PENDING
                            ? Outcome.cancelled(r, at)
                            : null);
        }
        int cancelled =
                jobs.record(job.id(), transitions, known, at, job.expiresAt()).size();
        return new ChunkResult(0, 0, cancelled, 0, null, false);
    }

    /**
     * Marks the recipients still to send FAILED (retryable) before sending them: if this delivery
     * dies and the message lands in the dead-letter queue, the job still ends, and a redriven
     * message still sends them. A send that succeeds moves the record (and counter) to SENT.
     */
    private Map<String, Recipient> markFailedFirst(
            Job job, List<EmailAddress> todo, Map<String, Recipient> known, int delivery) {
        Instant at = clock.instant();
        String reason = "not sent by delivery " + delivery + " of " + maxDeliveries
                + " (earlier deliveries failed or did not finish)";
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : todo) {
            transitions.put(
                    r,
                    current -> current == null || current.status() == RecipientStatus.PENDING
                            ? Outcome.gaveUp(
                                    r,
                                    at,
                                    current != null && current.error() != null
                                            ? reason + ": " + current.error()
                                            : reason,
                                    false)
                            : null);
        }
        jobs.record(job.id(), transitions, known, at, job.expiresAt());
        return jobs.findRecipients(job.id(), todo);
    }

    private List<Attempt> sendAll(Job job, List<EmailAddress> recipients, CancelWatch cancel) {
        if (recipients.size() == 1) {
            return List.of(sendOne(job, recipients.get(0), cancel));
        }
        List<Attempt> attempts = new ArrayList<>(recipients.size());
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Attempt>> futures = new ArrayList<>(recipients.size());
            for (EmailAddress recipient : recipients) {
                futures.add(executor.submit(() -> sendOne(job, recipient, cancel)));
            }
            for (Future<Attempt> future : futures) {
                attempts.add(future.get());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("a send failed unexpectedly", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending", e);
        }
        return attempts;
    }

    private Attempt sendOne(Job job, EmailAddress recipient, CancelWatch cancel) {
        OutgoingEmail email = new OutgoingEmail(
                job.content().from(),
                recipient.address(),
                job.content().subject(),
                job.content().text(),
                job.content().html(),
                idempotencyKey(job.id(), recipient));
        SendResult result;
        sendPermits.acquireUninterruptibly();
        try {
            if (cancel.cancelled()) {
                return new Attempt(recipient, null);
            }
            result = sender.send(email);
        } finally {
            sendPermits.release();
        }
        faults.at(Faults.AFTER_EMAIL);
        return new Attempt(recipient, result);
    }

    /** Whether the job was cancelled, read again at most every half second while sending. */
    private final class CancelWatch {
        private final String jobId;
        private Instant checkedAt = clock.instant();
        private boolean cancelled;

        CancelWatch(String jobId) {
            this.jobId = jobId;
        }

        synchronized boolean cancelled() {
            Instant now = clock.instant();
            if (!cancelled && Duration.between(checkedAt, now).compareTo(CANCEL_CHECK_INTERVAL) >= 0) {
                cancelled = jobs.isCancelled(jobId);
                checkedAt = now;
            }
            return cancelled;
        }
    }

    /** Stable per (job, recipient); carries no address (it is a header providers log). */
    public static String idempotencyKey(String jobId, EmailAddress recipient) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(recipient.key().getBytes(StandardCharsets.UTF_8));
            return "mb-" + jobId + "-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
