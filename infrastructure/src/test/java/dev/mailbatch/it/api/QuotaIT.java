package dev.mailbatch.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.lambda.LambdaEvents;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Per-owner quotas (OWASP API4): recipients per 24 hours and unfinished jobs at once. Over a
 * quota: 429 QUOTA_EXCEEDED with Retry-After, nothing stored, nothing queued; other owners are
 * not affected; concurrent submits never take more than the quota.
 */
@ExtendWith(BackendExtension.class)
class QuotaIT {
    private static TestStack stack(Backend backend, String recipientsPerDay, String openJobs) {
        return new TestStack(
                backend,
                Map.of(
                        "PROVIDER_URL",
                        "http://127.0.0.1:9/send",
                        "DEFAULT_FROM",
                        "news@mailbatch.example",
                        "QUOTA_RECIPIENTS_PER_DAY",
                        recipientsPerDay,
                        "QUOTA_OPEN_JOBS",
                        openJobs));
    }

    private static TestStack.Response submit(TestStack stack, String subject, int recipients) {
        String emails = String.join(
                ",",
                IntStream.range(0, recipients)
                        .mapToObj(i -> "\"" + subject + i + "@example.com\"")
                        .toList());
        String body = "{\"emails\":[" + emails + "],\"subject\":\"Hi\",\"text\":\"Hello\"}";
        return stack.submit(
                TestStack.postEvent(body), LambdaEvents.Caller.of(subject, "mailbatch/send", "mailbatch/read"));
    }

    @Test
    void overTheRecipientsQuotaA429StoresAndQueuesNothing(Backend backend) {
        TestStack stack = stack(backend, "10", "100");
        assertThat(submit(stack, "alice", 6).status()).isEqualTo(202);
        int items = stack.storedItems();
        int queued = queued(stack);

        TestStack.Response over = submit(stack, "alice", 5);
        assertThat(over.status()).isEqualTo(429);
        assertThat(over.body().path("error").path("code").asText()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(over.body()
                        .path("error")
                        .path("details")
                        .get(0)
                        .path("field")
                        .asText())
                .isEqualTo("emails");
        assertThat(Long.parseLong(over.headers().get("retry-after"))).isPositive();
        assertThat(stack.storedItems()).isEqualTo(items);
        assertThat(queued(stack)).isEqualTo(queued);

        assertThat(submit(stack, "alice", 4).status()).isEqualTo(202); // exactly up to the quota
        assertThat(submit(stack, "alice", 1).status()).isEqualTo(429);
        assertThat(submit(stack, "bob", 10).status())
                .as("another owner's quota")
                .isEqualTo(202);
    }

    @Test
    void overTheUnfinishedJobsQuotaA429UntilOneIsCancelled(Backend backend) {
        TestStack stack = stack(backend, "1000", "2");
        String first = submit(stack, "carol", 1).body().path("jobId").asText();
        assertThat(submit(stack, "carol", 1).status()).isEqualTo(202);
        int items = stack.storedItems();
        TestStack.Response over = submit(stack, "carol", 1);
        assertThat(over.status()).isEqualTo(429);
        assertThat(over.headers()).containsKey("retry-after");
        assertThat(stack.storedItems()).isEqualTo(items);

        assertThat(stack.delete("/emails/" + first, LambdaEvents.Caller.of("carol", "mailbatch/send"))
                        .status())
                .isEqualTo(202);
        assertThat(submit(stack, "carol", 1).status()).isEqualTo(202);
    }

    @Test
    void concurrentSubmitsNeverTakeMoreThanTheQuota(Backend backend) throws Exception {
        TestStack stack = stack(backend, "1000", "5");
        List<Integer> statuses = new ArrayList<>();
        try (ExecutorService callers = Executors.newFixedThreadPool(20)) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(callers.submit(() -> submit(stack, "dave", 1).status()));
            }
            for (Future<Integer> answer : answers) {
                statuses.add(answer.get());
            }
        }
        assertThat(statuses.stream().filter(s -> s == 202)).hasSize(5);
        assertThat(statuses.stream().filter(s -> s == 429)).hasSize(15);
    }

    /**
     * Regression: the owner's unfinished jobs were read in one BatchGetItem, which takes at most 100
     * keys; the 102nd unfinished job of one owner made every further submit a 503 (found by the
     * chaos run: one caller, 200 jobs at once).
     */
    @Test
    void anOwnerMayHaveMoreThanAHundredUnfinishedJobs(Backend backend) {
        TestStack stack = stack(backend, "100000", "150");
        for (int i = 0; i < 110; i++) {
            assertThat(submit(stack, "erin", 1).status()).as("submit %d", i + 1).isEqualTo(202);
        }
    }

    private static int queued(TestStack stack) {
        return Integer.parseInt(stack.sqs
                .getQueueAttributes(r -> r.queueUrl(stack.resources.queueUrl())
                        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                .attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }
}
