package dev.mailbatch.store;

import static dev.mailbatch.store.Items.jobKey;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.time;

import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Counts;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientPage;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.job.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The recipient records of jobs: one item per chunk (see {@link Items}, {@link RecipientItems}).
 * A worker records a chunk's outcomes and the job's counter changes in one two-item
 * transaction: the chunk item, conditional on the version it read, and the job's counters. A
 * duplicate delivery or a redelivered batch that changed the chunk first makes the condition
 * fail; the transitions are then computed again from the item as it now is, so a recipient is
 * never counted twice (see {@link #record}).
 */
public final class RecipientStore {
    private static final int MAX_TRIES = 10;
    /** Chunk items read per BatchGetItem call of a listing. */
    private static final int BATCH_CHUNKS = 25;
    /** Chunk items a listing reads at most for one page (a page of a rare status may end short). */
    private static final int PAGE_CHUNKS = 200;

    private final DynamoDbClient dynamo;
    private final String table;

    public RecipientStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The chunk's records, read consistently. */
    public ChunkRecords find(String jobId, int chunk) {
        try {
            return RecipientItems.fromItem(dynamo.getItem(r -> r.tableName(table)
                            .key(RecipientItems.chunkKey(jobId, chunk))
                            .consistentRead(true))
                    .item());
        } catch (SdkException e) {
            throw new StoreException("could not read the recipients of job " + jobId, e);
        }
    }

    /**
     * Applies each recipient's transition to its record and moves the job's counters by exactly
     * the status changes written, all in one transaction, conditional on the chunk being at the
     * version the transitions were computed from. When another delivery changed the chunk first,
     * the failed condition returns the chunk as it now is, and the transitions are computed again.
     *
     * @param transitions per recipient of the chunk, what its record becomes
     * @param known the chunk's records as read before
     * @return the outcomes written, by recipient key (a transition that returned null is absent),
     *     and the chunk's records as this write left them (or as last read, when nothing was written)
     */
    public Recorded record(
            String jobId,
            int chunk,
            Map<EmailAddress, Transition> transitions,
            ChunkRecords known,
            Instant now,
            Instant expiresAt) {
        ChunkRecords current = known;
        for (int tries = 1; ; tries++) {
            Map<String, Recipient> after = new HashMap<>(current.byKey());
            Map<String, Outcome> outcomes = new LinkedHashMap<>();
            Counts moved = Counts.ZERO;
            for (Map.Entry<EmailAddress, Transition> t : transitions.entrySet()) {
                String key = t.getKey().key();
                Recipient before = current.get(key);
                Outcome outcome = t.getValue().apply(before);
                if (outcome != null) {
                    after.put(key, RecipientItems.apply(before, outcome));
                    outcomes.put(key, outcome);
                    moved = moved.plus(Counts.moved(before == null ? null : before.status(), outcome.status()));
                }
            }
            if (outcomes.isEmpty()) {
                return new Recorded(Map.of(), current);
            }
            Recorded written = new Recorded(outcomes, new ChunkRecords(current.version() + 1, after));
            if (moved.isZero()) { // no counter moves (a claim, say): one conditional put, half a transaction's cost
                try {
                    dynamo.putItem(chunkPutItem(jobId, chunk, current.version(), after, expiresAt));
                    return written;
                } catch (ConditionalCheckFailedException e) {
                    if (tries >= MAX_TRIES) {
                        throw new StoreException("could not record outcomes for job " + jobId + " (changed)", e);
                    }
                    current = e.hasItem() ? RecipientItems.fromItem(e.item()) : find(jobId, chunk);
                    continue;
                } catch (TransactionConflictException e) {
                    // the item is in another delivery's transaction: DynamoDB refuses the put, the SDK
                    // does not retry it; wait, then again
                    if (tries >= MAX_TRIES) {
                        throw new StoreException("could not record outcomes for job " + jobId + " (conflict)", e);
                    }
                    Backoff.beforeRetry(tries);
                    continue;
                } catch (SdkException e) {
                    throw new StoreException("could not record outcomes for job " + jobId, e);
                }
            }
            List<TransactWriteItem> writes = List.of(
                    TransactWriteItem.builder()
                            .put(chunkPut(jobId, chunk, current.version(), after, expiresAt))
                            .build(),
                    TransactWriteItem.builder()
                            .update(counterUpdate(jobId, moved, now))
                            .build());
            try {
                dynamo.transactWriteItems(r -> r.transactItems(writes));
                return written;
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (reasons.size() == 2 && isConditionFailed(reasons.get(1))) {
                    return new Recorded(Map.of(), current); // the job is gone (expired): nothing left to count
                }
                if (tries >= MAX_TRIES) {
                    throw new StoreException(
                            "could not record outcomes for job " + jobId + " (" + KeyClaimStore.codes(reasons) + ")",
                            e);
                }
                if (!reasons.isEmpty() && isConditionFailed(reasons.getFirst())) {
                    // another delivery changed the chunk: compute again from it as it now is
                    CancellationReason changed = reasons.getFirst();
                    current = changed.hasItem() ? RecipientItems.fromItem(changed.item()) : find(jobId, chunk);
                } else {
                    Backoff.beforeRetry(tries); // a conflict with a concurrent transaction: wait, then again
                }
            } catch (SdkException e) {
                throw new StoreException("could not record outcomes for job " + jobId, e);
            }
        }
    }

    /**
     * What a {@link #record} wrote.
     *
     * @param outcomes the outcomes written, by recipient key
     * @param records the chunk's records as they are after the write
     */
    public record Recorded(Map<String, Outcome> outcomes, ChunkRecords records) {}

    private PutItemRequest chunkPutItem(
            String jobId, int chunk, long version, Map<String, Recipient> records, Instant expiresAt) {
        Put put = chunkPut(jobId, chunk, version, records, expiresAt);
        return PutItemRequest.builder()
                .tableName(put.tableName())
                .item(put.item())
                .conditionExpression(put.conditionExpression())
                .expressionAttributeValues(
                        put.expressionAttributeValues().isEmpty() ? null : put.expressionAttributeValues())
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .build();
    }

    private Put chunkPut(String jobId, int chunk, long version, Map<String, Recipient> records, Instant expiresAt) {
        Put.Builder put = Put.builder()
                .tableName(table)
                .item(RecipientItems.toItem(jobId, chunk, version + 1, records, expiresAt))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD);
        return version == 0
                ? put.conditionExpression("attribute_not_exists(pk)").build()
                : put.conditionExpression("v = :v")
                        .expressionAttributeValues(Map.of(":v", n(version)))
                        .build();
    }

    private static boolean isConditionFailed(CancellationReason reason) {
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

    /**
     * A page of the job's recipients, all of them or those in one status, in address order:
     * chunks from the cursor's on, each chunk's records in address order. A page reads at most
     * {@link #PAGE_CHUNKS} chunks, so a page of a rare status may hold fewer than {@code limit}
     * recipients and still have a next cursor.
     *
     * @param chunks how many chunks the job has
     */
    public RecipientPage list(String jobId, int chunks, RecipientStatus status, int limit, String cursor) {
        Cursors.Position from = cursor == null ? Cursors.Position.START : Cursors.decode(cursor, jobId, status);
        List<Recipient> items = new ArrayList<>();
        int chunk = from.chunk();
        for (int read = 0; chunk < chunks && read < PAGE_CHUNKS; ) {
            int to = Math.min(chunks, chunk + BATCH_CHUNKS);
            Map<Integer, ChunkRecords> found = findAll(jobId, chunk, to);
            for (int c = chunk; c < to; c++) {
                List<Map.Entry<String, Recipient>> records = new ArrayList<>(
                        new TreeMap<>(found.getOrDefault(c, ChunkRecords.NONE).byKey()).entrySet());
                for (int i = 0; i < records.size(); i++) {
                    Map.Entry<String, Recipient> r = records.get(i);
                    boolean seen = c == from.chunk()
                            && from.after() != null
                            && r.getKey().compareTo(from.after()) <= 0;
                    if (seen || (status != null && r.getValue().status() != status)) {
                        continue;
                    }
                    items.add(r.getValue());
                    if (items.size() == limit) {
                        boolean more = i < records.size() - 1 || c < chunks - 1;
                        return new RecipientPage(
                                items,
                                more ? Cursors.encode(jobId, status, new Cursors.Position(c, r.getKey())) : null);
                    }
                }
            }
            read += to - chunk;
            chunk = to;
        }
        return new RecipientPage(
                items, chunk < chunks ? Cursors.encode(jobId, status, new Cursors.Position(chunk, null)) : null);
    }

    /** Chunks {@code from} to {@code to} (exclusive) that have records, read consistently, by chunk. */
    private Map<Integer, ChunkRecords> findAll(String jobId, int from, int to) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int c = from; c < to; c++) {
            keys.add(RecipientItems.chunkKey(jobId, c));
        }
        Map<String, KeysAndAttributes> request = Map.of(
                table,
                KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
        Map<Integer, ChunkRecords> found = new HashMap<>();
        for (int tries = 1; !request.isEmpty(); tries++) {
            BatchGetItemResponse response;
            try {
                Map<String, KeysAndAttributes> next = request;
                response = dynamo.batchGetItem(r -> r.requestItems(next));
            } catch (SdkException e) {
                throw new StoreException("could not list recipients of job " + jobId, e);
            }
            for (Map<String, AttributeValue> item : response.responses().getOrDefault(table, List.of())) {
                found.put(RecipientItems.chunkOf(item), RecipientItems.fromItem(item));
            }
            request = response.unprocessedKeys();
            if (!request.isEmpty()) {
                if (tries >= MAX_TRIES) {
                    throw new StoreException("DynamoDB left keys unprocessed for job " + jobId, null);
                }
                Backoff.beforeRetry(tries);
            }
        }
        return found;
    }
}
