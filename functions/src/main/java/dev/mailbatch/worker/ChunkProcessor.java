package dev.mailbatch.worker;

import dev.mailbatch.config.Jitter;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Claim;
import dev.mailbatch.job.Content;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.job.Transition;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.store.Backoff;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.RecipientStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;

/**
 * Handles one delivery of one chunk (one SQS message):
 * <ol>
 *   <li>reads the job; sends nothing for a job whose submit has not finished enqueueing (and
 *       abandons it once its submit is surely dead), nor for an abandoned one;</li>
 *   <li>for a cancelled job, marks the chunk's never-sent recipients CANCELLED and sends only those
 *       an earlier delivery may have sent (to learn their outcome, with the same delivery key);</li>
 *   <li>skips recipients already done, and leaves those another delivery's claim holds to it
 *       (a copy of the message comes back when the claim ends);</li>
 *   <li>hands the rest to {@link ChunkSender}: claimed, sent in waves, each wave's outcomes and the
 *       job's counters recorded in one transaction (on the message's last two deliveries,
 *       recorded FAILED (retryable) first, so that the job ends even if this delivery dies).</li>
 * </ol>
 * A crash anywhere before a wave's transaction leaves its claims: the next delivery after they end
 * sends those recipients again, with the same delivery key per (job, recipient).
 */
public final class ChunkProcessor {
    /** How long a worker waits in place for a submit to finish enqueueing before it lets the message go. */
    static final Duration ENQUEUE_WAIT = Duration.ofSeconds(3);

    /** How soon a chunk comes back whose job's submit is still enqueueing. */
    static final Duration NOT_READY_DELAY = Duration.ofSeconds(2);

    /**
     * How long a claim outlasts the time by which its delivery records: the invocation ends at most
     * {@link SendEmailsHandler#RECORD_MARGIN} later (Lambda stops it at its timeout), plus a second
     * for the clocks of two Lambda hosts.
     */
    static final Duration CLAIM_AFTER_RECORD_BY = SendEmailsHandler.RECORD_MARGIN.plusSeconds(1);

    /** A copy that waits for another delivery's claim comes back this long after it ends. */
    static final Duration HELD_SLACK = Duration.ofSeconds(1);

    /** How often a delivery that met another's claims reads the chunk again while it waits for it. */
    static final Duration HELD_POLL = Duration.ofMillis(500);

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
    private final ChunkSender chunkSender;
    private final SendRate sendRate;
    private final Clock clock;
    private final int maxDeliveries;
    private final int recordEvery;
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
        this.chunkSender =
                new ChunkSender(recipients, jobs, sender, sendPermits, sendRate, clock, quickRetries, faults);
        this.sendRate = sendRate;
        this.clock = clock;
        this.maxDeliveries = maxDeliveries;
        this.recordEvery = Math.max(1, recordEvery);
        this.faults = faults;
        this.jobFinished = jobFinished;
    }

    /** The worker's clock. */
    Clock clock() {
        return clock;
    }

    /** The execution environment was restored from a SnapStart snapshot (see {@link SendRate#restored}). */
    public void restored() {
        sendRate.restored();
    }

    /** The worker's invocation has ended: this instance gives up the send-rate tokens it holds. */
    public void invocationEnded() {
        sendRate.drop();
    }

    /**
     * @param delivery which delivery of the message this is (SQS's ApproximateReceiveCount): on a
     *     message's last two, its recipients are recorded FAILED (retryable) before they are sent
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
                    return ChunkResult.notReady(NOT_READY_DELAY);
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
        Instant now = clock.instant();
        // Those another delivery holds now are left to it; what it leaves undone comes back later.
        Instant heldUntil = null;
        for (EmailAddress r : chunk.values()) {
            Recipient record = known.get(r.key());
            if (record != null && record.heldAt(now)) {
                heldUntil = ChunkSender.latest(heldUntil, record.claimedUntil());
            }
        }
        Instant held = heldUntil;
        ChunkResult result = ChunkResult.NOTHING_TO_DO;
        List<EmailAddress> todo;
        if (job.isCancelRequested()) {
            result = cancelRest(job, index, chunk, known);
            // Those an earlier delivery may have sent: resolved by sending (with the same delivery
            // key), never reported as not sent.
            todo = chunk.values().stream()
                    .filter(r -> Outcomes.mayHaveBeenSent(known.get(r.key()))
                            && !known.get(r.key()).heldAt(now))
                    .toList();
        } else {
            todo = chunk.values().stream()
                    .filter(r -> known.get(r.key()) == null
                            || (known.get(r.key()).wantsSend()
                                    && !known.get(r.key()).heldAt(now)))
                    .toList();
            if (!todo.isEmpty()) {
                markStarted(job);
            }
        }
        if (!todo.isEmpty()) {
            Content content = content(job.id());
            if (content == null) {
                return result; // the job expired meanwhile
            }
            Set<String> unresolved = todo.stream()
                    .map(EmailAddress::key)
                    .filter(key -> Outcomes.mayHaveBeenSent(known.get(key)))
                    .collect(Collectors.toSet());
            String failFirst = delivery >= maxDeliveries - 1
                    ? "not sent by delivery " + delivery + " of " + maxDeliveries
                            + " (earlier deliveries failed or did not finish)"
                    : null;
            ChunkSender.Sent sent = chunkSender.send(new ChunkSender.Work(
                    job,
                    content,
                    index,
                    delivery,
                    todo,
                    known,
                    unresolved,
                    failFirst,
                    recordBy,
                    new Claim(
                            Long.toString(Jitter.nextLong(Long.MAX_VALUE), 36),
                            recordBy.plus(CLAIM_AFTER_RECORD_BY).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)),
                    recordEvery));
            result = result.plus(sent.result());
            held = ChunkSender.latest(held, sent.heldUntil());
            if (sent.finishedAt() != null) {
                reportIfFinished(job.id(), sent.finishedAt());
            }
        }
        if (held != null) {
            Duration later = awaitOthers(job.id(), index, chunk, recordBy);
            if (later != null) {
                result = result.plus(new ChunkResult(0, 0, 0, 0, null, later));
            }
        }
        return result;
    }

    /**
     * After meeting another delivery's claims: waits (within this invocation) for that delivery to
     * finish the chunk, and says whether a copy of the message must come back, and when. The
     * message may be the very one the other delivery holds (SQS delivered it twice), so it is done
     * with only when no recipient of the chunk is pending any more: otherwise a copy comes back when
     * the last claim that still holds ends (at once if none does: its holder left them unresolved).
     *
     * @return how long until the copy comes back, or null when the chunk needs none
     */
    private Duration awaitOthers(String jobId, int index, Map<String, EmailAddress> chunk, Instant recordBy) {
        for (; ; ) {
            ChunkRecords now = recipients.find(jobId, index);
            Instant at = clock.instant();
            boolean open = false;
            Instant held = null;
            for (EmailAddress r : chunk.values()) {
                Recipient record = now.get(r.key());
                if (record == null || record.status() == RecipientStatus.PENDING) {
                    open = true;
                    if (record != null && record.heldAt(at)) {
                        held = ChunkSender.latest(held, record.claimedUntil());
                    }
                }
            }
            if (!open) {
                return null;
            }
            if (held == null) {
                return HELD_SLACK;
            }
            if (!at.plus(HELD_POLL).isBefore(recordBy)) {
                return Duration.between(at, held).plus(HELD_SLACK);
            }
            Backoff.poll(HELD_POLL, Duration.ZERO);
        }
    }

    /** Marks the job started, once per job and worker instance (the chunks it starts at once do not each write it). */
    private void markStarted(Job job) {
        if (job.lifecycle().startedAt() != null || !markedStarted.add(job.id())) {
            return;
        }
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
    private ChunkResult cancelRest(Job job, int index, Map<String, EmailAddress> chunk, ChunkRecords known) {
        Instant at = clock.instant();
        Map<EmailAddress, Transition> transitions = new LinkedHashMap<>();
        for (EmailAddress r : chunk.values()) {
            transitions.put(r, current -> Outcomes.neverSent(current) ? Outcome.cancelled(r, at) : null);
        }
        int cancelled = recipients
                .record(job.id(), index, transitions, known, at, job.expiresAt())
                .outcomes()
                .size();
        return new ChunkResult(0, 0, cancelled, 0, null, null);
    }
}
