package dev.mailbatch.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
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
 * the functions' and the event source mapping's clients, and the functions' handler time. Every
 * call is counted by operation; DynamoDB's requests go to {@link DynamoCapacity}, which computes
 * their capacity units from the items; SQS is one request per call and 64 KB of payload; Lambda
 * is requests and handler time × the function's memory.
 */
public final class CostMeter implements ExecutionInterceptor {
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
    private final DynamoCapacity dynamo = new DynamoCapacity();
    private final LongAdder sqsRequests = new LongAdder();
    private final LongAdder lambdaRequests = new LongAdder();
    private final AtomicLong lambdaMbMillis = new AtomicLong();

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
            bytes = DynamoCapacity.utf8(send.messageBody());
        } else if (request instanceof SendMessageBatchRequest batch) {
            for (SendMessageBatchRequestEntry entry : batch.entries()) {
                bytes += DynamoCapacity.utf8(entry.messageBody());
            }
        } else if (response instanceof ReceiveMessageResponse received) {
            for (Message m : received.messages()) {
                bytes += DynamoCapacity.utf8(m.body());
            }
        }
        return Math.max(1, (bytes + SQS_UNIT - 1) / SQS_UNIT);
    }

    /** A DynamoDB request as it is billed: its writes (double in a transaction) and its reads. */
    private void dynamo(SdkRequest request, SdkResponse response) {
        switch (request) {
            case PutItemRequest put -> dynamo.put(put.item(), 1);
            case UpdateItemRequest update -> dynamo.writeByKey(update.key(), 1);
            case DeleteItemRequest delete -> dynamo.writeByKey(delete.key(), 1);
            case TransactWriteItemsRequest transaction -> {
                for (TransactWriteItem item : transaction.transactItems()) {
                    if (item.put() != null) {
                        dynamo.put(item.put().item(), 2);
                    } else if (item.update() != null) {
                        dynamo.writeByKey(item.update().key(), 2);
                    } else if (item.delete() != null) {
                        dynamo.writeByKey(item.delete().key(), 2);
                    } else if (item.conditionCheck() != null) {
                        dynamo.writeByKey(item.conditionCheck().key(), 2);
                    }
                }
            }
            case GetItemRequest get
            when response instanceof GetItemResponse got ->
                dynamo.get(
                        get.key(),
                        got.hasItem() ? List.of(got.item()) : List.of(),
                        Boolean.TRUE.equals(get.consistentRead()));
            case QueryRequest query
            when response instanceof QueryResponse page ->
                dynamo.read(page.items(), Boolean.TRUE.equals(query.consistentRead()));
            default -> {
                if (response instanceof BatchGetItemResponse batch) {
                    batch.responses().values().forEach(items -> items.forEach(i -> dynamo.read(List.of(i), true)));
                }
            }
        }
    }

    /** What was counted. */
    Counted counted() {
        DynamoCapacity.Tally units = dynamo.tally();
        Map<String, Long> byCall = new TreeMap<>();
        calls.forEach((k, v) -> byCall.put(k, v.sum()));
        return new Counted(
                units.wru(),
                units.rru(),
                sqsRequests.sum(),
                lambdaRequests.sum(),
                lambdaMbMillis.get() / 1024.0 / 1000.0,
                units.jobItemWrites(),
                units.wruByKind(),
                units.hottestItem(),
                units.hottestWru(),
                units.hottestReadItem(),
                units.hottestRru(),
                byCall);
    }
}
