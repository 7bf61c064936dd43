package dev.mailbatch.worker;

import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobRepository;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
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
 * Sends one chunk: reads the job, skips recipients already done (a duplicate or redelivered
 * message), sends the rest concurrently, then records every outcome and the job's counters in
 * one transaction. A crash anywhere before that transaction leaves nothing recorded, so the
 * redelivered message sends again, with the same Idempotency-Key per (job, recipient).
 */
public final class ChunkProcessor {
    private final JobRepository jobs;
    private final EmailSender sender;
    private final Semaphore sendPermits;
    private final Clock clock;

    /**
     * @param sendPermits bounds the sends in flight across all chunks handled by this instance
     */
    public ChunkProcessor(JobRepository jobs, EmailSender sender, Semaphore sendPermits, Clock clock) {
        this.jobs = jobs;
        this.sender = sender;
        this.sendPermits = sendPermits;
        this.clock = clock;
    }

    public ChunkResult process(ChunkMessage message) {
        Optional<Job> found = jobs.find(message.jobId(), clock.instant());
        if (found.isEmpty() || found.get().state().isTerminal()) {
            return ChunkResult.NOTHING_TO_DO; // expired, or every recipient already done
        }
        Job job = found.get();
        if (job.startedAt() == null) {
            jobs.markStarted(job.id(), clock.instant());
        }
        Map<String, EmailAddress> recipients = new LinkedHashMap<>();
        for (String address : message.to()) {
            EmailAddress recipient = EmailAddress.ofNormalized(address);
            recipients.putIfAbsent(recipient.key(), recipient);
        }
        Map<String, Recipient> known = jobs.findRecipients(job.id(), recipients.values());
        List<EmailAddress> todo = recipients.values().stream()
                .filter(r -> !known.containsKey(r.key()) || !known.get(r.key()).status().isTerminal())
                .toList();
        if (todo.isEmpty()) {
            return ChunkResult.NOTHING_TO_DO;
        }

        List<Attempt> attempts = sendAll(job, todo);
        List<Outcome> outcomes = attempts.stream().map(Attempt::outcome).toList();
        List<Outcome> recorded = jobs.recordOutcomes(job.id(), outcomes, clock.instant(), job.expiresAt());

        int sent = 0;
        int failed = 0;
        int retrying = 0;
        Duration retryAfter = null;
        for (Outcome outcome : recorded) {
            switch (outcome.status()) {
                case SENT -> sent++;
                case FAILED -> failed++;
                case PENDING -> retrying++;
            }
        }
        if (retrying > 0) {
            for (Attempt attempt : attempts) {
                if (attempt.result() instanceof SendResult.TransientFailure t && t.retryAfter() != null
                        && (retryAfter == null || t.retryAfter().compareTo(retryAfter) > 0)) {
                    retryAfter = t.retryAfter();
                }
            }
        }
        return new ChunkResult(sent, failed, retrying, retryAfter);
    }

    private record Attempt(Outcome outcome, SendResult result) {
    }

    private List<Attempt> sendAll(Job job, List<EmailAddress> recipients) {
        if (recipients.size() == 1) {
            return List.of(sendOne(job, recipients.get(0)));
        }
        List<Attempt> attempts = new ArrayList<>(recipients.size());
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Attempt>> futures = new ArrayList<>(recipients.size());
            for (EmailAddress recipient : recipients) {
                futures.add(executor.submit(() -> sendOne(job, recipient)));
            }
            for (Future<Attempt> future : futures) {
                attempts.add(future.get());
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("a send failed unexpectedly", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending", e);
        }
        return attempts;
    }

    private Attempt sendOne(Job job, EmailAddress recipient) {
        OutgoingEmail email = new OutgoingEmail(job.content().from(), recipient.address(), job.content().subject(),
                job.content().text(), job.content().html(), idempotencyKey(job.id(), recipient));
        SendResult result;
        sendPermits.acquireUninterruptibly();
        try {
            result = sender.send(email);
        } finally {
            sendPermits.release();
        }
        Instant at = clock.instant();
        Outcome outcome = switch (result) {
            case SendResult.Sent s -> new Outcome(recipient, RecipientStatus.SENT, null, at, s.providerMessageId());
            case SendResult.PermanentFailure f -> new Outcome(recipient, RecipientStatus.FAILED, f.reason(), at, null);
            case SendResult.TransientFailure t -> new Outcome(recipient, RecipientStatus.PENDING, t.reason(), at, null);
        };
        return new Attempt(outcome, result);
    }

    /** Stable per (job, recipient); carries no address (it is a header providers log). */
    public static String idempotencyKey(String jobId, EmailAddress recipient) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(recipient.key().getBytes(StandardCharsets.UTF_8));
            return "mb-" + jobId + "-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
