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
 * JOB#{id}      JOB         the job: content, total, sent, failed, timestamps, expiresAt
 * JOB#{id}      R#{email}   one recipient's outcome (written when a worker first attempts it)
 * GSI byStatus: rs = {id}#{STATUS}, sk   lists a job's recipients in one status
 * </pre>
 *
 * <p>Submitting writes the job item only: one write whatever the batch size. A worker records a
 * whole chunk's outcomes and the job's counter increments in one transaction, with a condition
 * on each recipient that it is not already done, so that duplicate deliveries and redelivered
 * batches can never count a recipient twice (see {@link #recordOutcomes}). The job item is
 * written about once per chunk, never once per email.
 */
public final class JobRepository {
    static final String PK = "pk";
    static final String SK = "sk";
    static final String STATUS_KEY = "rs";
    public static final String STATUS_INDEX = "byStatus";
    private static final String JOB_SK = "JOB";
    private static final String RECIPIENT_PREFIX = "R#";
    private static final int MAX_TRIES = 5;

    private final DynamoDbClient dynamo;
    private final String table;

    public JobRepository(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** Writes a new job. Fails (never overwrites) if the id is taken. */
    public void create(Job job) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(jobPk(job.id())));
        item.put(SK, s(JOB_SK));
        item.put("total", n(job.total()));
        item.put("chunks", n(job.chunks()));
        item.put("sent", n(0));
        item.put("failed", n(0));
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
        try {
            dynamo.putItem(r -> r.tableName(table).item(item).conditionExpression("attribute_not_exists(pk)"));
        } catch (SdkException e) {
            throw new StoreException("could not write job " + job.id(), e);
        }
    }

    /** The job, read consistently; empty if there is none or it has expired. */
    public Optional<Job> find(String id, Instant now) {
        Map<String, AttributeValue> item;
        try {
            item = dynamo.getItem(r -> r.tableName(table).key(jobKey(id)).consistentRead(true)).item();
        } catch (SdkException e) {
            throw new StoreException("could not read job " + id, e);
        }
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        Job job = toJob(id, item);
        // DynamoDB deletes expired items lazily (within days); an expired job is gone now.
        return job.expiresAt().isAfter(now) ? Optional.of(job) : Optional.empty();
    }

    /** Records that a worker picked up the job's work (once: later calls change nothing). */
    public void markStarted(String id, Instant now) {
        try {
            dynamo.updateItem(r -> r.tableName(table).key(jobKey(id))
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
        List<Map<String, AttributeValue>> keys = recipients.stream().map(r -> recipientKey(jobId, r.key())).toList();
        for (int from = 0; from < keys.size(); from += 100) {
            Map<String, KeysAndAttributes> request = Map.of(table, KeysAndAttributes.builder()
                    .keys(keys.subList(from, Math.min(from + 100, keys.size()))).consistentRead(true).build());
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
     * Records outcomes and moves the job's counters by exactly the recipients that this call
     * moved to a terminal status, in one transaction. An outcome for a recipient that is already
     * SENT or FAILED (recorded by a duplicate delivery) is dropped, not counted again.
     *
     * @return the outcomes that this call recorded (the others were already done)
     */
    public List<Outcome> recordOutcomes(String jobId, List<Outcome> outcomes, Instant now, Instant expiresAt) {
        List<Outcome> pending = new ArrayList<>(outcomes);
        for (int tries = 1; !pending.isEmpty(); tries++) {
            List<TransactWriteItem> writes = new ArrayList<>(pending.size() + 1);
            for (Outcome outcome : pending) {
                writes.add(TransactWriteItem.builder().update(recipientUpdate(jobId, outcome, expiresAt)).build());
            }
            long sent = pending.stream().filter(o -> o.status() == RecipientStatus.SENT).count();
            long failed = pending.stream().filter(o -> o.status() == RecipientStatus.FAILED).count();
            if (sent + failed > 0) {
                writes.add(TransactWriteItem.builder().update(Update.builder().tableName(table).key(jobKey(jobId))
                        .updateExpression("ADD sent :sent, failed :failed SET updatedAt = :now")
                        .conditionExpression("attribute_exists(pk)")
                        .expressionAttributeValues(Map.of(":sent", n(sent), ":failed", n(failed), ":now", s(now.toString())))
                        .build()).build());
            }
            try {
                List<TransactWriteItem> items = writes;
                dynamo.transactWriteItems(r -> r.transactItems(items));
                return pending;
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                if (sent + failed > 0 && reasons.size() == writes.size()
                        && "ConditionalCheckFailed".equals(reasons.get(reasons.size() - 1).code())) {
                    return List.of(); // the job is gone (expired): nothing left to count
                }
                List<Outcome> retry = new ArrayList<>();
                for (int i = 0; i < pending.size(); i++) {
                    String code = i < reasons.size() ? reasons.get(i).code() : "None";
                    if (!"ConditionalCheckFailed".equals(code)) {
                        retry.add(pending.get(i)); // done elsewhere: drop; anything else: try again
                    }
                }
                if (retry.size() == pending.size() && tries >= MAX_TRIES) {
                    throw new StoreException("could not record outcomes for job " + jobId + " (" + reasonCodes(reasons) + ")", e);
                }
                if (retry.size() == pending.size()) {
                    backoff(tries); // conflict with a concurrent transaction: wait, then again
                }
                pending = retry;
            } catch (SdkException e) {
                throw new StoreException("could not record outcomes for job " + jobId, e);
            }
        }
        return List.of();
    }

    private Update recipientUpdate(String jobId, Outcome o, Instant expiresAt) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":email", s(o.recipient().address()));
        values.put(":status", s(o.status().name()));
        values.put(":rs", s(statusKey(jobId, o.status())));
        values.put(":one", n(1));
        values.put(":zero", n(0));
        values.put(":pending", s(RecipientStatus.PENDING.name()));
        values.put(":expires", n(expiresAt.getEpochSecond()));
        values.put(":at", s(o.at().toString()));
        StringBuilder set = new StringBuilder("SET email = :email, #status = :status, rs = :rs, "
                + "attempts = if_not_exists(attempts, :zero) + :one, expiresAt = :expires, lastAttemptAt = :at");
        List<String> remove = new ArrayList<>();
        if (o.error() != null) {
            set.append(", #error = :error");
            values.put(":error", s(truncate(o.error(), 500)));
        } else {
            remove.add("#error");
        }
        if (o.status() == RecipientStatus.SENT) {
            set.append(", sentAt = :at");
            if (o.providerMessageId() != null) {
                set.append(", providerMessageId = :mid");
                values.put(":mid", s(truncate(o.providerMessageId(), 256)));
            }
        }
        String expression = set + (remove.isEmpty() ? "" : " REMOVE " + String.join(", ", remove));
        return Update.builder().tableName(table).key(recipientKey(jobId, o.recipient().key()))
                .updateExpression(expression)
                .conditionExpression("attribute_not_exists(pk) OR #status = :pending")
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
            query.indexName(STATUS_INDEX).keyConditionExpression("rs = :rs")
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
        List<Recipient> items = response.items().stream().map(JobRepository::toRecipient).toList();
        String next = response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                ? encodeCursor(response.lastEvaluatedKey()) : null;
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
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.write(plain).getBytes(StandardCharsets.UTF_8));
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
        if (plain == null || !plain.keySet().equals(expectedKeys) || !plain.values().stream().allMatch(v -> v instanceof String)
                || !jobPk(jobId).equals(plain.get(PK)) || !((String) plain.get(SK)).startsWith(RECIPIENT_PREFIX)
                || (status != null && !statusKey(jobId, status).equals(plain.get(STATUS_KEY)))) {
            throw new InvalidCursorException();
        }
        Map<String, AttributeValue> key = new LinkedHashMap<>();
        plain.forEach((k, v) -> key.put(k, s((String) v)));
        return key;
    }

    private static Job toJob(String id, Map<String, AttributeValue> item) {
        return new Job(id,
                new Job.Content(str(item, "from"), str(item, "subject"), str(item, "text"), str(item, "html")),
                num(item, "total"), (int) num(item, "chunks"), num(item, "sent"), num(item, "failed"),
                instant(item, "createdAt"), instant(item, "updatedAt"), instant(item, "startedAt"),
                Instant.ofEpochSecond(num(item, "expiresAt")));
    }

    private static Recipient toRecipient(Map<String, AttributeValue> item) {
        return new Recipient(str(item, "email"), RecipientStatus.valueOf(str(item, "status")),
                (int) num(item, "attempts"), str(item, "error"), instant(item, "sentAt"), str(item, "providerMessageId"));
    }

    private static String jobPk(String id) {
        return "JOB#" + id;
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
        return reasons.stream().map(CancellationReason::code).distinct().toList().toString();
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
