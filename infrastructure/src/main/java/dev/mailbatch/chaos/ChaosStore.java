package dev.mailbatch.chaos;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbRequest;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.sqs.model.SqsException;
import software.amazon.awssdk.services.sqs.model.SqsRequest;

/**
 * Store faults for the chaos harness: the errors DynamoDB and SQS answer in production, injected
 * on the wire side of the functions' real SDK clients, per attempt (so the SDK's own retries
 * meet them too), at a seeded rate. Each kind is injected at the first fault where it can be
 * (a conflict only on a write: few writes are left since the send rate's shares, issue 12, and
 * a run could otherwise meet none), then drawn evenly:
 *
 * <ul>
 *   <li>throttled: refused before it is sent (DynamoDB's ProvisionedThroughputExceeded, SQS's
 *       ThrottlingException; the SDK backs off and retries);
 *   <li>conflict: a DynamoDB write refused as in conflict with a transaction
 *       (TransactionConflictException, or a TransactionCanceledException whose reason is
 *       TransactionConflict; the SDK does not retry these, the code must);
 *   <li>server error: a 500 before it is applied;
 *   <li>answer lost: the request is applied and its answer (a 2xx) replaced by a 500, so the SDK
 *       sends again a write that already landed (a conditional write then finds its own effect).
 * </ul>
 */
public final class ChaosStore implements ExecutionInterceptor {
    /** The kinds of fault, by what the caller can know: only a lost answer was applied. */
    public enum Kind {
        THROTTLED,
        CONFLICT,
        SERVER_ERROR,
        ANSWER_LOST
    }

    private static final ExecutionAttribute<Boolean> LOSE_ANSWER = new ExecutionAttribute<>("mailbatch.loseAnswer");
    private static final Set<Class<?>> WRITES =
            Set.of(PutItemRequest.class, UpdateItemRequest.class, DeleteItemRequest.class);

    private volatile double rate;
    private final List<Kind> kinds;
    private final Random random;
    private final Map<Kind, AtomicLong> injected = new EnumMap<>(Kind.class);
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();

    /**
     * @param rate the share of request attempts that meet a fault (0 for none)
     * @param seed the random stream's seed
     */
    public ChaosStore(double rate, long seed) {
        this(rate, seed, Set.of(Kind.values()));
    }

    /** Faults of the given kinds only, drawn evenly. */
    public ChaosStore(double rate, long seed, Set<Kind> kinds) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("store fault rate: must be 0..1");
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("store faults: at least one kind");
        }
        this.rate = rate;
        this.kinds = List.copyOf(new java.util.TreeSet<>(kinds));
        this.random = new Random(seed);
        for (Kind k : Kind.values()) {
            injected.put(k, new AtomicLong());
        }
    }

    /** No more faults from now on (the drain is over; the audit reads what the store holds). */
    public void off() {
        rate = 0;
    }

    /** Faults injected so far, by kind. */
    public Map<Kind, Long> injected() {
        Map<Kind, Long> out = new EnumMap<>(Kind.class);
        injected.forEach((k, v) -> out.put(k, v.get()));
        return Collections.unmodifiableMap(out);
    }

    /** Request attempts seen (the denominator of the rate). */
    public long attempts() {
        return attempts.get();
    }

    /**
     * Attempts that got no answer at all: sent, then the connection failed (a network fault).
     * Meaningful once no call is in flight.
     */
    public long unanswered() {
        long refused = injected.get(Kind.THROTTLED).get()
                + injected.get(Kind.CONFLICT).get()
                + injected.get(Kind.SERVER_ERROR).get();
        return attempts.get() - answered.get() - refused;
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
        if (!(context.request() instanceof DynamoDbRequest) && !(context.request() instanceof SqsRequest)) {
            return;
        }
        answered.incrementAndGet();
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if (!(context.request() instanceof DynamoDbRequest) && !(context.request() instanceof SqsRequest)) {
            return; // the store's faults: DynamoDB's and SQS's (SES has its own, ChaosSes)
        }
        attempts.incrementAndGet();
        attributes.putAttribute(LOSE_ANSWER, false);
        Kind kind = draw(context.request());
        if (kind == null) {
            return;
        }
        if (kind == Kind.ANSWER_LOST) {
            attributes.putAttribute(LOSE_ANSWER, true); // counted if it was applied
            return;
        }
        injected.get(kind).incrementAndGet();
        boolean dynamo = context.request() instanceof DynamoDbRequest;
        switch (kind) {
            case THROTTLED ->
                throw dynamo
                        ? ProvisionedThroughputExceededException.builder()
                                .statusCode(400)
                                .awsErrorDetails(details("ProvisionedThroughputExceededException", "DynamoDb"))
                                .message("The level of configured provisioned throughput was exceeded (injected)")
                                .build()
                        : SqsException.builder()
                                .statusCode(400)
                                .awsErrorDetails(details("ThrottlingException", "Sqs"))
                                .message("Rate exceeded (injected)")
                                .build();
            case CONFLICT -> throw conflict(context.request());
            case SERVER_ERROR -> throw serverError(dynamo);
            case ANSWER_LOST -> throw new IllegalStateException("handled above");
        }
    }

    /** The fault for this attempt, or null; a conflict only where DynamoDB can answer one. */
    private Kind draw(SdkRequest request) {
        double p;
        int k;
        synchronized (random) {
            p = random.nextDouble();
            k = random.nextInt(kinds.size());
        }
        if (p >= rate || rate == 0) {
            return null;
        }
        boolean write = WRITES.contains(request.getClass()) || request instanceof TransactWriteItemsRequest;
        for (Kind first : kinds) { // each kind once, at the first fault it can be, so a run meets them all
            if (injected.get(first).get() == 0 && (first != Kind.CONFLICT || write)) {
                return first;
            }
        }
        Kind kind = kinds.get(k);
        return kind == Kind.CONFLICT && !write ? Kind.SERVER_ERROR : kind;
    }

    private static AwsServiceException conflict(SdkRequest request) {
        if (request instanceof TransactWriteItemsRequest t) {
            int n = t.transactItems().size();
            int at = (int) (Math.abs((long) request.hashCode()) % n);
            List<CancellationReason> reasons = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                reasons.add(
                        i == at
                                ? CancellationReason.builder()
                                        .code("TransactionConflict")
                                        .message("Transaction is ongoing for the item")
                                        .build()
                                : CancellationReason.builder().code("None").build());
            }
            return TransactionCanceledException.builder()
                    .statusCode(400)
                    .awsErrorDetails(details("TransactionCanceledException", "DynamoDb"))
                    .cancellationReasons(reasons)
                    .message("Transaction cancelled, please refer cancellation reasons for specific reasons"
                            + " [TransactionConflict] (injected)")
                    .build();
        }
        return TransactionConflictException.builder()
                .statusCode(400)
                .awsErrorDetails(details("TransactionConflictException", "DynamoDb"))
                .message("Transaction is ongoing for the item (injected)")
                .build();
    }

    private static AwsServiceException serverError(boolean dynamo) {
        return (dynamo ? DynamoDbException.builder() : SqsException.builder())
                .statusCode(500)
                .awsErrorDetails(details("InternalServerError", dynamo ? "DynamoDb" : "Sqs"))
                .message("Internal server error (injected)")
                .build();
    }

    private static AwsErrorDetails details(String code, String service) {
        return AwsErrorDetails.builder()
                .errorCode(code)
                .errorMessage(code + " (injected)")
                .serviceName(service)
                .build();
    }

    /** Whether this attempt's answer is lost: drawn so, and the request was applied (a 2xx). */
    private static boolean loses(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        return Boolean.TRUE.equals(attributes.getAttribute(LOSE_ANSWER))
                && context.httpResponse().isSuccessful();
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        if (loses(context, attributes)) {
            injected.get(Kind.ANSWER_LOST).incrementAndGet();
            return context.httpResponse().toBuilder().statusCode(500).build();
        }
        return context.httpResponse();
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(
            Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        if (loses(context, attributes)) {
            return Optional.of(new ByteArrayInputStream(
                    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"answer lost (injected)\"}"
                            .getBytes(StandardCharsets.UTF_8)));
        }
        return context.responseBody();
    }
}
