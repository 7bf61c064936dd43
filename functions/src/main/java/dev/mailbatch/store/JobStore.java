package dev.mailbatch.store;

import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.jobKey;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.time;

import dev.mailbatch.job.Content;
import dev.mailbatch.job.Job;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The job items (see {@link Items} for the table). Submitting writes the job item and its
 * content item only: two writes whatever the batch size. Its counters move with the recipient records ({@link RecipientStore#record}),
 * about once per chunk, never once per email. A conditional write that fails learns why from the
 * item it returns ({@code ALL_OLD}), not from a second read.
 */
public final class JobStore {
    private static final int MAX_CONFLICT_TRIES = 5;

    private final DynamoDbClient dynamo;
    private final String table;

    public JobStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /**
     * Writes a new job and its content, as a submit does without quotas or a key (a harness's
     * way of making a job). Fails (never overwrites) if the id is taken.
     */
    public void create(Job job, Content content) {
        try {
            dynamo.transactWriteItems(r -> r.transactItems(
                    TransactWriteItem.builder()
                            .put(p -> p.tableName(table)
                                    .item(JobItems.toItem(job))
                                    .conditionExpression("attribute_not_exists(pk)"))
                            .build(),
                    TransactWriteItem.builder()
                            .put(contentPut(table, job, content))
                            .build()));
        } catch (SdkException e) {
            throw new StoreException("could not write job " + job.id(), e);
        }
    }

    /** The write of a new job's content item (in the submit's transaction). */
    static Put contentPut(String table, Job job, Content content) {
        return Put.builder()
                .tableName(table)
                .item(JobItems.toContentItem(job, content))
                .conditionExpression("attribute_not_exists(pk)")
                .build();
    }

    /**
     * The job's content, read consistently; empty if there is none (the job expired). It never
     * changes, so a reader may keep it.
     */
    public Optional<Content> content(String id) {
        try {
            Map<String, AttributeValue> item = dynamo.getItem(
                            r -> r.tableName(table).key(Items.contentKey(id)).consistentRead(true))
                    .item();
            return exists(item) ? Optional.of(JobItems.fromContentItem(item)) : Optional.empty();
        } catch (SdkException e) {
            throw new StoreException("could not read the content of job " + id, e);
        }
    }

    /** The job, read consistently; empty if there is none or it has expired. */
    public Optional<Job> find(String id, Instant now) {
        return findAny(id).filter(job -> isLive(job, now));
    }

    /**
     * The job as {@link #find} reads it, except that a job whose submit died before enqueueing it
     * ({@link Job#isOrphaned}) is abandoned first: read after the submit deadline, such a job is
     * FAILED with a reason, never PENDING forever.
     */
    public Optional<Job> findSettled(String id, Instant now) {
        return find(id, now).map(job -> settle(job, now));
    }

    /** A job as read (by any means), settled as {@link #findSettled} does; empty if it has expired. */
    public Optional<Job> settled(Job job, Instant now) {
        return isLive(job, now) ? Optional.of(settle(job, now)) : Optional.empty();
    }

    private Job settle(Job job, Instant now) {
        return job.isOrphaned(now) ? abandon(job, now, Job.ABANDONED_REASON) : job;
    }

    /** DynamoDB deletes expired items lazily (within days); an expired job is gone now. */
    private static boolean isLive(Job job, Instant now) {
        return job.expiresAt().isAfter(now);
    }

    private Optional<Job> findAny(String id) {
        try {
            Map<String, AttributeValue> item = dynamo.getItem(
                            r -> r.tableName(table).key(jobKey(id)).consistentRead(true))
                    .item();
            return exists(item) ? Optional.of(JobItems.fromItem(id, item)) : Optional.empty();
        } catch (SdkException e) {
            throw new StoreException("could not read job " + id, e);
        }
    }

    /**
     * Records that every chunk of the job is on the queue: from now on workers send its emails.
     *
     * @return false if the job was abandoned first (then its chunks are dropped unsent)
     */
    public boolean markEnqueued(String id, Instant now) {
        return stamp(
                id,
                "SET enqueuedAt = if_not_exists(enqueuedAt, :now)",
                "attribute_exists(pk) AND attribute_not_exists(abandonedAt)",
                now,
                "mark enqueued");
    }

    /**
     * Gives up a job whose submit never finished enqueueing. Workers send nothing for such a job,
     * so every recipient is counted at once: FAILED, or CANCELLED if cancelling was asked for.
     *
     * @return the job as it is now (unchanged if it was enqueued or abandoned meanwhile)
     */
    public Job abandon(Job job, Instant now, String reason) {
        boolean cancelled = job.isCancelRequested();
        UpdateItemRequest request = UpdateItemRequest.builder()
                .tableName(table)
                .key(jobKey(job.id()))
                .updateExpression("SET abandonedAt = :now, #reason = :reason, updatedAt = :now, #counter = #total")
                .conditionExpression("attribute_exists(pk) AND attribute_not_exists(enqueuedAt)"
                        + " AND attribute_not_exists(abandonedAt) AND sent = :zero AND failed = :zero AND "
                        + (cancelled ? "attribute_exists(cancelledAt)" : "attribute_not_exists(cancelledAt)"))
                .expressionAttributeNames(
                        Map.of("#reason", "reason", "#counter", cancelled ? "cancelled" : "failed", "#total", "total"))
                .expressionAttributeValues(
                        Map.of(":now", time(now), ":reason", s(Items.truncate(reason, 500)), ":zero", n(0)))
                .build();
        return conditionalUpdate(request, job.id(), "abandon").job().orElse(job);
    }

    /**
     * Asks for the job to be cancelled, if it is still as {@code seen} (same counters, not cancelled).
     *
     * @return whether this call cancelled it, and the job as it is now (when not applied: read it
     *     again from there and decide again)
     */
    public Update cancel(Job seen, Instant now) {
        UpdateItemRequest request = UpdateItemRequest.builder()
                .tableName(table)
                .key(jobKey(seen.id()))
                .updateExpression("SET cancelledAt = :now, updatedAt = :now")
                .conditionExpression("attribute_exists(pk) AND attribute_not_exists(cancelledAt)"
                        + " AND attribute_not_exists(abandonedAt)"
                        + " AND sent = :sent AND failed = :failed AND cancelled = :cancelled")
                .expressionAttributeValues(Map.of(
                        ":now", time(now),
                        ":sent", n(seen.counts().sent()),
                        ":failed", n(seen.counts().failed()),
                        ":cancelled", n(seen.counts().cancelled())))
                .build();
        return conditionalUpdate(request, seen.id(), "cancel");
    }

    /**
     * A conditional update of one job item.
     *
     * @param applied whether the condition held and the update was written
     * @param job the job as it is now: after the update, or as it was when the condition failed
     *     (empty: there is no such item)
     */
    public record Update(boolean applied, Optional<Job> job) {}

    private Update conditionalUpdate(UpdateItemRequest request, String id, String what) {
        UpdateItemRequest withValues = request.toBuilder()
                .returnValues(ReturnValue.ALL_NEW)
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .build();
        for (int tries = 1; ; tries++) {
            try {
                Map<String, AttributeValue> after =
                        dynamo.updateItem(withValues).attributes();
                return new Update(true, Optional.of(JobItems.fromItem(id, after)));
            } catch (ConditionalCheckFailedException failed) {
                Map<String, AttributeValue> now = failed.hasItem() ? failed.item() : Map.of();
                return new Update(false, exists(now) ? Optional.of(JobItems.fromItem(id, now)) : Optional.empty());
            } catch (TransactionConflictException busy) {
                retryConflict(busy, tries, what, id);
            } catch (SdkException e) {
                throw new StoreException("could not " + what + " job " + id, e);
            }
        }
    }

    /**
     * A write to the job item that met a worker's transaction on it (the counters move in
     * transactions): DynamoDB refuses it, and the SDK does not retry that. Waits, then again.
     */
    private static void retryConflict(TransactionConflictException busy, int tries, String what, String id) {
        if (tries >= MAX_CONFLICT_TRIES) {
            throw new StoreException("could not " + what + " job " + id + ": it stayed busy", busy);
        }
        Backoff.beforeRetry(tries);
    }

    /** Whether cancelling the job has been asked for (one small consistent read). */
    public boolean isCancelled(String id) {
        try {
            Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table)
                            .key(jobKey(id))
                            .consistentRead(true)
                            .projectionExpression("cancelledAt"))
                    .item();
            return item != null && item.containsKey("cancelledAt");
        } catch (SdkException e) {
            throw new StoreException("could not read job " + id, e);
        }
    }

    /** Records that a worker picked up the job's work (once: later calls change nothing). */
    public void markStarted(String id, Instant now) {
        // false: another delivery got there first, or the job expired; nothing to do
        stamp(id, "SET startedAt = :now", "attribute_exists(pk) AND attribute_not_exists(startedAt)", now, "start");
    }

    /** Sets a lifecycle time to {@code now} if the condition holds; whether it did. */
    private boolean stamp(String id, String update, String condition, Instant now, String what) {
        for (int tries = 1; ; tries++) {
            try {
                dynamo.updateItem(r -> r.tableName(table)
                        .key(jobKey(id))
                        .updateExpression(update)
                        .conditionExpression(condition)
                        .expressionAttributeValues(Map.of(":now", time(now))));
                return true;
            } catch (ConditionalCheckFailedException notNow) {
                return false;
            } catch (TransactionConflictException busy) {
                retryConflict(busy, tries, what, id);
            } catch (SdkException e) {
                throw new StoreException("could not " + what + " job " + id, e);
            }
        }
    }
}
