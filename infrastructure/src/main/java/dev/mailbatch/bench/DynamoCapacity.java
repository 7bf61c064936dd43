package dev.mailbatch.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * DynamoDB's capacity units for what a run read and wrote, computed from the items by DynamoDB's
 * documented rules, because moto answers {@code ReturnConsumedCapacity} with a constant whatever
 * the item: a write is one WRU per KB of the item (two in a transaction), a read one RRU per 4 KB
 * (half for an eventually consistent one, two in a transaction), an item's size being its
 * attribute names and values ({@link #size}). An update is billed by the item's size, which the
 * request does not show: the count takes the largest size it has seen of that item (every item
 * read or written), which is how DynamoDB bills it (the larger of before and after). It also
 * keeps the units by item kind and by partition key, where a partition's limits bite.
 * {@link CostMeter} feeds it the requests it sees.
 */
final class DynamoCapacity {
    private static final int WRITE_UNIT = 1024;
    private static final int READ_UNIT = 4096;

    /** The units counted, and the busiest partitions. */
    record Tally(
            double wru,
            double rru,
            long jobItemWrites,
            Map<String, Double> wruByKind,
            String hottestItem,
            double hottestWru,
            String hottestReadItem,
            double hottestRru) {}

    private record Write(String key, int factor, int size) {}

    private final Map<String, Integer> largest = new ConcurrentHashMap<>();
    /** Every write; an update's size is looked up at the end (the largest seen of its item). */
    private final List<Write> writes = Collections.synchronizedList(new ArrayList<>());

    private final AtomicLong milliRru = new AtomicLong();
    /** Read units of single-item reads (GetItem), by partition key: where a partition's read limit bites. */
    private final Map<String, DoubleAdder> rruByKey = new ConcurrentHashMap<>();

    /** A write of a whole item (a put), {@code factor} 2 in a transaction. */
    void put(Map<String, AttributeValue> item, int factor) {
        int size = size(item);
        seen(item, size);
        writes.add(new Write(key(item), factor, size));
    }

    /** A write billed by the item's size, which only the item's other reads and writes show (an update, a delete, a check). */
    void writeByKey(Map<String, AttributeValue> key, int factor) {
        writes.add(new Write(key(key), factor, 0));
    }

    /** A read of one item by its key (found or not), counted towards its partition too. */
    void get(Map<String, AttributeValue> key, Collection<Map<String, AttributeValue>> found, boolean consistent) {
        double units = read(found, consistent);
        rruByKey.computeIfAbsent(partition(key(key)), k -> new DoubleAdder()).add(units);
    }

    /** A read of {@code items} in one request; its read units. */
    double read(Collection<Map<String, AttributeValue>> items, boolean consistent) {
        long bytes = 0;
        for (Map<String, AttributeValue> item : items) {
            int size = size(item);
            seen(item, size);
            bytes += size;
        }
        long units = Math.max(1, (bytes + READ_UNIT - 1) / READ_UNIT);
        milliRru.addAndGet(units * (consistent ? 1000 : 500));
        return units * (consistent ? 1.0 : 0.5);
    }

    private void seen(Map<String, AttributeValue> item, int size) {
        if (item.containsKey("pk")) {
            largest.merge(key(item), size, Math::max);
        }
    }

    /** What was counted, each update billed by the largest size seen of its item. */
    Tally tally() {
        double wru = 0;
        long jobItemWrites = 0;
        Map<String, Double> byKind = new TreeMap<>();
        Map<String, Double> byPartition = new HashMap<>();
        synchronized (writes) {
            for (Write w : writes) {
                int size = Math.max(w.size(), largest.getOrDefault(w.key(), 1));
                double units = Math.max(1, (size + WRITE_UNIT - 1) / WRITE_UNIT) * (double) w.factor();
                wru += units;
                byKind.merge(kind(w.key()), units, Double::sum);
                if (isDrainWrite(w.key())) {
                    byPartition.merge(partition(w.key()), units, Double::sum);
                }
                if (w.key().endsWith("|JOB")) {
                    jobItemWrites++;
                }
            }
        }
        Map.Entry<String, Double> hottest = byPartition.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .orElse(Map.entry("none", 0.0));
        Map.Entry<String, Double> hottestRead = rruByKey.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("RATE"))
                .map(e -> Map.entry(e.getKey(), e.getValue().sum()))
                .max(Map.Entry.comparingByValue())
                .orElse(Map.entry("none", 0.0));
        return new Tally(
                wru,
                milliRru.get() / 1000.0,
                jobItemWrites,
                byKind,
                partitionKind(hottest.getKey()),
                hottest.getValue(),
                partitionKind(hottestRead.getKey()),
                hottestRead.getValue());
    }

    /**
     * Whether a write is part of a drain's sustained rate: not the stack's rate bucket (written per
     * time, not per email) nor what a submit writes once per job (content, usage, key).
     */
    private static boolean isDrainWrite(String key) {
        return !key.startsWith("RATE") && !Set.of("CONTENT", "USAGE", "IDEM").contains(kind(key));
    }

    /** An item's kind, from its sort key: JOB, CONTENT, CHUNK, USAGE, IDEM, SEND (the rate bucket). */
    private static String kind(String key) {
        return key.substring(key.indexOf('|') + 1);
    }

    /** The partition key of an item key: DynamoDB's limits are per partition, and so per partition key. */
    private static String partition(String key) {
        return key.substring(0, key.indexOf('|'));
    }

    /** What a partition key holds: a job's own items, one chunk, an owner's usage, a caller's key. */
    private static String partitionKind(String pk) {
        if (pk.contains("#C#")) {
            return "a chunk";
        }
        if (pk.startsWith("JOB#")) {
            return "the job (its item and content)";
        }
        return pk.startsWith("OWNER#") ? "the owner's usage" : pk.startsWith("IDEM#") ? "an idempotency key" : pk;
    }

    private static String key(Map<String, AttributeValue> item) {
        AttributeValue pk = item.get("pk");
        AttributeValue sk = item.get("sk");
        return (pk == null ? "" : pk.s()) + "|" + (sk == null ? "" : sk.s());
    }

    /**
     * An item's size as DynamoDB bills it: each attribute's name and value; a string its UTF-8
     * bytes, a number about one byte per two digits plus one, a boolean or null one byte, a map
     * or list three bytes plus one per element and its elements.
     */
    static int size(Map<String, AttributeValue> item) {
        int size = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            size += utf8(e.getKey()) + size(e.getValue());
        }
        return size;
    }

    private static int size(AttributeValue v) {
        if (v.s() != null) {
            return utf8(v.s());
        }
        if (v.n() != null) {
            return (v.n().replace("-", "").replace(".", "").length() + 1) / 2 + 1;
        }
        if (v.bool() != null || Boolean.TRUE.equals(v.nul())) {
            return 1;
        }
        if (v.hasM()) {
            int size = 3;
            for (Map.Entry<String, AttributeValue> e : v.m().entrySet()) {
                size += 1 + utf8(e.getKey()) + size(e.getValue());
            }
            return size;
        }
        if (v.hasL()) {
            int size = 3;
            for (AttributeValue e : v.l()) {
                size += 1 + size(e);
            }
            return size;
        }
        if (v.b() != null) {
            return v.b().asByteArray().length;
        }
        if (v.hasSs()) {
            return v.ss().stream().mapToInt(DynamoCapacity::utf8).sum();
        }
        return 1;
    }

    static int utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }
}
