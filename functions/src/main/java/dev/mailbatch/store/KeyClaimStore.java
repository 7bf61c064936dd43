package dev.mailbatch.store;

import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.str;

import dev.mailbatch.job.Digest;
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
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

/**
 * Claims of the API's {@code Idempotency-Key} header: a claim ties a caller's key to the job its
 * first request made, and to that request's fingerprint, until the job expires. Keys are the
 * caller's own: two callers with the same key claim two different items.
 */
public final class KeyClaimStore {

    private final DynamoDbClient dynamo;
    private final String table;

    public KeyClaimStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** A claimed key: the job the first request with it made, and that request's fingerprint. */
    public record KeyClaim(String jobId, String fingerprint) {}

    /**
     * The write that claims the caller's {@code key} for {@code job}: only if no live job holds
     * it (an expired claim is taken over); when one does, the failed write returns that claim.
     */
    Put put(Job job, String key, String fingerprint, Instant now) {
        return Put.builder()
                .tableName(table)
                .item(Map.of(
                        PK,
                        s(claimPk(job.owner(), key)),
                        SK,
                        s("IDEM"),
                        "jobId",
                        s(job.id()),
                        "fingerprint",
                        s(fingerprint),
                        "expiresAt",
                        n(job.expiresAt().getEpochSecond())))
                .conditionExpression("attribute_not_exists(pk) OR expiresAt < :now")
                .expressionAttributeValues(Map.of(":now", n(now.getEpochSecond())))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .build();
    }

    /** The claim on a caller's key, read consistently; empty if none or expired. */
    public Optional<KeyClaim> find(String owner, String key, Instant now) {
        Map<String, AttributeValue> item;
        try {
            item = dynamo.getItem(
                            r -> r.tableName(table).key(claimKey(owner, key)).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read an idempotency key", e);
        }
        if (!exists(item) || num(item, "expiresAt") < now.getEpochSecond()) {
            return Optional.empty();
        }
        return Optional.of(toClaim(item));
    }

    /** Frees the caller's {@code key} if it still names {@code jobId}, so that a retry with it makes a new job. */
    public void release(String owner, String key, String jobId) {
        try {
            dynamo.deleteItem(r -> r.tableName(table)
                    .key(claimKey(owner, key))
                    .conditionExpression("jobId = :id")
                    .expressionAttributeValues(Map.of(":id", s(jobId))));
        } catch (ConditionalCheckFailedException gone) {
            // released already, or held by another job: nothing to do
        } catch (SdkException e) {
            throw new StoreException("could not release an idempotency key of job " + jobId, e);
        }
    }

    static KeyClaim toClaim(Map<String, AttributeValue> item) {
        return new KeyClaim(str(item, "jobId"), str(item, "fingerprint"));
    }

    /** The owner as a digest: fixed length, so no owner and key can run into another's. */
    private static String claimPk(String owner, String key) {
        return "IDEM#" + Digest.sha256Hex(owner, 16) + "#" + key;
    }

    private static Map<String, AttributeValue> claimKey(String owner, String key) {
        return Map.of(PK, s(claimPk(owner, key)), SK, s("IDEM"));
    }

    static String codes(List<CancellationReason> reasons) {
        return reasons.stream()
                .map(CancellationReason::code)
                .distinct()
                .toList()
                .toString();
    }
}
