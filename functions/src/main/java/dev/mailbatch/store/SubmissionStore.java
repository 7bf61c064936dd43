package dev.mailbatch.store;

import static dev.mailbatch.store.Items.exists;

import dev.mailbatch.job.Content;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.Usage;
import dev.mailbatch.store.KeyClaimStore.KeyClaim;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * A submit's one write: the new job, its owner's usage (conditional on the version the quotas
 * were checked against) and, with an Idempotency-Key, the key's claim, in one transaction, so
 * that a job exists only if its quota was taken and its key claimed.
 */
public final class SubmissionStore {
    private static final int MAX_TRIES = 5;
    private static final String CONFLICT = "ConditionalCheckFailed";

    private final DynamoDbClient dynamo;
    private final String table;
    private final KeyClaimStore claims;
    private final UsageStore usage;

    public SubmissionStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
        this.claims = new KeyClaimStore(dynamo, table);
        this.usage = new UsageStore(dynamo, table);
    }

    /** What became of the write. */
    public sealed interface Outcome {
        /** The job, its usage and its claim are written. */
        record Created() implements Outcome {}

        /** Another live job holds the key: nothing was written. */
        record KeyHeld(KeyClaim claim) implements Outcome {}

        /** The owner's usage changed since it was read (another submit): nothing was written; read it again. */
        record UsageChanged() implements Outcome {}
    }

    /**
     * @param key the caller's Idempotency-Key and the request's fingerprint, or null
     * @param before the owner's usage the quotas were checked against
     * @param after what it becomes with this job
     */
    public Outcome create(
            Job job, Content content, String key, String fingerprint, Usage before, Usage after, Instant now) {
        List<Put> puts = new ArrayList<>();
        puts.add(Put.builder()
                .tableName(table)
                .item(JobItems.toItem(job))
                .conditionExpression("attribute_not_exists(pk)")
                .build());
        puts.add(usage.put(job.owner(), before, after, job.expiresAt()));
        if (key != null) {
            puts.add(claims.put(job, key, fingerprint, now));
        }
        puts.add(JobStore.contentPut(table, job, content)); // last: the reasons above keep their places
        List<TransactWriteItem> writes = puts.stream()
                .map(p -> TransactWriteItem.builder().put(p).build())
                .toList();
        for (int tries = 1; tries <= MAX_TRIES * 2; tries++) {
            try {
                dynamo.transactWriteItems(r -> r.transactItems(writes));
                return new Outcome.Created();
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (key != null
                        && reasons.size() == 4
                        && CONFLICT.equals(reasons.get(2).code())) {
                    Optional<KeyClaim> held = reasons.get(2).hasItem()
                                    && exists(reasons.get(2).item())
                            ? Optional.of(KeyClaimStore.toClaim(reasons.get(2).item()))
                            : claims.find(job.owner(), key, now); // released since: the read says so
                    if (held.isPresent()) {
                        return new Outcome.KeyHeld(held.get());
                    }
                } else if (reasons.size() >= 2 && CONFLICT.equals(reasons.get(1).code())) {
                    return new Outcome.UsageChanged();
                } else if (tries >= MAX_TRIES) {
                    throw new StoreException(
                            "could not write job " + job.id() + " (" + KeyClaimStore.codes(reasons) + ")", e);
                }
                Backoff.beforeRetry(tries); // a conflict with a concurrent transaction, or a key just freed
            } catch (SdkException e) {
                throw new StoreException("could not write job " + job.id(), e);
            }
        }
        throw new StoreException("could not claim an idempotency key for job " + job.id(), null);
    }
}
