package dev.mailbatch.it;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;

/**
 * Faults between a function and DynamoDB, on the wire side of the SDK (the SDK itself is real):
 * a write refused as in conflict with a transaction before it is sent, or a write that lands and
 * whose answer is lost (every attempt answered 500, so the SDK gives up after the write applied).
 */
public final class StoreFaults implements ExecutionInterceptor {
    private final Predicate<SdkRequest> which;
    private final int conflicts;
    private final boolean loseAnswers;
    private final AtomicInteger conflicted = new AtomicInteger();
    private final AtomicInteger lost = new AtomicInteger();

    private StoreFaults(Predicate<SdkRequest> which, int conflicts, boolean loseAnswers) {
        this.which = which;
        this.conflicts = conflicts;
        this.loseAnswers = loseAnswers;
    }

    /** The first {@code times} matching requests are refused with TransactionConflictException. */
    public static StoreFaults conflicts(Predicate<SdkRequest> which, int times) {
        return new StoreFaults(which, times, false);
    }

    /** Every matching request is applied, and its answer replaced by a 500. */
    public static StoreFaults answersLost(Predicate<SdkRequest> which) {
        return new StoreFaults(which, 0, true);
    }

    /** Conflicts injected so far. */
    public int conflicted() {
        return Math.min(conflicted.get(), conflicts);
    }

    public int lost() {
        return lost.get();
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (which.test(context.request()) && conflicted.incrementAndGet() <= conflicts) {
            throw TransactionConflictException.builder()
                    .message("Transaction is ongoing for the item (injected)")
                    .build();
        }
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        if (loseAnswers && which.test(context.request())) {
            lost.incrementAndGet();
            return context.httpResponse().toBuilder().statusCode(500).build();
        }
        return context.httpResponse();
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(
            Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        if (loseAnswers && which.test(context.request())) {
            return Optional.of(new ByteArrayInputStream(
                    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"lost (injected)\"}"
                            .getBytes(StandardCharsets.UTF_8)));
        }
        return context.responseBody();
    }
}
