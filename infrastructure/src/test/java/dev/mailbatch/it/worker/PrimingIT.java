package dev.mailbatch.it.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.api.CancelJobHandler;
import dev.mailbatch.api.JobStatusHandler;
import dev.mailbatch.api.SubmitBatchHandler;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.worker.SendEmailsHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.crac.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * SnapStart priming: each handler's {@code beforeCheckpoint}, as Lambda calls it before the
 * snapshot of a published version, runs through the handler and its DynamoDB client against the
 * real API, and stores, queues and sends nothing.
 */
@ExtendWith(BackendExtension.class)
class PrimingIT {
    /** Counts a client's DynamoDB calls that were answered. */
    private static final class Calls implements ExecutionInterceptor {
        final AtomicInteger answered = new AtomicInteger();

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            answered.incrementAndGet();
        }
    }

    @Test
    void eachHandlersPrimingReadsThroughItsClientAndWritesNothing(Backend backend) {
        Map<String, String> env = Map.of(
                "PROVIDER_URL", "http://127.0.0.1:9/send", // never called: the priming job does not exist
                "DEFAULT_FROM", "news@mailbatch.example");
        TestStack stack = new TestStack(backend, env);
        int before = stack.storedItems();
        Map<String, Calls> calls = new LinkedHashMap<>();
        Map<String, Resource> handlers = new LinkedHashMap<>();
        for (String function :
                new String[] {"SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction"}) {
            Calls counted = new Calls();
            calls.put(function, counted);
            var wiring = stack.wiringWithStoreFaults(function, env, counted);
            handlers.put(
                    function,
                    switch (function) {
                        case "SubmitBatchFunction" -> new SubmitBatchHandler(wiring);
                        case "JobStatusFunction" -> new JobStatusHandler(wiring);
                        case "CancelJobFunction" -> new CancelJobHandler(wiring);
                        default -> new SendEmailsHandler(wiring);
                    });
        }

        handlers.values().forEach(h -> {
            try {
                h.beforeCheckpoint(null);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        assertThat(calls)
                .allSatisfy((function, counted) -> assertThat(counted.answered.get())
                        .as(function + " primed its DynamoDB client")
                        .isPositive());
        assertThat(stack.storedItems()).as("nothing stored").isEqualTo(before);
        assertThat(stack.events.backlog()).as("nothing queued").isZero();
    }

    /**
     * Issue 24, item 8: a failure in priming (here every DynamoDB call refused, as when the table is
     * not reachable yet or throttles) failed SubmitBatch's beforeCheckpoint, which fails the
     * snapshot and so the deploy. Priming is only an optimisation: each handler's
     * beforeCheckpoint now logs the failure and returns.
     */
    @Test
    void aPrimingThatFailsNeverFailsTheSnapshot(Backend backend) {
        Map<String, String> env =
                Map.of("PROVIDER_URL", "http://127.0.0.1:9/send", "DEFAULT_FROM", "news@mailbatch.example");
        TestStack stack = new TestStack(backend, env);
        ExecutionInterceptor refused = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                throw software.amazon.awssdk.core.exception.SdkClientException.create(
                        "the table is not reachable (injected)");
            }
        };
        java.util.List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (String function :
                new String[] {"SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction"}) {
            var plain = stack.wiringWithStoreFaults(function, env, refused);
            var wiring = new dev.mailbatch.config.Wiring(
                    plain.env(), plain.dynamo(), plain.sqs(), plain.ses(), plain.ssm(), plain.clock(), logged::add);
            Resource handler = switch (function) {
                case "SubmitBatchFunction" -> new SubmitBatchHandler(wiring);
                case "JobStatusFunction" -> new JobStatusHandler(wiring);
                case "CancelJobFunction" -> new CancelJobHandler(wiring);
                default -> new SendEmailsHandler(wiring);
            };
            org.assertj.core.api.Assertions.assertThatCode(() -> handler.beforeCheckpoint(null))
                    .as(function)
                    .doesNotThrowAnyException();
        }
        assertThat(logged)
                .as("SubmitBatch says its priming failed")
                .anySatisfy(line -> assertThat(line).contains("priming failed").contains("SubmitBatch"));
    }
}
