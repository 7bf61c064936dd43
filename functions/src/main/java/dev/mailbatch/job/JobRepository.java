package dev.mailbatch.job;

import dev.mailbatch.api.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * Jobs and recipients in one DynamoDB table.
 *
 * <pre>
 * pk            sk          what
 * JOB#{id}      JOB         the job: content, total, sent, failed, cancelled, timestamps, expiresAt
 * JOB#{id}      R#{email}   one recipient's outcome (written when a worker first attempts it)
 * IDEM#{key}    IDEM        an Idempotency-Key: the job it made and the request's fingerprint
 * GSI byStatus: rs = {id}#{STATUS}, sk   lists a job's recipients in one status
 * </pre>
 *
 * <p>Submitting writes the job item only: one write whatever the batch size. A worker records a
 * whole chunk's outcomes and the job's counter increments in one transaction, with a condition
 * on each recipient that it is still what the worker read, so that duplicate deliveries and
 * redelivered batches can never count a recipient twice (see {@link #record}). The job item is
 * written about once per chunk, never once per email.
 */
public final class JobRepository {
    static final String PK = "pk";
    static final String SK = "sk";
    static final String STATUS_KEY = "rs";
    public static final String STATUS_INDEX = "byStatus";
    private static final String JOB_SK = "JOB";
    private static final String RECIPIENT_PREFIX = "R#";
    private static final String KEY_SK = "IDEM";
    private static final int MAX_TRIES = 5;

    private final DynamoDbClient dynamo;
    private final String table;

    public JobRepository(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** Writes a new job. Fails (never overwrites) if the id is taken. */
    public void create(Job job) {
        try {
            dynamo.putItem(r -> r.tableName(table).item(jobItem(job)).conditionExpression("attribute_not_exists(pk)"));
        } catch (SdkException e) {
            throw new StoreException("could not write job " + job.id(), e);
        }
    }

    /** An Idempotency-Key's record: the job the first request with it made, and that request's fingerprint. */
    public record KeyRecord(String jobId, String fingerprint) {}

    /**
     * Writes a new job and claims {@code key} for it, in one transaction.
     *
     * @return empty if both were written; the key's record if another job holds the key (nothing written)
     */
    public Optional<KeyRecord> createWithKey(Job job, String key, String fingerprint, Instant now) {
        Map<String, AttributeValue> keyItem = new HashMap<>();
        keyItem.put(PK, s(keyPk(key)));
        keyItem.put(SK, s(KEY_SK));
        keyItem.put("jobId", s(job.id()));
        keyItem.put("fingerprint", s(fingerprint));
        keyItem.put("expiresAt", n(job.expiresAt().getEpochSecond()));
        for (int tries = 1; ; tries++) {
            try {
                dynamo.transactWriteItems(r -> r.transactItems(
                        TransactWriteItem.builder()
                                .put(p -> p.tableName(table)
                                        .item(jobItem(job))
                                        .conditionExpression("attribute_not_exists(pk)"))
                                .build(),
                        TransactWriteItem.builder()
                                .put(p -> p.tableName(table)
                                        .item(keyItem)
                                        .conditionExpression("attribute_not_exists(pk) OR expiresAt < :now")
                                        .expressionAttributeValues(Map.of(":now", n(now.getEpochSecond()))))
                                .build()));
                return Optional.empty();
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (reasons.size() == 2
                        && "ConditionalCheckFailed".equals(reasons.get(1).code())) {
                    Optional<KeyRecord> held = findKey(key, now);
                    if (held.isPresent()) {
                        return held;
                    }
                    // released or expired since: try again
                } else if (tries >= MAX_TRIES) {
                    throw new StoreException("could not write job " + job.id() + " (" + reasonCodes(reasons) + ")", e);
                }
                backoff(tries);
            } catch (SdkException e) {
                throw new StoreException("could not write job " + job.id(), e);
            }
            if (tries >= MAX_TRIES * 2) {
                throw new StoreException("could not claim an idempotency key for job " + job.id(), null);
            }
        }
    }

    /** The record of an Idempotency-Key, read consistently; empty if none or expired. */
    public Optional<KeyRecord> findKey(String key, Instant now) {
        Map<String, AttributeValue> item;
        try {
            item = dynamo.getItem(r -> r.tableName(table).key(keyKey(key)).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read an idempotency key", e);
        }
        if (item == null || item.isEmpty() || num(item, "expiresAt") < now.getEpochSecond()) {
            return Optional.empty();
        }
        return Optional.of(new KeyRecord(str(item, "jobId"), str(item, "fingerprint")));
    }

    /** Frees {@code key} if it still names {@code jobId}, so that a retry with it makes a new job. */
    public void releaseKey(String key, String jobId) {
        try {
            dynamo.deleteItem(r -> r.tableName(table)
                    .key(keyKey(key))
                    .conditionExpression("jobId = :id")
                    .expressionAttributeValues(Map.of(":id", s(jobId))));
        } catch (ConditionalCheckFailedException gone) {
            // released already, or held by another job: nothing to do
        } catch (SdkException e) {
            throw new StoreException("could not release an idempotency key of job " + jobId, e);
        }
    }

    /**
     * Records that every chunk of the job is on the queue: from now on workers send its emails.
     *
     * @return false if the job was abandoned first (then its chunks are dropped unsent)
     */
    public boolean markEnqueued(String id, Instant now) {
        try {
            dynamo.updateItem(r -> r.tableName(table)
                    .key(jobKey(id))
                    .updateExpression("SET enqueuedAt = if_not_exists(enqueuedAt, :now)")
                    .conditionExpression("attribute_exists(pk) AND attribute_not_exists(abandonedAt)")
                    .expressionAttributeValues(Map.of(":now", s(now.toString()))));
            return true;
        } catch (ConditionalCheckFailedException abandoned) {
            return false;
        } catch (SdkException e) {
            throw new StoreException("could not mark job " + id + " enqueued", e);
        }
    }

    /**
     * Gives up a job whose submit never finished enqueueing. Workers send nothing for such a job,
     * so every recipient is counted at once: FAILED, or CANCELLED if cancelling was asked for.
     *
     * @return the job as it is now (unchanged if it was enqueued or abandoned meanwhile)
     */
    public Job abandon(Job job, Instant now, String reason) {
        String counter = job.cancelledAt() != null ? "cancelled" : "failed";
        String cancelCondition =
                job.cancelledAt() != null ? "attribute_exists(cancelledAt)" : "attribute_not_exists(cancelledAt)";
        try {
            dynamo.updateItem(r -> r.tableName(table)
                    .key(jobKey(job.id()))
                    .updateExpression("SET abandonedAt = :now, #reason = :reason, updatedAt = :now, #counter = #total")
                    .conditionExpression("attribute_exists(pk) AND attribute_not_exists(enqueuedAt) "
                            + "AND attribute_not_exists(abandonedAt) AND sent = :zero AND failed = :zero AND "
                            + cancelCondition)
                    .expressionAttributeNames(Map.of("#reason", "reason", "#counter", counter, "#total", "total"))
                    .expressionAttributeValues(
                            Map.of(":now", s(now.toString()), ":reason", s(truncate(reason, 500)), ":zero", n(0))));
        } catch (ConditionalCheckFailedException changed) {
            // enqueued, cancelled or abandoned meanwhile: the read below tells which
        } catch (SdkException e) {
            throw new StoreException("could not abandon job " + job.id(), e);
        }
        return findAny(job.id()).orElse(job);
    }

    /**
     * Asks for the job to be cancelled, if it is still as {@code seen} (same counters, not cancelled).
     *
     * @return false if the job changed since it was read: read it again and decide again
     */
    public boolean cancel(Job seen, Instant now) {
        try {
            dynamo.updateItem(r -> r.tableName(table)
                    .key(jobKey(seen.id()))
                    .updateExpression("SET cancelledAt = :now, updatedAt = :now")
                    .conditionExpression(
                            "attribute_exists(pk) AND attribute_not_exists(cancelledAt) "
                                    + "AND attribute_not_exists(abandonedAt) AND sent = :sent AND failed = :failed AND cancelled = :cancelled")
                    .expressionAttributeValues(Map.of(
                            ":now",
                            s(now.toString()),
                            ":sent",
                            n(seen.sent()),
                            ":failed",
                            n(seen.failed()),
                            ":cancelled",
                            n(seen.cancelled()))));
            return true;
        } catch (ConditionalCheckFailedException changed) {
            return false;
        } catch (SdkException e) {
            throw new StoreException("could not cancel job " + seen.id(), e);
        }
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

    private Map<String, AttributeValue> jobItem(Job job) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(jobPk(job.id())));
        item.put(SK, s(JOB_SK));
        item.put("total", n(job.total()));
        item.put("chunks", n(job.chunks()));
        item.put("sent", n(0));
        item.put("failed", n(0));
        item.put("cancelled", n(0));
        item.put("duplicatesRemoved", n(job.duplicatesRemoved()));
        item.put("createdAt", s(job.createdAt().toString()));
        item.put("updatedAt", s(job.createdAt().toString()));
        item.put("expiresAt", n(job.expiresAt().getEpochSecond()));
        item.put("from", s(job.content().from()));
        item.put("subject", s(job.content().subject()));
        if (job.content().text() != null) {
            item.put("text", s(job.content().text()));
        }
        if (job.content().html() != null) {
            item.put("html", s(job.content().html()));
        }
        return item;
    }

    /** The job, read consistently; empty if there is none or it has expired. */
    public Optional<Job> find(String id, Instant now) {
        // DynamoDB deletes expired items lazily (within days); an expired job is gone now.
        return findAny(id).filter(job -> job.expiresAt().isAfter(now));
    }

    /**
     * The job as {@link #find} reads it, except that a job whose submit died before enqueueing it
     * ({@link Job#isOrphaned}) is abandoned first: read after the submit deadline, such a job is
     * FAILED with a reason, never PENDING forever.
     */
    public Optional<Job> findSettled(String id, Instant now) {
        return find(id, now).map(job -> job.isOrphaned(now) ? abandon(job, now, Job.ABANDONED_REASON) : job);
    }

    private Optional<Job> findAny(String id) {
        Map<String, AttributeValue> item;
        try {
            item = dynamo.getItem(r -> r.tableName(table).key(jobKey(id)).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read job " + id, e);
        }
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(toJob(id, item));
    }

    /** Records that a worker picked up the job's work (once: later calls change nothing). */
    public void markStarted(String id, Instant now) {
        try {
            dynamo.updateItem(r -> r.tableName(table)
                    .key(jobKey(id))
                    .updateExpression("SET startedAt = :now")
                    .conditionExpression("attribute_exists(pk) AND attribute_not_exists(startedAt)")
                    .expressionAttributeValues(Map.of(":now", s(now.toString()))));
        } catch (ConditionalCheckFailedException alreadyStartedOrGone) {
            // another delivery got there first, or the job expired: nothing to do
        } catch (SdkException e) {
            throw new StoreException("could not mark job " + id + " started", e);
        }
    }

    /** The recipients of the job among {@code keys} that already have a record, by key. */
    public Map<String, Recipient> findRecipients(String jobId, Collection<EmailAddress> recipients) {
        Map<String, Recipient> found = new HashMap<>();
        List<Map<String, AttributeValue>> keys =
                recipients.stream().map(r -> recipientKey(jobId, r.key())).toList();
        for (int from = 0; from < keys.size(); from += 100) {
            Map<String, KeysAndAttributes> request = Map.of(
                    table,
                    KeysAndAttributes.builder()
                            .keys(keys.subList(from, Math.min(from + 100, keys.size())))
                            .consistentRead(true)
                            .build());
            int tries = 0;
            while (!request.isEmpty()) {
                BatchGetItemResponse response;
                try {
                    Map<String, KeysAndAttributes> current = request;
                    response = dynamo.batchGetItem(r -> r.requestItems(current));
                } catch (SdkException e) {
                    throw new StoreException("could not read recipients of job " + jobId, e);
                }
                for (Map<String, AttributeValue> item : response.responses().getOrDefault(table, List.of())) {
                    found.put(item.get(SK).s().substring(RECIPIENT_PREFIX.length()), toRecipient(item));
                }
                request = response.unprocessedKeys();
                if (!request.isEmpty()) {
                    if (++tries > MAX_TRIES) {
                        throw new StoreException("DynamoDB left keys unprocessed for job " + jobId, null);
                    }
                    backoff(tries);
                }
            }
        }
        return found;
    }

    /**
     * Applies each recipient's transition to its record and moves the job's counters by exactly
     * the status changes written, all in one transaction. Each write is conditional on the record
     * being what the transition was computed from; when another delivery changed a record first,
     * that record is read again and its transition computed again from what it now is.
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
            List<TransactWriteItem> writes = new ArrayList<>(transitions.size() + 1);
            List<EmailAddress> written = new ArrayList<>();
            Map<String, Outcome> outcomes = new LinkedHashMap<>();
            long[] delta = new long[RecipientStatus.values().length];
            for (Map.Entry<EmailAddress, Transition> t : transitions.entrySet()) {
                Recipient before = current.get(t.getKey().key());
                Outcome outcome = t.getValue().apply(before);
                if (outcome == null) {
                    continue;
                }
                writes.add(TransactWriteItem.builder()
                        .update(recipientUpdate(jobId, outcome, before, expiresAt))
                        .build());
                written.add(t.getKey());
                outcomes.put(t.getKey().key(), outcome);
                delta[outcome.status().ordinal()]++;
                if (before != null) {
                    delta[before.status().ordinal()]--;
                }
            }
            if (writes.isEmpty()) {
                return Map.of();
            }
            long dSent = delta[RecipientStatus.SENT.ordinal()];
            long dFailed = delta[RecipientStatus.FAILED.ordinal()];
            long dCancelled = delta[RecipientStatus.CANCELLED.ordinal()];
            boolean counts = dSent != 0 || dFailed != 0 || dCancelled != 0;
            if (counts) {
                writes.add(TransactWriteItem.builder()
                        .update(Update.builder()
                                .tableName(table)
                                .key(jobKey(jobId))
                                .updateExpression(
                                        "ADD sent :sent, failed :failed, cancelled :cancelled SET updatedAt = :now")
                                .conditionExpression("attribute_exists(pk)")
                                .expressionAttributeValues(Map.of(
                                        ":sent",
                                        n(dSent),
                                        ":failed",
                                        n(dFailed),
                                        ":cancelled",
                                        n(dCancelled),
                                        ":now",
                                        s(now.toString())))
                                .build())
                        .build());
            }
            try {
                List<TransactWriteItem> items = writes;
                dynamo.transactWriteItems(r -> r.transactItems(items));
                return outcomes;
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (counts
                        && reasons.size() == writes.size()
                        && "ConditionalCheckFailed"
                                .equals(reasons.get(reasons.size() - 1).code())) {
                    return Map.of(); // the job is gone (expired): nothing left to count
                }
                List<EmailAddress> changed = new ArrayList<>();
                for (int i = 0; i < written.size() && i < reasons.size(); i++) {
                    if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                        changed.add(written.get(i));
                    }
                }
                if (tries >= MAX_TRIES * 2) {
                    throw new StoreException(
                            "could not record outcomes for job " + jobId + " (" + reasonCodes(reasons) + ")", e);
                }
                if (changed.isEmpty()) {
                    backoff(tries); // a conflict with a concurrent transaction: wait, then again
                } else {
                    Map<String, Recipient> fresh = findRecipients(jobId, changed);
                    for (EmailAddress r : changed) {
                        current.remove(r.key());
                        if (fresh.containsKey(r.key())) {
                            current.put(r.key(), fresh.get(r.key()));
                        }
                    }
                }
            } catch (SdkException e) {
                throw new StoreException("could not record outcomes for job " + jobId, e);
            }
        }
    }

    private Update recipientUpdate(String jobId, Outcome o, Recipient before, Instant expiresAt) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":email", s(o.recipient().address()));
        values.put(":status", s(o.status().name()));
        values.put(":rs", s(statusKey(jobId, o.status())));
        values.put(":retryable", AttributeValue.fromBool(o.retryable()));
        values.put(":inc", n(o.attempted() ? 1 : 0));
        values.put(":zero", n(0));
        values.put(":expires", n(expiresAt.getEpochSecond()));
        StringBuilder set =
                new StringBuilder("SET email = :email, #status = :status, rs = :rs, retryable = :retryable, "
                        + "attempts = if_not_exists(attempts, :zero) + :inc, expiresAt = :expires");
        if (o.attempted()) {
            set.append(", lastAttemptAt = :at");
            values.put(":at", s(o.at().toString()));
        }
        List<String> remove = new ArrayList<>();
        if (o.error() != null) {
            set.append(", #error = :error");
            values.put(":error", s(truncate(o.error(), 500)));
        } else {
            remove.add("#error");
        }
        if (o.status() == RecipientStatus.SENT) {
            set.append(", sentAt = :at");
            values.put(":at", s(o.at().toString()));
            if (o.providerMessageId() != null) {
                set.append(", providerMessageId = :mid");
                values.put(":mid", s(truncate(o.providerMessageId(), 256)));
            }
        }
        String condition;
        if (before == null) {
            condition = "attribute_not_exists(pk)";
        } else {
            condition = before.retryable()
                    ? "#status = :was AND retryable = :wasRetryable"
                    : "#status = :was AND (retryable = :wasRetryable OR attribute_not_exists(retryable))";
            values.put(":was", s(before.status().name()));
            values.put(":wasRetryable", AttributeValue.fromBool(before.retryable()));
        }
        String expression = set + (remove.isEmpty() ? "" : " REMOVE " + String.join(", ", remove));
        return Update.builder()
                .tableName(table)
                .key(recipientKey(jobId, o.recipient().key()))
                .updateExpression(expression)
                .conditionExpression(condition)
                .expressionAttributeNames(Map.of("#status", "status", "#error", "error"))
                .expressionAttributeValues(values)
                .build();
    }

    /** A page of the job's recipients, all of them or those in one status, in address order. */
    public RecipientPage listRecipients(String jobId, RecipientStatus status, int limit, String cursor) {
        QueryRequest.Builder query = QueryRequest.builder().tableName(table).limit(limit);
        if (status == null) {
            query.keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
                    .expressionAttributeValues(Map.of(":pk", s(jobPk(jobId)), ":prefix", s(RECIPIENT_PREFIX)))
                    .consistentRead(true);
        } else {
            query.indexName(STATUS_INDEX)
                    .keyConditionExpression("rs = :rs")
                    .expressionAttributeValues(Map.of(":rs", s(statusKey(jobId, status))));
        }
        if (cursor != null) {
            query.exclusiveStartKey(decodeCursor(cursor, jobId, status));
        }
        QueryResponse response;
        try {
            response = dynamo.query(query.build());
        } catch (SdkException e) {
            throw new StoreException("could not list recipients of job " + jobId, e);
        }
        List<Recipient> items =
                response.items().stream().map(JobRepository::toRecipient).toList();
        String next =
                response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                        ? encodeCursor(response.lastEvaluatedKey())
                        : null;
        return new RecipientPage(items, next);
    }

    /** Thrown for a cursor this API did not hand out for this job and status. */
    public static final class InvalidCursorException extends RuntimeException {
        InvalidCursorException() {
            super("invalid cursor", null, false, false);
        }
    }

    private static String encodeCursor(Map<String, AttributeValue> key) {
        Map<String, String> plain = new TreeMap<>();
        key.forEach((k, v) -> plain.put(k, v.s()));
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Json.write(plain).getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, AttributeValue> decodeCursor(String cursor, String jobId, RecipientStatus status) {
        Map<String, Object> plain;
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(cursor);
            @SuppressWarnings("unchecked")
            Map<String, Object> parsed = Json.MAPPER.readValue(bytes, Map.class);
            plain = parsed;
        } catch (IllegalArgumentException | java.io.IOException | ClassCastException e) {
            throw new InvalidCursorException();
        }
        Set<String> expectedKeys = status == null ? Set.of(PK, SK) : Set.of(PK, SK, STATUS_KEY);
        if (plain == null
                || !plain.keySet().equals(expectedKeys)
                || !plain.values().stream().allMatch(v -> v instanceof String)
                || !jobPk(jobId).equals(plain.get(PK))
                || !((String) plain.get(SK)).startsWith(RECIPIENT_PREFIX)
                || (status != null && !statusKey(jobId, status).equals(plain.get(STATUS_KEY)))) {
            throw new InvalidCursorException();
        }
        Map<String, AttributeValue> key = new LinkedHashMap<>();
        plain.forEach((k, v) -> key.put(k, s((String) v)));
        return key;
    }

    private static Job toJob(String id, Map<String, AttributeValue> item) {
        return new Job(
                id,
                new Job.Content(str(item, "from"), str(item, "subject"), str(item, "text"), str(item, "html")),
                num(item, "total"),
                (int) num(item, "chunks"),
                num(item, "sent"),
                num(item, "failed"),
                num(item, "cancelled"),
                instant(item, "createdAt"),
                instant(item, "updatedAt"),
                instant(item, "startedAt"),
                instant(item, "enqueuedAt"),
                instant(item, "cancelledAt"),
                instant(item, "abandonedAt"),
                str(item, "reason"),
                (int) num(item, "duplicatesRemoved"),
                Instant.ofEpochSecond(num(item, "expiresAt")));
    }

    private static Recipient toRecipient(Map<String, AttributeValue> item) {
        AttributeValue retryable = item.get("retryable");
        return new Recipient(
                str(item, "email"),
                RecipientStatus.valueOf(str(item, "status")),
                (int) num(item, "attempts"),
                str(item, "error"),
                instant(item, "sentAt"),
                str(item, "providerMessageId"),
                retryable != null && Boolean.TRUE.equals(retryable.bool()));
    }

    private static String jobPk(String id) {
        return "JOB#" + id;
    }

    private static String keyPk(String key) {
        return "IDEM#" + key;
    }

    private static Map<String, AttributeValue> keyKey(String key) {
        return Map.of(PK, s(keyPk(key)), SK, s(KEY_SK));
    }

    private static String statusKey(String jobId, RecipientStatus status) {
        return jobId + "#" + status.name();
    }

    private static Map<String, AttributeValue> jobKey(String id) {
        return Map.of(PK, s(jobPk(id)), SK, s(JOB_SK));
    }

    private static Map<String, AttributeValue> recipientKey(String jobId, String key) {
        return Map.of(PK, s(jobPk(jobId)), SK, s(RECIPIENT_PREFIX + key));
    }

    private static String reasonCodes(List<CancellationReason> reasons) {
        return reasons.stream()
                .map(CancellationReason::code)
                .distinct()
                .toList()
                .toString();
    }

    private static void backoff(int tries) {
        try {
            Thread.sleep(Math.min(1000, 20L << Math.min(tries, 6)) + (long) (Math.random() * 20));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted", e);
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    private static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    private static long num(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    }

    private static Instant instant(Map<String, AttributeValue> item, String name) {
        String v = str(item, name);
        return v == null ? null : Instant.parse(v);
    }
}
