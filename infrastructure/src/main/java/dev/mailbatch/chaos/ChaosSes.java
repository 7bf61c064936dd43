package dev.mailbatch.chaos;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sesv2.model.SendEmailRequest;
import software.amazon.awssdk.services.sesv2.model.TooManyRequestsException;

/**
 * SES's "slow down" for the chaos harness's SES run: a SendEmail refused before it is sent, as SES
 * answers when a sending rate is exceeded (HTTP 429 TooManyRequestsException), on the wire side of
 * the worker's real SDK client. At a seeded share of calls, and for every call while an outage is
 * on. Nothing refused was sent, so it never makes a duplicate.
 */
public final class ChaosSes implements ExecutionInterceptor {
    private final double rate;
    private final Random random;
    private final AtomicLong throttled = new AtomicLong();
    private volatile boolean outage;

    ChaosSes(double rate, long seed) {
        this.rate = rate;
        this.random = new Random(seed);
    }

    /** Every SendEmail refused while on: SES is down, or throttles everything. */
    void outage(boolean on) {
        outage = on;
    }

    /** SendEmail calls refused so far. */
    long throttled() {
        return throttled.get();
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if (!(context.request() instanceof SendEmailRequest)) {
            return;
        }
        boolean refuse;
        synchronized (random) {
            refuse = outage || random.nextDouble() < rate;
        }
        if (refuse) {
            throttled.incrementAndGet();
            throw TooManyRequestsException.builder()
                    .statusCode(429)
                    .awsErrorDetails(AwsErrorDetails.builder()
                            .errorCode("TooManyRequestsException")
                            .errorMessage("Too many requests (injected)")
                            .serviceName("SESv2")
                            .build())
                    .message("Too many requests (injected)")
                    .build();
        }
    }
}
