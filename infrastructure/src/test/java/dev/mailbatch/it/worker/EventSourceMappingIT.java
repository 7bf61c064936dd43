package dev.mailbatch.it.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.eventsource.EventSourceMapping;
import dev.mailbatch.local.eventsource.SqsEventSource;
import dev.mailbatch.local.lambda.LocalContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The event source mapping's emulation on a real queue: concurrency, batching window, timeouts. */
@ExtendWith(BackendExtension.class)
class EventSourceMappingIT {
    private record Queue(String url, String arn) {}

    private static Queue queue(SqsClient sqs, int messages) {
        String url = sqs.createQueue(
                        r -> r.queueName("esm-" + UUID.randomUUID().toString().substring(0, 8))
                                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "60")))
                .queueUrl();
        for (int i = 0; i < messages; i++) {
            String body = "m" + i;
            sqs.sendMessage(r -> r.queueUrl(url).messageBody(body));
        }
        String arn = sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes()
                .get(QueueAttributeName.QUEUE_ARN);
        return new Queue(url, arn);
    }

    private static SqsEventSource source(
            SqsClient sqs,
            Queue q,
            int batchSize,
            Duration timeout,
            RequestHandler<SQSEvent, SQSBatchResponse> handler) {
        return new SqsEventSource(
                sqs,
                q.url(),
                q.arn(),
                batchSize,
                timeout,
                true,
                handler,
                () -> new LocalContext("Test", (int) timeout.toSeconds(), LocalContext.LogSink.STDOUT));
    }

    @Test
    void invocationsRunConcurrentlyUpToMaximumConcurrencyAndEveryMessageIsHandledOnce(Backend backend)
            throws InterruptedException {
        SqsClient sqs = backend.sqs();
        Queue q = queue(sqs, 40);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        CountDownLatch handled = new CountDownLatch(40);
        RequestHandler<SQSEvent, SQSBatchResponse> slow = (event, context) -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            event.getRecords().forEach(r -> {
                seen.add(r.getBody());
                deliveries.incrementAndGet();
                handled.countDown();
            });
            running.decrementAndGet();
            return SQSBatchResponse.builder().withBatchItemFailures(List.of()).build();
        };
        List<SqsEventSource> environments = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            environments.add(source(sqs, q, 2, Duration.ofSeconds(10), slow));
        }
        try (EventSourceMapping mapping = new EventSourceMapping(environments, Duration.ZERO, line -> {})) {
            mapping.start();
            assertThat(handled.await(60, TimeUnit.SECONDS))
                    .as("40 messages handled within 60 s")
                    .isTrue();
        }
        assertThat(seen).hasSize(40);
        assertThat(deliveries.get()).isEqualTo(40);
        assertThat(peak.get()).isBetween(2, 3);
    }

    @Test
    void aBatchingWindowGathersAFullBatchFromMessagesThatArriveApart(Backend backend) {
        SqsClient sqs = backend.sqs();
        Queue q = queue(sqs, 1);
        SqsEventSource source = source(sqs, q, 3, Duration.ofSeconds(10), (e, c) -> null);
        Thread late = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                return;
            }
            sqs.sendMessage(r -> r.queueUrl(q.url()).messageBody("late-1"));
            sqs.sendMessage(r -> r.queueUrl(q.url()).messageBody("late-2"));
        });
        assertThat(source.receive(Duration.ofSeconds(1), Duration.ofSeconds(3))).hasSize(3);
        late.interrupt();
    }

    @Test
    void withoutAWindowTheBatchIsWhatIsThere(Backend backend) {
        SqsClient sqs = backend.sqs();
        Queue q = queue(sqs, 1);
        SqsEventSource source = source(sqs, q, 3, Duration.ofSeconds(10), (e, c) -> null);
        assertThat(source.receive(Duration.ofSeconds(1), Duration.ZERO)).hasSize(1);
    }

    @Test
    void anInvocationOverTheTimeoutFailsItsWholeBatchAndDeletesNothing(Backend backend) {
        SqsClient sqs = backend.sqs();
        Queue q = queue(sqs, 2);
        SqsEventSource source = source(sqs, q, 10, Duration.ofSeconds(1), (event, context) -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        SqsEventSource.Batch batch = source.invoke(source.receive(Duration.ofSeconds(1)));
        assertThat(batch.fault()).isEqualTo("timed out after 1 s");
        assertThat(batch.failedIds()).hasSize(2);
        source.settle(batch);
        assertThat(source.backlog()).isEqualTo(2);
    }
}
