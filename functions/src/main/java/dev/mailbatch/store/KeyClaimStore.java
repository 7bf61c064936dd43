package dev.mailbatch.store;

import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.str;

import dev.mailbatch.job.Job;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Claims of the API's {@code Idempotency-Key} header: a claim ties a key to the job its first
 * request made, and to that request's fingerprint, until the job expires.
 */
public final class KeyClaimStore {
    private static final int MAX_TRIES = 5;
    private static final String CONFLICT = "ConditionalCheckFailed";

    private final DynamoDbClient dynamo;
    private final String table;

    public KeyClaimStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** A claimed key: the job the first request with it made, and that request's fingerprint. */
    public record KeyClaim(String jobId, String fingerprint) {}

    /**
     * Writes a new job and claims {@code key} for it, in one transaction.
     *
     * @return empty if both were written; the claim that holds the key if another job does (nothing written)
     */
    public Optional<KeyClaim> createJobClaiming(Job job, String key, String fingerprint, Instant now) {
        Map<String, AttributeValue> claim = Map.of(
                PK,
                s(claimPk(key)),
                SK,
                s("IDEM"),
                "jobId",
                s(job.id()),
                "fingerprint",
                s(fingerprint),
                "expiresAt",
                n(job.expiresAt().getEpochSecond()));
        TransactWriteItem putJob = TransactWriteItem.builder()
                .put(p -> p.tableName(table).item(JobItems.toItem(job)).conditionExpression("attribute_not_exists(pk)"))
                .build();
        TransactWriteItem putClaim = TransactWriteItem.builder()
                .put(p -> p.tableName(table)
                        .item(claim)
                        .conditionExpression("attribute_not_exists(pk) OR expiresAt < :now")
                        .expressionAttributeValues(Map.of(":now", n(now.getEpochSecond())))
                        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD))
                .build();
        for (int tries = 1; tries <= MAX_TRIES * 2; tries++) {
            try {
                dynamo.transactWriteItems(r -> r.transactItems(putJob, putClaim));
                return Optional.empty();
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (reasons.size() == 2 && CONFLICT.equals(reasons.get(1).code())) {
                    // The claim as it is: held by a live job (the condition says it has not expired).
                    Optional<KeyClaim> held =
                            reasons.get(1).hasItem() && exists(reasons.get(1).item())
                                    ? Optional.of(toClaim(reasons.get(1).item()))
                                    : find(key, now); // released since: the read says so, then try again
                    if (held.isPresent()) {
                        return held;
                    }
                } else if (tries >= MAX_TRIES) {
                    throw new StoreException("could not write job " + job.id() + " (" + codes(reasons) + ")", e);
                }
                Backoff.beforeRetry(tries);
            } catch (SdkException e) {
                throw new StoreException("could not write job " + job.id(), e);
            }
        }
        throw new StoreException("could not claim an idempotency key for job " + job.id(), null);
    }

    /** The claim on a key, read consistently; empty if none or expired. */
    public Optional<KeyClaim> find(String key, Instant now) {
        Map<String, AttributeValue> item;
        try {
            item = dynamo.getItem(r -> r.tableName(table).key(claimKey(key)).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read an idempotency key", e);
        }
        if (!exists(item) || num(item, "expiresAt") < now.getEpochSecond()) {
            return Optional.empty();
        }
        return Optional.of(toClaim(item));
    }

    /** Frees {@code key} if it still names {@code jobId}, so that a retry with it makes a new job. */
    public void release(String key, String jobId) {
        try {
            dynamo.deleteItem(r -> r.tableName(table)
                    .key(claimKey(key))
                    .conditionExpression("jobId = :id")
                    .expressionAttributeValues(Map.of(":id", s(jobId))));
        } catch (ConditionalCheckFailedException gone) {
            // released already, or held by another job: nothing to do
        } catch (SdkException e) {
            throw new StoreException("could not release an idempotency key of job " + jobId, e);
        }
    }

    private static KeyClaim toClaim(Map<String, AttributeValue> item) {
        return new KeyClaim(str(item, "jobId"), str(item, "fingerprint"));
    }

    private static String claimPk(String key) {
        return "IDEM#" + key;
    }

    private static Map<String, AttributeValue> claimKey(String key) {
        return Map.of(PK, s(claimPk(key)), SK, s("IDEM"));
    }

    static String codes(List<CancellationReason> reasons) {
        return reasons.stream()
                .map(CancellationReason::code)
                .distinct()
                .toList()
                .toString();
    }
}
