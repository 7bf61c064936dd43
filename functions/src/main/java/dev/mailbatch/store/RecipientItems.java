package dev.mailbatch.store;

import static dev.mailbatch.store.Items.CHUNK_PREFIX;
import static dev.mailbatch.store.Items.CHUNK_SK;
import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.jobPk;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.str;

import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Claim;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The chunk item: the records of one chunk's recipients in one map, {@code r}, by recipient key,
 * each as small as it can be (the item is rewritten whole at every change, and billed by size):
 * {@code s} status, {@code n} attempts, {@code t} sentAt (epoch milliseconds), {@code m} provider
 * message id, {@code x} error, {@code y} retryable (only when true), {@code u} claimed until
 * (epoch milliseconds) and {@code h} by whom (only while claimed), {@code e} the address (only when it is written
 * otherwise than its key). About 70 bytes a sent recipient; at most 99
 * recipients of at most ~1.1 KB each: well under DynamoDB's 400 KB item limit.
 */
final class RecipientItems {
    private RecipientItems() {}

    /**
     * A chunk's own partition key, not the job's: a job's chunks spread over DynamoDB's
     * partitions, so no partition's write limit caps how fast one job is recorded.
     */
    static Map<String, AttributeValue> chunkKey(String jobId, int chunk) {
        return Map.of(PK, s(jobPk(jobId) + "#" + CHUNK_PREFIX + chunk), SK, s(CHUNK_SK));
    }

    static int chunkOf(Map<String, AttributeValue> item) {
        String pk = str(item, PK);
        return Integer.parseInt(pk.substring(pk.lastIndexOf('#') + 1));
    }

    /**
     * A record after an outcome: the outcome's fields, the attempts added, sentAt and the message
     * id kept; claimed only by a claim (any other outcome ends the claim).
     */
    static Recipient apply(Recipient before, Outcome o) {
        boolean sent = o.status() == RecipientStatus.SENT;
        return new Recipient(
                o.recipient().address(),
                o.status(),
                (before == null ? 0 : before.attempts()) + o.attempts(),
                o.error() == null ? null : Items.truncate(o.error(), 500),
                sent ? o.at() : before == null ? null : before.sentAt(),
                sent && o.providerMessageId() != null
                        ? Items.truncate(o.providerMessageId(), 256)
                        : before == null ? null : before.providerMessageId(),
                o.retryable(),
                o.claim());
    }

    static Map<String, AttributeValue> toItem(
            String jobId, int chunk, long version, Map<String, Recipient> records, Instant expiresAt) {
        Map<String, AttributeValue> item = new HashMap<>(chunkKey(jobId, chunk));
        item.put("v", n(version));
        item.put("expiresAt", n(expiresAt.getEpochSecond()));
        Map<String, AttributeValue> r = new HashMap<>();
        records.forEach((key, recipient) -> r.put(key, AttributeValue.fromM(toMap(key, recipient))));
        item.put("r", AttributeValue.fromM(r));
        return item;
    }

    static ChunkRecords fromItem(Map<String, AttributeValue> item) {
        if (!exists(item)) {
            return ChunkRecords.NONE;
        }
        Map<String, Recipient> records = new HashMap<>();
        AttributeValue r = item.get("r");
        if (r != null && r.hasM()) {
            r.m().forEach((key, value) -> records.put(key, fromMap(key, value.m())));
        }
        return new ChunkRecords(num(item, "v"), records);
    }

    private static Map<String, AttributeValue> toMap(String key, Recipient r) {
        Map<String, AttributeValue> m = new HashMap<>();
        if (!key.equals(r.email())) {
            m.put("e", s(r.email()));
        }
        m.put("s", s(r.status().name()));
        m.put("n", n(r.attempts()));
        if (r.retryable()) {
            m.put("y", AttributeValue.fromBool(true));
        }
        if (r.error() != null) {
            m.put("x", s(r.error()));
        }
        if (r.sentAt() != null) {
            m.put("t", n(r.sentAt().toEpochMilli()));
        }
        if (r.providerMessageId() != null) {
            m.put("m", s(r.providerMessageId()));
        }
        if (r.claim() != null) {
            m.put("u", n(r.claim().until().toEpochMilli()));
            m.put("h", s(r.claim().holder()));
        }
        return m;
    }

    private static Recipient fromMap(String key, Map<String, AttributeValue> m) {
        AttributeValue retryable = m.get("y");
        return new Recipient(
                m.containsKey("e") ? str(m, "e") : key,
                RecipientStatus.valueOf(str(m, "s")),
                (int) num(m, "n"),
                str(m, "x"),
                m.containsKey("t") ? Instant.ofEpochMilli(num(m, "t")) : null,
                str(m, "m"),
                retryable != null && Boolean.TRUE.equals(retryable.bool()),
                m.containsKey("u") ? new Claim(str(m, "h"), Instant.ofEpochMilli(num(m, "u"))) : null);
    }
}
