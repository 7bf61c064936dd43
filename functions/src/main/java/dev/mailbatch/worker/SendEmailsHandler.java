package dev.mailbatch.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.config.Json;
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
import java.util.concurrent.ThreadLocalRandom;
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

    /** How soon a chunk comes back whose job's submit is still enqueueing. */
    static final Duration NOT_READY_DELAY = Duration.ofSeconds(2);

    /** One chunk's work: the seam between this adapter and {@link ChunkProcessor}. */
    @FunctionalInterface
    interface ChunkWork {
        /** @param recordBy when the outcomes must be recorded, so the invocation ends before its timeout */
        ChunkResult process(ChunkMessage message, int delivery, Instant recordBy);
    }

    /**
     * How a chunk whose job is not ready yet comes back later as a new message (SendMessage with
     * DelaySeconds): a copy starts its delivery count afresh, so waiting for a submit to finish
     * never uses up the budget of deliveries (MaxDeliveries) that sending has.
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
    private final Visibility visibility;
    private final Requeue requeue;
    private final WorkerConfig config;

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
        handleRequest(event, Priming.CONTEXT);
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> restored) {}

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
        this(config, processor(config, wiring, sender, faults), wiring.sqs().get());
    }

    private SendEmailsHandler(WorkerConfig config, ChunkProcessor processor, SqsClient sqs) {
        this(config, processor::process, processor::invocationEnded, visibility(config, sqs), requeue(config, sqs));
    }

    /** For tests of the adapter alone: the chunk work and the two calls to SQS are seams. */
    SendEmailsHandler(WorkerConfig config, ChunkWork work, Visibility visibility, Requeue requeue) {
        this(config, work, () -> {}, visibility, requeue);
    }

    private SendEmailsHandler(
            WorkerConfig config, ChunkWork work, Runnable invocationEnded, Visibility visibility, Requeue requeue) {
        this.config = config;
        this.work = work;
        this.invocationEnded = invocationEnded;
        this.visibility = visibility;
        this.requeue = requeue;
    }

    private static ChunkProcessor processor(WorkerConfig config, Wiring wiring, EmailSender sender, Faults faults) {
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
                new QuickRetries(
                        QUICK_RETRY_BUDGET, () -> ThreadLocalRandom.current().nextDouble()),
                faults);
    }

    private static Requeue requeue(WorkerConfig config, SqsClient sqs) {
        return (message, delay) -> sqs.sendMessage(r ->
                r.queueUrl(config.queueUrl()).messageBody(message.getBody()).delaySeconds((int) delay.toSeconds()));
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
        LambdaLogger log = context.getLogger();
        List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
        // An Error (the worker is dying) fails the whole invocation: the batch comes back, as when a process dies.
        Instant recordBy =
                Instant.now().plusMillis(context.getRemainingTimeInMillis()).minus(RECORD_MARGIN);
        List<Boolean> done;
        try {
            done = Parallel.map(records, record -> {
                try {
                    return handle(record, log, recordBy);
                } catch (RuntimeException e) {
                    return false;
                }
            });
        } finally {
            invocationEnded.run();
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
    private boolean handle(SQSEvent.SQSMessage record, LambdaLogger log, Instant recordBy) {
        ChunkMessage message;
        try {
            message = Json.MAPPER.readValue(record.getBody(), ChunkMessage.class);
        } catch (IOException | RuntimeException e) {
            log.log(
                    "unreadable message messageId=" + record.getMessageId() + ": left for the dead-letter queue",
                    LogLevel.ERROR);
            return false;
        }
        if (message.v() != ChunkMessage.VERSION
                || message.jobId() == null
                || message.to() == null
                || message.chunk() < 0) {
            log.log("unknown message format messageId=" + record.getMessageId() + " v=" + message.v(), LogLevel.ERROR);
            return false;
        }
        int delivery = receiveCount(record);
        try {
            ChunkResult result = work.process(message, delivery, recordBy);
            log.log(
                    "chunk jobId=" + message.jobId() + " chunk=" + message.chunk() + " messageId="
                            + record.getMessageId()
                            + " delivery=" + delivery + " sent=" + result.sent() + " failed=" + result.failed()
                            + " cancelled=" + result.cancelled() + " retrying=" + result.retrying()
                            + (result.notReady() ? " notReady=true" : ""),
                    LogLevel.INFO);
            if (result.notReady()) {
                return later(record, log);
            }
            if (result.needsRetry()) {
                if (delivery >= config.maxDeliveries()) {
                    log.log(
                            "chunk jobId=" + message.jobId() + " chunk=" + message.chunk() + " messageId="
                                    + record.getMessageId()
                                    + " out of deliveries: " + result.retrying()
                                    + " recipient(s) recorded FAILED; the message goes to the"
                                    + " dead-letter queue for redrive",
                            LogLevel.WARN);
                }
                delayRetry(record, delivery, result.retryAfter(), log);
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            // Nothing of this attempt was counted; the message comes back after the back-off.
            delayRetry(record, delivery, null, log);
            log.log(
                    "chunk failed jobId=" + message.jobId() + " chunk=" + message.chunk() + " messageId="
                            + record.getMessageId() + " error=" + describe(e),
                    LogLevel.WARN);
            return false;
        }
    }

    private void delayRetry(SQSEvent.SQSMessage record, int delivery, Duration retryAfter, LambdaLogger log) {
        Duration delay = RetryDelay.compute(
                delivery, retryAfter, config.retryBase(), config.retryMax(), ThreadLocalRandom.current()::nextDouble);
        setVisibility(record, delay, log);
    }

    /**
     * A chunk whose job is not ready: a copy comes back after {@link #NOT_READY_DELAY} and this one
     * is done with; if the copy can not be sent, this one comes back instead (using a delivery).
     */
    private boolean later(SQSEvent.SQSMessage record, LambdaLogger log) {
        try {
            requeue.later(record, NOT_READY_DELAY);
            return true;
        } catch (SdkException e) {
            log.log("could not requeue messageId=" + record.getMessageId() + ": " + describe(e), LogLevel.WARN);
            setVisibility(record, NOT_READY_DELAY, log);
            return false;
        }
    }

    private void setVisibility(SQSEvent.SQSMessage record, Duration delay, LambdaLogger log) {
        try {
            visibility.set(record, delay);
        } catch (SdkException e) {
            // The message still comes back, after the queue's visibility timeout instead.
            log.log("could not set retry delay messageId=" + record.getMessageId() + ": " + describe(e), LogLevel.WARN);
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
