package dev.mailbatch.store;

import static dev.mailbatch.store.Items.CHUNK_PREFIX;
import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.jobPk;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.str;

import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The chunk item: the records of one chunk's recipients in one map, {@code r}, by recipient key,
 * each with short attribute names (the item is rewritten whole at every change, and billed by
 * size): {@code e} address, {@code s} status, {@code n} attempts, {@code x} error, {@code t}
 * sentAt, {@code m} provider message id, {@code y} retryable. At most 99 recipients of at most
 * ~1.1 KB each: well under DynamoDB's 400 KB item limit.
 */
final class RecipientItems {
    private RecipientItems() {}

    static Map<String, AttributeValue> chunkKey(String jobId, int chunk) {
        return Map.of(PK, s(jobPk(jobId)), SK, s(chunkSk(chunk)));
    }

    /** Zero-padded, so the chunk items of a job sort in chunk order (and so in address order). */
    static String chunkSk(int chunk) {
        return CHUNK_PREFIX + String.format("%05d", chunk);
    }

    static int chunkOf(Map<String, AttributeValue> item) {
        return Integer.parseInt(str(item, SK).substring(CHUNK_PREFIX.length()));
    }

    /** A record after an outcome: the outcome's fields, the attempts added, sentAt and the message id kept. */
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
                o.retryable());
    }

    static Map<String, AttributeValue> toItem(
            String jobId, int chunk, long version, Map<String, Recipient> records, Instant expiresAt) {
        Map<String, AttributeValue> item = new HashMap<>(chunkKey(jobId, chunk));
        item.put("v", n(version));
        item.put("expiresAt", n(expiresAt.getEpochSecond()));
        Map<String, AttributeValue> r = new HashMap<>();
        records.forEach((key, recipient) -> r.put(key, AttributeValue.fromM(toMap(recipient))));
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
            r.m().forEach((key, value) -> records.put(key, fromMap(value.m())));
        }
        return new ChunkRecords(num(item, "v"), records);
    }

    private static Map<String, AttributeValue> toMap(Recipient r) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("e", s(r.email()));
        m.put("s", s(r.status().name()));
        m.put("n", n(r.attempts()));
        m.put("y", AttributeValue.fromBool(r.retryable()));
        if (r.error() != null) {
            m.put("x", s(r.error()));
        }
        if (r.sentAt() != null) {
            m.put("t", Items.time(r.sentAt()));
        }
        if (r.providerMessageId() != null) {
            m.put("m", s(r.providerMessageId()));
        }
        return m;
    }

    private static Recipient fromMap(Map<String, AttributeValue> m) {
        AttributeValue retryable = m.get("y");
        return new Recipient(
                str(m, "e"),
                RecipientStatus.valueOf(str(m, "s")),
                (int) num(m, "n"),
                str(m, "x"),
                Items.instant(m, "t"),
                str(m, "m"),
                retryable != null && Boolean.TRUE.equals(retryable.bool()));
    }
}
