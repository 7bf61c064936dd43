package dev.mailbatch.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Counts the AWS work of a local stack, as AWS would bill it: an {@link ExecutionInterceptor} on
 * the functions' and the event source mapping's clients, and the functions' handler time.
 *
 * <p>DynamoDB capacity is computed from the items by DynamoDB's documented rules, because moto
 * answers {@code ReturnConsumedCapacity} with a constant whatever the item: a write is one WRU
 * per KB of the item (two in a transaction), a read one RRU per 4 KB (half for an eventually
 * consistent one, two in a transaction), an item's size being its attribute names and values
 * ({@link #size}). An update is billed by the item's size, which the request does not show: the
 * meter takes the largest size it has seen of that item (every item it reads or writes), which
 * is how DynamoDB bills it (the larger of before and after). SQS: one request per call and
 * 64 KB of payload. Lambda: requests and handler time.
 */
public final class CostMeter implements ExecutionInterceptor {
    private static final int WRITE_UNIT = 1024;
    private static final int READ_UNIT = 4096;
    private static final int SQS_UNIT = 64 * 1024;

    /** What a run cost, counted. */
    record Counted(
            double wru,
            double rru,
            long sqsRequests,
            long lambdaRequests,
            double lambdaGbSeconds,
            long jobItemWrites,
            Map<String, Double> wruByKind,
            String hottestItem,
            double hottestWru,
            String hottestReadItem,
            double hottestRru,
            Map<String, Long> calls) {}

    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    private final Map<String, Integer> largest = new ConcurrentHashMap<>();
    /** Writes whose size is looked up at the end (updates): item key → how many, and their unit factor. */
    private final List<Write> writes = java.util.Collections.synchronizedList(new ArrayList<>());

    private final AtomicLong milliRru = new AtomicLong();
    /** Read units of single-item reads (GetItem), by partition key: where a partition's read limit bites. */
    private final Map<String, java.util.concurrent.atomic.DoubleAdder> rruByKey = new ConcurrentHashMap<>();

    private final LongAdder sqsRequests = new LongAdder();
    private final LongAdder lambdaRequests = new LongAdder();
    private final AtomicLong lambdaMbMillis = new AtomicLong();

    private record Write(String key, int factor, int size) {}

    /** A function's invocation: its handler ran for {@code took} with {@code memoryMb} configured. */
    void invoked(Duration took, int memoryMb) {
        lambdaRequests.increment();
        lambdaMbMillis.addAndGet(took.toMillis() * memoryMb);
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        count(attributes, context.request(), context.response());
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        count(attributes, context.request(), null); // a refused write is billed too
    }

    private void count(ExecutionAttributes attributes, SdkRequest request, SdkResponse response) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        calls.computeIfAbsent(service + "." + operation, k -> new LongAdder()).increment();
        if ("SQS".equalsIgnoreCase(service)) {
            sqsRequests.add(sqsUnits(request, response));
        } else if ("DynamoDB".equalsIgnoreCase(service)) {
            dynamo(request, response);
        }
    }

    private static long sqsUnits(SdkRequest request, SdkResponse response) {
        long bytes = 0;
        if (request instanceof SendMessageRequest send) {
            bytes = utf8(send.messageBody());
        } else if (request instanceof SendMessageBatchRequest batch) {
            for (SendMessageBatchRequestEntry entry : batch.entries()) {
                bytes += utf8(entry.messageBody());
            }
        } else if (response instanceof ReceiveMessageResponse received) {
            for (Message m : received.messages()) {
                bytes += utf8(m.body());
            }
        }
        return Math.max(1, (bytes + SQS_UNIT - 1) / SQS_UNIT);
    }

    private void dynamo(SdkRequest request, SdkResponse response) {
        switch (request) {
            case PutItemRequest put -> write(put.item(), 1);
            case UpdateItemRequest update -> writes.add(new Write(key(update.key()), 1, 0));
            case DeleteItemRequest delete -> writes.add(new Write(key(delete.key()), 1, 0));
            case TransactWriteItemsRequest transaction -> {
                for (TransactWriteItem item : transaction.transactItems()) {
                    if (item.put() != null) {
                        write(item.put().item(), 2);
                    } else if (item.update() != null) {
                        writes.add(new Write(key(item.update().key()), 2, 0));
                    } else if (item.delete() != null) {
                        writes.add(new Write(key(item.delete().key()), 2, 0));
                    } else if (item.conditionCheck() != null) {
                        writes.add(new Write(key(item.conditionCheck().key()), 2, 0));
                    }
                }
            }
            case GetItemRequest get
            when response instanceof GetItemResponse got -> {
                double units = read(
                        got.hasItem() ? List.of(got.item()) : List.of(), Boolean.TRUE.equals(get.consistentRead()));
                rruByKey.computeIfAbsent(partition(key(get.key())), k -> new java.util.concurrent.atomic.DoubleAdder())
                        .add(units);
            }
            case QueryRequest query
            when response instanceof QueryResponse page ->
                read(page.items(), Boolean.TRUE.equals(query.consistentRead()));
            default -> {
                if (response instanceof BatchGetItemResponse batch) {
                    batch.responses().values().forEach(items -> items.forEach(i -> read(List.of(i), true)));
                }
            }
        }
    }

    private void write(Map<String, AttributeValue> item, int factor) {
        int size = size(item);
        seen(item, size);
        writes.add(new Write(key(item), factor, size));
    }

    /** @return the read units */
    private double read(Collection<Map<String, AttributeValue>> items, boolean consistent) {
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
    Counted counted() {
        double wru = 0;
        long jobItemWrites = 0;
        Map<String, Double> byKind = new java.util.TreeMap<>();
        Map<String, Double> byPartition = new java.util.HashMap<>();
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
        Map<String, Long> byCall = new java.util.TreeMap<>();
        calls.forEach((k, v) -> byCall.put(k, v.sum()));
        return new Counted(
                wru,
                milliRru.get() / 1000.0,
                sqsRequests.sum(),
                lambdaRequests.sum(),
                lambdaMbMillis.get() / 1024.0 / 1000.0,
                jobItemWrites,
                byKind,
                partitionKind(hottest.getKey()),
                hottest.getValue(),
                partitionKind(hottestRead.getKey()),
                hottestRead.getValue(),
                byCall);
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
            return v.ss().stream().mapToInt(CostMeter::utf8).sum();
        }
        return 1;
    }

    private static int utf8(String s) {
        return s == null ? 0 : s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
