package dev.mailbatch.store;

import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;

import dev.mailbatch.job.Digest;
import dev.mailbatch.job.Usage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;

/**
 * Each owner's {@link Usage}: one item, {@code OWNER#{digest}} / {@code USAGE}, written only in
 * the transaction that creates one of its jobs, on the condition that its version is the one
 * read (see {@link SubmissionStore}).
 */
public final class UsageStore {
    private static final int MAX_TRIES = 5;
    private static final int BATCH_GET_KEYS = 100;

    private final DynamoDbClient dynamo;
    private final String table;

    public UsageStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** The owner's usage, read consistently ({@link Usage#NONE} before its first job). */
    public Usage read(String owner) {
        Map<String, AttributeValue> item;
        try {
            item = dynamo.getItem(r -> r.tableName(table).key(key(owner)).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read an owner's usage", e);
        }
        if (!exists(item)) {
            return Usage.NONE;
        }
        Map<String, Long> hours = new HashMap<>();
        item.getOrDefault("hours", AttributeValue.fromM(Map.of()))
                .m()
                .forEach((hour, count) -> hours.put(hour, Long.parseLong(count.n())));
        List<String> open = item.getOrDefault("openJobs", AttributeValue.fromL(List.of())).l().stream()
                .map(AttributeValue::s)
                .toList();
        return new Usage(num(item, "version"), open, hours);
    }

    /** Which of {@code jobIds} are not finished now (a job gone, expired, done or cancelled is finished). */
    public List<String> stillOpen(List<String> jobIds, Instant now) {
        if (jobIds.isEmpty()) {
            return List.of();
        }
        Set<String> open = new HashSet<>();
        List<String> distinct = jobIds.stream().distinct().toList();
        for (int from = 0; from < distinct.size(); from += BATCH_GET_KEYS) { // BatchGetItem takes 100 keys
            open.addAll(open(distinct.subList(from, Math.min(from + BATCH_GET_KEYS, distinct.size())), now));
        }
        return new ArrayList<>(jobIds.stream().filter(open::contains).toList());
    }

    /** Which of at most 100 jobs are not finished now. */
    private Set<String> open(List<String> jobIds, Instant now) {
        Set<String> open = new HashSet<>();
        Map<String, KeysAndAttributes> request = Map.of(
                table,
                KeysAndAttributes.builder()
                        .keys(jobIds.stream().map(Items::jobKey).toList())
                        .projectionExpression("pk, #total, sent, failed, cancelled, cancelledAt, expiresAt")
                        .expressionAttributeNames(Map.of("#total", "total")) // a reserved word
                        .consistentRead(true)
                        .build());
        for (int tries = 1; !request.isEmpty(); tries++) {
            BatchGetItemResponse response = batchGet(request);
            for (Map<String, AttributeValue> job : response.responses().getOrDefault(table, List.of())) {
                boolean done = job.containsKey("cancelledAt") // what is left of it is never sent
                        || num(job, "sent") + num(job, "failed") + num(job, "cancelled") >= num(job, "total");
                if (!done && num(job, "expiresAt") > now.getEpochSecond()) {
                    open.add(job.get(PK).s().substring("JOB#".length()));
                }
            }
            request = response.unprocessedKeys();
            if (!request.isEmpty()) {
                if (tries > MAX_TRIES) {
                    throw new StoreException("DynamoDB left keys unprocessed reading an owner's jobs", null);
                }
                Backoff.beforeRetry(tries);
            }
        }
        return open;
    }

    private BatchGetItemResponse batchGet(Map<String, KeysAndAttributes> request) {
        try {
            return dynamo.batchGetItem(r -> r.requestItems(request));
        } catch (SdkException e) {
            throw new StoreException("could not read an owner's jobs", e);
        }
    }

    /** The write of {@code after} in place of {@code before}: conditional on the version read. */
    Put put(String owner, Usage before, Usage after, Instant expiresAt) {
        Map<String, AttributeValue> hours = new HashMap<>();
        after.hours().forEach((hour, count) -> hours.put(hour, n(count)));
        Map<String, AttributeValue> item = new HashMap<>(key(owner));
        item.put("version", n(after.version()));
        item.put(
                "openJobs",
                AttributeValue.fromL(after.openJobs().stream().map(Items::s).toList()));
        item.put("hours", AttributeValue.fromM(hours));
        item.put("expiresAt", n(expiresAt.getEpochSecond()));
        return Put.builder()
                .tableName(table)
                .item(item)
                .conditionExpression(before.version() == 0 ? "attribute_not_exists(pk)" : "version = :version")
                .expressionAttributeValues(before.version() == 0 ? null : Map.of(":version", n(before.version())))
                .build();
    }

    private static Map<String, AttributeValue> key(String owner) {
        return Map.of(PK, s("OWNER#" + Digest.sha256Hex(owner, 16)), SK, s("USAGE"));
    }
}
