package dev.mailbatch.store;

import static dev.mailbatch.store.Items.RECIPIENT_PREFIX;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.STATUS_INDEX;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.jobKey;
import static dev.mailbatch.store.Items.jobPk;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.recipientKey;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.time;

import dev.mailbatch.job.Counts;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientPage;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.job.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The recipient records of jobs (see {@link Items} for the table). A worker records a whole
 * chunk's outcomes and the job's counter changes in one transaction, with a condition on each
 * recipient that it is still what the worker read, so that duplicate deliveries and redelivered
 * batches can never count a recipient twice (see {@link #record}).
 */
public final class RecipientStore {
    private static final int MAX_TRIES = 5;
    private static final int BATCH_GET_KEYS = 100;

    private final DynamoDbClient dynamo;
    private final String table;

    public RecipientStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The recipients of the job among {@code recipients} that already have a record, by key. */
    public Map<String, Recipient> find(String jobId, Collection<EmailAddress> recipients) {
        Map<String, Recipient> found = new HashMap<>();
        List<Map<String, AttributeValue>> keys =
                recipients.stream().map(r -> recipientKey(jobId, r.key())).toList();
        for (int from = 0; from < keys.size(); from += BATCH_GET_KEYS) {
            Map<String, KeysAndAttributes> request = Map.of(
                    table,
                    KeysAndAttributes.builder()
                            .keys(keys.subList(from, Math.min(from + BATCH_GET_KEYS, keys.size())))
                            .consistentRead(true)
                            .build());
            for (int tries = 1; !request.isEmpty(); tries++) {
                BatchGetItemResponse response = batchGet(jobId, request);
                for (Map<String, AttributeValue> item : response.responses().getOrDefault(table, List.of())) {
                    found.put(item.get(SK).s().substring(RECIPIENT_PREFIX.length()), RecipientItems.toRecipient(item));
                }
                request = response.unprocessedKeys();
                if (!request.isEmpty()) {
                    if (tries > MAX_TRIES) {
                        throw new StoreException("DynamoDB left keys unprocessed for job " + jobId, null);
                    }
                    Backoff.beforeRetry(tries);
                }
            }
        }
        return found;
    }

    private BatchGetItemResponse batchGet(String jobId, Map<String, KeysAndAttributes> request) {
        try {
            return dynamo.batchGetItem(r -> r.requestItems(request));
        } catch (SdkException e) {
            throw new StoreException("could not read recipients of job " + jobId, e);
        }
    }

    /**
     * Applies each recipient's transition to its record and moves the job's counters by exactly
     * the status changes written, all in one transaction. Each write is conditional on the record
     * being what the transition was computed from; when another delivery changed a record first,
     * the failed write returns the record as it now is, and its transition is computed again.
     *
     * @param transitions per recipient, what its record becomes
     * @param known the records as read before (absent: no record yet)
     * @return the outcomes written, by recipient key (a transition that returned null is absent)
     */
    public Map<String, Outcome> record(
            String jobId,
            Map<EmailAddress, Transition> transitions,
            Map<String, Recipient> known,
            Instant now,
            Instant expiresAt) {
        Map<String, Recipient> current = new HashMap<>(known);
        for (int tries = 1; ; tries++) {
            Batch batch = batch(jobId, transitions, current, now, expiresAt);
            if (batch.writes().isEmpty()) {
                return Map.of();
            }
            try {
                dynamo.transactWriteItems(r -> r.transactItems(batch.writes()));
                return batch.outcomes();
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (batch.movesCounts() && reasons.size() == batch.writes().size() && isConflict(reasons.getLast())) {
                    return Map.of(); // the job is gone (expired): nothing left to count
                }
                if (tries >= MAX_TRIES * 2) {
                    throw new StoreException(
                            "could not record outcomes for job " + jobId + " (" + KeyClaimStore.codes(reasons) + ")",
                            e);
                }
                if (!refresh(current, batch.recipients(), reasons)) {
                    Backoff.beforeRetry(tries); // a conflict with a concurrent transaction: wait, then again
                }
            } catch (SdkException e) {
                throw new StoreException("could not record outcomes for job " + jobId, e);
            }
        }
    }

    /** One transaction's writes: the recipients' updates (in order), then the job's counters if they move. */
    private record Batch(
            List<TransactWriteItem> writes,
            List<EmailAddress> recipients,
            Map<String, Outcome> outcomes,
            boolean movesCounts) {}

    private Batch batch(
            String jobId,
            Map<EmailAddress, Transition> transitions,
            Map<String, Recipient> current,
            Instant now,
            Instant expiresAt) {
        List<TransactWriteItem> writes = new ArrayList<>(transitions.size() + 1);
        List<EmailAddress> recipients = new ArrayList<>();
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        Counts moved = Counts.ZERO;
        for (Map.Entry<EmailAddress, Transition> t : transitions.entrySet()) {
            Recipient before = current.get(t.getKey().key());
            Outcome outcome = t.getValue().apply(before);
            if (outcome != null) {
                writes.add(TransactWriteItem.builder()
                        .update(RecipientItems.update(table, jobId, outcome, before, expiresAt))
                        .build());
                recipients.add(t.getKey());
                outcomes.put(t.getKey().key(), outcome);
                moved = moved.plus(Counts.moved(before == null ? null : before.status(), outcome.status()));
            }
        }
        if (!writes.isEmpty() && !moved.isZero()) {
            writes.add(TransactWriteItem.builder()
                    .update(counterUpdate(jobId, moved, now))
                    .build());
        }
        return new Batch(writes, recipients, outcomes, !moved.isZero());
    }

    /**
     * Takes the records that blocked the transaction, as its failed conditions returned them, in
     * place of what was read before.
     *
     * @return whether any record had changed (false: the transaction lost a race, nothing changed)
     */
    private static boolean refresh(
            Map<String, Recipient> current, List<EmailAddress> recipients, List<CancellationReason> reasons) {
        boolean changed = false;
        for (int i = 0; i < recipients.size() && i < reasons.size(); i++) {
            CancellationReason reason = reasons.get(i);
            if (isConflict(reason)) {
                changed = true;
                String key = recipients.get(i).key();
                if (reason.hasItem() && exists(reason.item())) {
                    current.put(key, RecipientItems.toRecipient(reason.item()));
                } else {
                    current.remove(key); // no record (any more)
                }
            }
        }
        return changed;
    }

    private static boolean isConflict(CancellationReason reason) {
        return "ConditionalCheckFailed".equals(reason.code());
    }

    private Update counterUpdate(String jobId, Counts moved, Instant now) {
        return Update.builder()
                .tableName(table)
                .key(jobKey(jobId))
                .updateExpression("ADD sent :sent, failed :failed, cancelled :cancelled SET updatedAt = :now")
                .conditionExpression("attribute_exists(pk)")
                .expressionAttributeValues(Map.of(
                        ":sent", n(moved.sent()),
                        ":failed", n(moved.failed()),
                        ":cancelled", n(moved.cancelled()),
                        ":now", time(now)))
                .build();
    }

    /** A page of the job's recipients, all of them or those in one status, in address order. */
    public RecipientPage list(String jobId, RecipientStatus status, int limit, String cursor) {
        QueryRequest.Builder query = QueryRequest.builder().tableName(table).limit(limit);
        String statusKey = status == null ? null : RecipientItems.statusKey(jobId, status);
        if (statusKey == null) {
            query.keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
                    .expressionAttributeValues(Map.of(":pk", s(jobPk(jobId)), ":prefix", s(RECIPIENT_PREFIX)))
                    .consistentRead(true);
        } else {
            query.indexName(STATUS_INDEX)
                    .keyConditionExpression("statusKey = :statusKey")
                    .expressionAttributeValues(Map.of(":statusKey", s(statusKey)));
        }
        if (cursor != null) {
            query.exclusiveStartKey(Cursors.decode(cursor, jobPk(jobId), statusKey));
        }
        QueryResponse response;
        try {
            response = dynamo.query(query.build());
        } catch (SdkException e) {
            throw new StoreException("could not list recipients of job " + jobId, e);
        }
        List<Recipient> items =
                response.items().stream().map(RecipientItems::toRecipient).toList();
        String next =
                response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                        ? Cursors.encode(response.lastEvaluatedKey())
                        : null;
        return new RecipientPage(items, next);
    }
}
