package dev.mailbatch.worker;

import dev.mailbatch.config.Parallel;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Content;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.RecipientStatus;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;

/**
 * Sends one chunk (one delivery of one SQS message):
 * <ol>
 *   <li>reads the job; sends nothing for a job whose submit has not finished enqueueing (and
 *       abandons it once its submit is surely dead), nor for an abandoned one;</li>
 *   <li>for a cancelled job, marks the chunk's unattempted recipients CANCELLED;</li>
 *   <li>skips recipients already done (a duplicate or redelivered message);</li>
 *   <li>on the message's last two deliveries, first marks the rest FAILED (retryable), so that
 *       the job ends even if this delivery dies and the message lands in the dead-letter queue;</li>
 *   <li>sends the rest concurrently, stopping within about a second of a cancel, and tries a
 *       transient failure again within the delivery ({@link QuickRetries}) before the chunk goes
 *       back to SQS for the longer back-off;</li>
 *   <li>records every outcome and the job's counters in one transaction (for SES, one per
 *       {@code SEND_CONCURRENCY} sends).</li>
 * </ol>
 * A crash anywhere before that transaction leaves nothing recorded, so the redelivered message
 * sends again, with the same delivery key per (job, recipient).
 */
public final class ChunkProcessor {
    /** How long a worker waits in place for a submit to finish enqueueing before it lets the message go. */
    static final Duration ENQUEUE_WAIT = Duration.ofSeconds(3);

    private static final Duration ENQUEUE_POLL = Duration.ofMillis(100);
    /**
     * How many jobs a worker instance remembers: their contents (at most 256 × 2 × 100 KB of text
     * and html), and whether it marked them started.
     */
    private static final int KEPT_JOBS = 256;
    /** How long every worker holds off after a provider's "slow down" that names no Retry-After. */
    static final Duration THROTTLED_PAUSE = Duration.ofSeconds(1);

    private final JobStore jobs;
    private final RecipientStore recipients;
    private final EmailSender sender;
    private final Semaphore sendPermits;
    private final SendRate sendRate;
    private final Clock clock;
    private final int maxDeliveries;
    private final int recordEvery;
    private final QuickRetries quickRetries;
    private final Faults faults;
    private final java.util.function.Consumer<Duration> jobFinished;
    /** The contents of recent jobs, by job id (see {@link #content}). */
    private final Map<String, Content> contents = new ConcurrentHashMap<>();
    /** The jobs this instance has marked started (or seen another mark), so it writes that once. */
    private final Set<String> markedStarted = ConcurrentHashMap.newKeySet();

    /**
     * @param sendPermits bounds the sends in flight across all chunks handled by this instance
     * @param sendRate bounds the sends per second across every instance of the stack
     * @param maxDeliveries the queue's maxReceiveCount: after that many deliveries a message goes
     *     to the dead-letter queue
     * @param recordEvery how many sends to make before recording their outcomes: the whole chunk
     *     for a provider that honours Idempotency-Key (one transaction per chunk); fewer for one
     *     that does not (SES), because every send not yet recorded when a worker dies is sent again
     * @param quickRetries which transient failures are tried again within the delivery
     * @param jobFinished told how long a job took, by the delivery whose outcomes finished it
     */
    public ChunkProcessor(
            JobStore jobs,
            RecipientStore recipients,
            EmailSender sender,
            Semaphore sendPermits,
            SendRate sendRate,
            Clock clock,
            int maxDeliveries,
            int recordEvery,
            QuickRetries quickRetries,
            Faults faults,
            java.util.function.Consumer<Duration> jobFinished) {
        this.jobs = jobs;
        this.recipients = recipients;
        this.sender = sender;
        this.sendPermits = sendPermits;
        this.sendRate = sendRate;
        this.clock = clock;
        this.maxDeliveries = maxDeliveries;
        this.recordEvery = Math.max(1, recordEvery);
        this.quickRetries = quickRetries;
        this.faults = faults;
        this.jobFinished = jobFinished;
    }

    /** The worker's invocation has ended: this instance gives up the send-rate tokens it holds. */
    public void invocationEnded() {
        sendRate.drop();
    }

    /**
     * @param delivery which delivery of the message this is (SQS's ApproximateReceiveCount)
     * @param recordBy when what was sent must be recorded (the invocation's timeout, less a margin)
     */
    public ChunkResult process(ChunkMessage message, int delivery, Instant recordBy) {
        Job job = jobs.find(message.jobId(), clock.instant()).orElse(null);
        if (job == null || job.isAbandoned() || job.counts().sent() == job.total()) {
            return ChunkResult.NOTHING_TO_DO; // expired, given up unsent, or every recipient sent
        }
        if (!job.isEnqueued()) {
            job = awaitEnqueued(job);
            if (job == null || job.isAbandoned()) {
                return ChunkResult.NOTHING_TO_DO;
            }
            if (!job.isEnqueued()) {
                if (!job.isOrphaned(clock.instant())) {
                    return ChunkResult.NOT_READY;
                }
                jobs.abandon(job, clock.instant(), Job.ABANDONED_REASON);
                return ChunkResult.NOTHING_TO_DO;
            }
        }
        Map<String, EmailAddress> chunk = new LinkedHashMap<>();
        for (String address : message.to()) {
            EmailAddress recipient = EmailAddress.ofNormalized(address);
            chunk.putIfAbsent(recipient.key(), recipient);
        }
        int index = message.chunk();
        ChunkRecords known = recipients.find(job.id(), index);
        // Those an earlier delivery may have sent: resolved by sending (with the same delivery
        // key), never reported as not sent, even when the job is cancelled.
        Set<String> unresolved = chunk.values().stream()
                .map(EmailAddress::key)
                .filter(key -> Outcomes.mayHaveBeenSent(known.get(key), delivery))
                .collect(Collectors.toSet());
        if (job.isCancelRequested()) {
            ChunkResult cancelled = cancelRest(job, index, chunk, known, delivery);
            List<EmailAddress> resolve = chunk.values().stream()
                    .filter(r -> unresolved.contains(r.key()))
                    .toList();
            return resolve.isEmpty()
                    ? cancelled
                    : cancelled.plus(sendAndRecord(
                            job, index, resolve, recipients.find(job.id(), index), delivery, unresolved, recordBy));
        }
        List<EmailAddress> todo = chunk.values().stream()
                .filter(r -> known.get(r.key()) == null || known.get(r.key()).wantsSend())
                .toList();
        if (todo.isEmpty()) {
            return ChunkResult.NOTHING_TO_DO;
        }
        if (job.lifecycle().startedAt() == null && markedStarted.add(job.id())) {
            // once per job and worker instance: the chunks it starts at once do not each try the write
            if (markedStarted.size() > KEPT_JOBS) {
                markedStarted.clear();
                markedStarted.add(job.id());
            }
            try {
                jobs.markStarted(job.id(), clock.instant());
            } catch (RuntimeException e) {
                markedStarted.remove(job.id()); // not written: the next chunk tries again
                throw e;
            }
        }
        ChunkRecords before =
                delivery >= maxDeliveries - 1 ? markFailedFirst(job, index, todo, known, delivery) : known;
        faults.at(Faults.BEFORE_SEND);
        return sendAndRecord(job, index, todo, before, delivery, unresolved, recordBy);
    }

    /** Sends in waves of {@code recordEvery}, recording each wave's outcomes before the next. */
    /** @param unresolved recipients sent even after a cancel (see {@link Outcomes#mayHaveBeenSent}) */
    private ChunkResult sendAndRecord(
            Job job,
            int index,
            List<EmailAddress> todo,
            ChunkRecords before,
            int delivery,
            Set<String> unresolved,
            Instant recordBy) {
        Content content = content(job.id());
        if (content == null) {
            return ChunkResult.NOTHING_TO_DO; // the job expired meanwhile
        }
        CancelWatch cancel = new CancelWatch(jobs, job.id(), clock);
        List<Outcomes.Attempt> attempts = new ArrayList<>(todo.size());
        Map<String, Outcome> recorded = new LinkedHashMap<>();
        ChunkRecords records = before;
        int late = 0; // sends not done by the deadline, and waves not started: the message comes back
        Instant lastRecord = null;
        for (int from = 0; from < todo.size(); from += recordEvery) {
            List<EmailAddress> next = todo.subList(from, Math.min(from + recordEvery, todo.size()));
            if (!clock.instant().isBefore(recordBy)) {
                late += todo.size() - from;
                break;
            }
            if (from > 0) { // another delivery of this chunk may have sent these meanwhile
                records = recipients.find(job.id(), index);
                next = stillToSend(next, records);
                if (next.isEmpty()) {
                    continue;
                }
            }
            List<Outcomes.Attempt> wave = Parallel.mapUntil(
                            next,
                            recipient -> sendOne(
                                    job,
                                    content,
                                    recipient,
                                    unresolved.contains(recipient.key()) ? null : cancel,
                                    recordBy),
                            recordBy)
                    .stream()
                    .filter(java.util.Objects::nonNull) // not done by the deadline: outcome unknown, retried
                    .toList();
            late += next.size() - wave.size();
            faults.at(Faults.BEFORE_RECORD);
            Instant at = clock.instant();
            Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
            for (Outcomes.Attempt attempt : wave) {
                transitions.put(attempt.recipient(), current -> Outcomes.after(current, attempt, at, delivery));
            }
            recorded.putAll(recipients.record(job.id(), index, transitions, records, at, job.expiresAt()));
            attempts.addAll(wave);
            lastRecord = at;
        }
        faults.at(Faults.AFTER_RECORD);
        ChunkResult result = ChunkResult.of(attempts, recorded);
        if (!recorded.isEmpty() && late == 0 && result.retrying() == 0) {
            // a chunk that leaves recipients to retry can not have finished its job: no read for it
            reportIfFinished(job.id(), lastRecord);
        }
        return late == 0 ? result : result.plus(new ChunkResult(0, 0, 0, late, null, false));
    }

    /**
     * Tells how long the job took if this delivery's outcomes finished it: a consistent read of the
     * job shows nothing pending, and its last update is this delivery's record (each record sets
     * updatedAt to its own time), so one delivery of the many reports it. A failed read reports
     * nothing: the metric is not worth a retry of the chunk.
     */
    private void reportIfFinished(String jobId, Instant recordedAt) {
        try {
            jobs.find(jobId, clock.instant())
                    .filter(job -> recordedAt.equals(job.finishedAt()))
                    .ifPresent(job ->
                            jobFinished.accept(Duration.between(job.lifecycle().createdAt(), recordedAt)));
        } catch (dev.mailbatch.store.StoreException e) {
            // nothing to do: the outcomes are recorded; only the duration metric is missed
        }
    }

    /**
     * The recipients of the next wave that still want a send, by the chunk's records read again:
     * with waves (SES), a duplicate delivery of the chunk may have sent them since this one read.
     */
    private static List<EmailAddress> stillToSend(List<EmailAddress> wave, ChunkRecords current) {
        return wave.stream()
                .filter(r ->
                        current.get(r.key()) == null || current.get(r.key()).wantsSend())
                .toList();
    }

    /**
     * The job's content: read once per job and kept (it never changes); null if the job is gone.
     * The chunks of one job that an instance starts together wait for one read, not one each.
     */
    private Content content(String jobId) {
        if (contents.size() >= KEPT_JOBS && !contents.containsKey(jobId)) {
            contents.clear(); // a bound, not a cache policy: jobs come and go
        }
        return contents.computeIfAbsent(jobId, id -> jobs.content(id).orElse(null));
    }

    private Job awaitEnqueued(Job job) {
        Instant deadline = clock.instant().plus(ENQUEUE_WAIT);
        Job current = job;
        while (!current.isEnqueued()
                && !current.isAbandoned()
                && clock.instant().isBefore(deadline)) {
            Backoff.poll(ENQUEUE_POLL, Duration.ZERO);
            current = jobs.find(job.id(), clock.instant()).orElse(null);
            if (current == null) {
                return null;
            }
        }
        return current;
    }

    /** Marks CANCELLED the recipients of a cancelled job that no delivery can have sent. */
    private ChunkResult cancelRest(
            Job job, int index, Map<String, EmailAddress> chunk, ChunkRecords known, int delivery) {
        Instant at = clock.instant();
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : chunk.values()) {
            transitions.put(
                    r,
                    current -> Outcomes.neverSent(current) && !Outcomes.mayHaveBeenSent(current, delivery)
                            ? Outcome.cancelled(r, at)
                            : null);
        }
        int cancelled = recipients
                .record(job.id(), index, transitions, known, at, job.expiresAt())
                .size();
        return new ChunkResult(0, 0, cancelled, 0, null, false);
    }

    /**
     * Marks the recipients still to send FAILED (retryable) before sending them: if this delivery
     * dies and the message lands in the dead-letter queue, the job still ends, and a redriven
     * message still sends them. A send that succeeds moves the record (and counter) to SENT.
     */
    private ChunkRecords markFailedFirst(
            Job job, int index, List<EmailAddress> todo, ChunkRecords known, int delivery) {
        Instant at = clock.instant();
        String reason = "not sent by delivery " + delivery + " of " + maxDeliveries
                + " (earlier deliveries failed or did not finish)";
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : todo) {
            transitions.put(
                    r,
                    current -> current == null || current.status() == RecipientStatus.PENDING
                            ? Outcome.gaveUp(r, at, Outcomes.withPrevious(reason, current), false)
                            : null);
        }
        recipients.record(job.id(), index, transitions, known, at, job.expiresAt());
        return recipients.find(job.id(), index);
    }

    /**
     * Sends to one recipient, trying a transient failure again within the delivery as
     * {@link QuickRetries} allows.
     *
     * @param cancel stops the send if the job was cancelled; null: sent whatever (an unresolved recipient)
     */
    private Outcomes.Attempt sendOne(
            Job job, Content content, EmailAddress recipient, CancelWatch cancel, Instant recordBy) {
        OutgoingEmail email = new OutgoingEmail(
                content.from(),
                recipient.address(),
                content.subject(),
                content.text(),
                content.html(),
                Outcomes.deliveryKey(job.id(), recipient));
        SendResult result = null;
        for (int calls = 0; ; ) {
            sendPermits.acquireUninterruptibly();
            try {
                if (cancel != null && cancel.cancelled()) {
                    // not sent again; a failed call before this may still have gone out
                    return new Outcomes.Attempt(recipient, result, calls);
                }
                sendRate.acquire();
                result = sender.send(email);
                calls++;
                if (result instanceof SendResult.TransientFailure t && t.throttled()) {
                    sendRate.pause(t.retryAfter() == null ? THROTTLED_PAUSE : t.retryAfter());
                }
            } finally {
                sendPermits.release();
            }
            faults.at(Faults.AFTER_EMAIL);
            quickRetries.record(result);
            Duration wait = result instanceof SendResult.TransientFailure t
                    ? quickRetries.next(calls, t, clock.instant(), recordBy)
                    : null;
            if (wait == null) {
                return new Outcomes.Attempt(recipient, result, calls);
            }
            Backoff.poll(wait, Duration.ZERO);
        }
    }
}
