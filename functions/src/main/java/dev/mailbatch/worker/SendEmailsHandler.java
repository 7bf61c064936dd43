package dev.mailbatch.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.mailbatch.config.Jitter;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.Log;
import dev.mailbatch.config.Metrics;
import dev.mailbatch.config.Parallel;
import dev.mailbatch.config.Priming;
import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.config.WorkerConfig;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.mail.Senders;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.RateStore;
import dev.mailbatch.store.RecipientStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.crac.Resource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * SQS → SendEmails. An adapter: each message is one chunk, handed to {@link ChunkProcessor};
 * the messages to retry (transient failures, or any fault) are returned as batch item failures,
 * so SQS deletes the rest. Needs {@code FunctionResponseTypes: [ReportBatchItemFailures]} on the
 * event source mapping, or the response is ignored and whole batches are retried.
 */
public final class SendEmailsHandler implements RequestHandler<SQSEvent, SQSBatchResponse>, Resource {
    /** Time kept, before the invocation's timeout, for recording what was sent and answering. */
    static final Duration RECORD_MARGIN = Duration.ofSeconds(5);

    /** The retry budget of one worker instance's quick retries (see {@link QuickRetries}). */
    public static final int QUICK_RETRY_BUDGET = 100;

    /** One chunk's work: the seam between this adapter and {@link ChunkProcessor}. */
    @FunctionalInterface
    interface ChunkWork {
        /** @param recordBy when the outcomes must be recorded, so the invocation ends before its timeout */
        ChunkResult process(ChunkMessage message, int delivery, Instant recordBy);
    }

    /**
     * How a chunk comes back later as a new message (SendMessage with DelaySeconds): when its job
     * is not ready yet, or another delivery's claim holds some of its recipients. A copy starts its
     * delivery count afresh, so waiting never uses up the budget of deliveries (MaxDeliveries) that
     * sending has.
     */
    @FunctionalInterface
    interface Requeue {
        void later(SQSEvent.SQSMessage message, Duration delay);
    }

    /** How a message is kept away for a while (ChangeMessageVisibility): the seam to SQS. */
    @FunctionalInterface
    interface Visibility {
        void set(SQSEvent.SQSMessage message, Duration delay);
    }

    private final ChunkWork work;
    private final Runnable invocationEnded;
    private final Runnable restored;
    private final Log log;
    private final Metrics metrics;
    private final Visibility visibility;
    private final Requeue requeue;
    private final WorkerConfig config;
    /** The worker's time: when a delivery must record by (its claims last until its invocation ends). */
    private final java.time.Clock clock;

    /** The Lambda runtime's constructor. */
    public SendEmailsHandler() {
        this(Wiring.lambda());
        Priming.register(this);
    }

    /**
     * SnapStart: before the snapshot, one chunk of a job that does not exist through this handler
     * (Jackson, a consistent read, nothing sent or written; see {@link Priming}).
     */
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> checkpoint) {
        SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
        message.setMessageId("snapstart-priming");
        message.setBody(Json.write(ChunkMessage.of(JobIds.next(), 0, List.of("priming@example.com"))));
        message.setAttributes(Map.of("ApproximateReceiveCount", "1"));
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(message));
        Priming.attempt(log, () -> handleRequest(event, Priming.CONTEXT));
    }

    /** SnapStart resumed this environment from a snapshot: what must differ between environments is drawn again. */
    @Override
    public void afterRestore(org.crac.Context<? extends Resource> restored) {
        this.restored.run();
    }

    /** The function's factory: its configuration from the wiring's environment, the sender it names. */
    public SendEmailsHandler(Wiring wiring) {
        this(wiring, Faults.NONE);
    }

    /** @param faults where a test harness injects crashes ({@link Faults#NONE} in production) */
    public SendEmailsHandler(Wiring wiring, Faults faults) {
        this(wiring, Senders.create(WorkerConfig.from(wiring.env()), wiring), faults);
    }

    /** @param sender the sender to use instead of the one the configuration names (a test's) */
    public SendEmailsHandler(Wiring wiring, EmailSender sender, Faults faults) {
        this(WorkerConfig.from(wiring.env()), wiring, sender, faults);
    }

    private SendEmailsHandler(WorkerConfig config, Wiring wiring, EmailSender sender, Faults faults) {
        this(config, wiring, new Metrics(SERVICE, wiring.logs(), wiring.clock()), sender, faults);
    }

    private SendEmailsHandler(WorkerConfig config, Wiring wiring, Metrics metrics, EmailSender sender, Faults faults) {
        this(
                config,
                processor(config, wiring, timed(sender, metrics), metrics, faults),
                wiring.sqs().get(),
                Log.of(SERVICE, wiring),
                metrics);
    }

    private SendEmailsHandler(WorkerConfig config, ChunkProcessor processor, SqsClient sqs, Log log, Metrics metrics) {
        this(
                config,
                processor::process,
                processor::invocationEnded,
                processor::restored,
                visibility(config, sqs),
                requeue(config, sqs),
                log,
                metrics,
                processor.clock());
    }

    /** For tests of the adapter alone: the chunk work and the two calls to SQS are seams; log lines go to {@code logs}. */
    SendEmailsHandler(
            WorkerConfig config,
            ChunkWork work,
            Visibility visibility,
            Requeue requeue,
            java.util.function.Consumer<String> logs) {
        this(
                config,
                work,
                () -> {},
                () -> {},
                visibility,
                requeue,
                new Log(SERVICE, logs),
                new Metrics(SERVICE, logs, java.time.Clock.systemUTC()),
                java.time.Clock.systemUTC());
    }

    private SendEmailsHandler(
            WorkerConfig config,
            ChunkWork work,
            Runnable invocationEnded,
            Runnable restored,
            Visibility visibility,
            Requeue requeue,
            Log log,
            Metrics metrics,
            java.time.Clock clock) {
        this.clock = clock;
        this.config = config;
        this.work = work;
        this.invocationEnded = invocationEnded;
        this.restored = restored;
        this.visibility = visibility;
        this.requeue = requeue;
        this.log = log;
        this.metrics = metrics;
    }

    /** The function's name in logs and metrics. */
    static final String SERVICE = "SendEmails";

    /** Each provider call's time, as the SendLatency metric (milliseconds). */
    private static EmailSender timed(EmailSender sender, Metrics metrics) {
        return email -> {
            long start = System.nanoTime();
            try {
                return sender.send(email);
            } finally {
                metrics.value("SendLatency", Metrics.Unit.MILLISECONDS, (System.nanoTime() - start) / 1e6);
            }
        };
    }

    private static ChunkProcessor processor(
            WorkerConfig config, Wiring wiring, EmailSender sender, Metrics metrics, Faults faults) {
        DynamoDbClient dynamo = wiring.dynamo().get();
        return new ChunkProcessor(
                new JobStore(dynamo, config.tableName()),
                new RecipientStore(dynamo, config.tableName()),
                sender,
                new Semaphore(config.sendConcurrency()),
                new SendRate(
                        new RateStore(dynamo, config.tableName()),
                        config.maxSendRate(),
                        config.maxWorkers(),
                        config.retryMax(),
                        wiring.clock()),
                wiring.clock(),
                config.maxDeliveries(),
                recordEvery(config),
                new QuickRetries(QUICK_RETRY_BUDGET, Jitter::nextDouble),
                faults,
                jobDuration -> metrics.value("JobDuration", Metrics.Unit.SECONDS, jobDuration.toMillis() / 1000.0));
    }

    private static Requeue requeue(WorkerConfig config, SqsClient sqs) {
        return (message, delay) -> sqs.sendMessage(r -> r.queueUrl(config.queueUrl())
                .messageBody(message.getBody())
                .delaySeconds((int) Math.max(1, Math.ceilDiv(delay.toMillis(), 1000))));
    }

    private static Visibility visibility(WorkerConfig config, SqsClient sqs) {
        return (message, delay) -> sqs.changeMessageVisibility(r -> r.queueUrl(config.queueUrl())
                .receiptHandle(message.getReceiptHandle())
                .visibilityTimeout((int) delay.toSeconds()));
    }

    /**
     * Sends per outcome transaction: a whole chunk when the provider honours Idempotency-Key (a
     * resend is harmless), one wave of {@code SEND_CONCURRENCY} with SES (a resend is a duplicate
     * email, so as few sends as possible stay unrecorded at any moment).
     */
    static int recordEvery(WorkerConfig config) {
        return config.sender() == WorkerConfig.SenderKind.SES ? config.sendConcurrency() : SubmitConfig.MAX_CHUNK_SIZE;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
        // An Error (the worker is dying) fails the whole invocation: the batch comes back, as when a process dies.
        Instant recordBy =
                clock.instant().plusMillis(context.getRemainingTimeInMillis()).minus(RECORD_MARGIN);
        List<Boolean> done;
        try {
            done = Parallel.map(records, record -> {
                try {
                    return handle(record, context, recordBy);
                } catch (RuntimeException e) {
                    return false;
                }
            });
        } finally {
            invocationEnded.run();
            metrics.flush();
        }
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (!done.get(i)) {
                failures.add(SQSBatchResponse.BatchItemFailure.builder()
                        .withItemIdentifier(records.get(i).getMessageId())
                        .build());
            }
        }
        return SQSBatchResponse.builder().withBatchItemFailures(failures).build();
    }

    /** @return true if the message is done with (delete it), false to retry it */
    private boolean handle(SQSEvent.SQSMessage record, Context context, Instant recordBy) {
        ChunkMessage message;
        int delivery = receiveCount(record);
        try {
            message = Json.MAPPER.readValue(record.getBody(), ChunkMessage.class);
        } catch (IOException | RuntimeException e) {
            log.error(context, "unreadable message: left for the dead-letter queue")
                    .with("messageId", record.getMessageId())
                    .write();
            deadLettered(delivery);
            return false;
        }
        if (message.v() != ChunkMessage.VERSION
                || message.jobId() == null
                || message.to() == null
                || message.chunk() < 0) {
            log.error(context, "unknown message format: left for the dead-letter queue")
                    .with("messageId", record.getMessageId())
                    .with("formatVersion", message.v())
                    .write();
            deadLettered(delivery);
            return false;
        }
        try {
            ChunkResult result = work.process(message, delivery, recordBy);
            log.info(context, "chunk processed")
                    .with("jobId", message.jobId())
                    .with("chunk", message.chunk())
                    .with("messageId", record.getMessageId())
                    .with("delivery", delivery)
                    .with("sent", result.sent())
                    .with("failed", result.failed())
                    .with("cancelled", result.cancelled())
                    .with("retrying", result.retrying())
                    .with(
                            "laterSeconds",
                            result.later() == null ? 0 : result.later().toSeconds())
                    .write();
            metrics.count("EmailsSent", result.sent());
            metrics.count("EmailsFailed", result.failed());
            metrics.count("EmailsCancelled", result.cancelled());
            metrics.count("EmailsRetried", result.retrying());
            if (result.later() != null && !later(record, result.later(), context)) {
                return false; // no copy: this message comes back instead
            }
            if (result.needsRetry()) {
                if (delivery >= config.maxDeliveries()) {
                    log.warn(
                                    context,
                                    "chunk out of deliveries: its retrying recipients are recorded FAILED, and the"
                                            + " message goes to the dead-letter queue for redrive")
                            .with("jobId", message.jobId())
                            .with("chunk", message.chunk())
                            .with("messageId", record.getMessageId())
                            .with("retrying", result.retrying())
                            .write();
                    deadLettered(delivery);
                }
                delayRetry(record, delivery, result.retryAfter(), context);
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            // Nothing of this attempt was counted; the message comes back after the back-off.
            delayRetry(record, delivery, null, context);
            log.warn(context, "chunk failed: it comes back after its back-off")
                    .with("jobId", message.jobId())
                    .with("chunk", message.chunk())
                    .with("messageId", record.getMessageId())
                    .with("delivery", delivery)
                    .with("error", describe(e))
                    .write();
            deadLettered(delivery);
            return false;
        }
    }

    /** A message that is not done with on its last delivery goes to the dead-letter queue. */
    private void deadLettered(int delivery) {
        if (delivery >= config.maxDeliveries()) {
            metrics.count("ChunksDeadLettered", 1);
        }
    }

    private void delayRetry(SQSEvent.SQSMessage record, int delivery, Duration retryAfter, Context context) {
        Duration delay =
                RetryDelay.compute(delivery, retryAfter, config.retryBase(), config.retryMax(), Jitter::nextDouble);
        setVisibility(record, delay, context);
    }

    /**
     * A chunk to come back later: a copy comes back after {@code delay} (at most SQS's 15 minutes)
     * and this one is done with; if the copy can not be sent, this one comes back instead (using a
     * delivery).
     *
     * @return whether the copy was sent
     */
    private boolean later(SQSEvent.SQSMessage record, Duration delay, Context context) {
        Duration wait = delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay;
        try {
            requeue.later(record, wait);
            return true;
        } catch (SdkException e) {
            log.warn(context, "could not requeue a chunk to come back later")
                    .with("messageId", record.getMessageId())
                    .with("error", describe(e))
                    .write();
            setVisibility(record, wait, context);
            return false;
        }
    }

    /** SQS's longest DelaySeconds. */
    static final Duration MAX_DELAY = Duration.ofMinutes(15);

    private void setVisibility(SQSEvent.SQSMessage record, Duration delay, Context context) {
        try {
            visibility.set(record, delay);
        } catch (SdkException e) {
            // The message still comes back, after the queue's visibility timeout instead.
            log.warn(context, "could not set the retry delay: the message comes back after the visibility timeout")
                    .with("messageId", record.getMessageId())
                    .with("error", describe(e))
                    .write();
        }
    }

    /** The exception and its causes, one after the other: what went wrong, down to the SDK's reason. */
    static String describe(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null && s.length() < 1000; t = t.getCause() == t ? null : t.getCause()) {
            s.append(s.isEmpty() ? "" : " <- ")
                    .append(t.getClass().getSimpleName())
                    .append(": ")
                    .append(t.getMessage());
        }
        return s.toString();
    }

    /** Which delivery of the message this is: SQS's ApproximateReceiveCount (1 if absent). */
    private static int receiveCount(SQSEvent.SQSMessage record) {
        String value =
                record.getAttributes() == null ? null : record.getAttributes().get("ApproximateReceiveCount");
        try {
            return value == null ? 1 : Math.max(1, Integer.parseInt(value));
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
