package dev.mailbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.worker.Faults;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** What template.yaml promises, read from the template itself. */
class TemplateTest {
    private final Template template = Template.read(
                    Path.of(System.getProperty("mailbatch.root", "..")).resolve("template.yaml"), Map.of())
            .bind("WorkQueue", "q")
            .bind("WorkQueue.Arn", "arn:q")
            .bind("DeadLetterQueue.Arn", "arn:dlq")
            .bind("JobsTable", "t")
            .bind("JobsTable.Arn", "arn:t")
            .bind("Api", "api")
            .bind("SubmitBatchLogGroup", "SubmitBatchLogGroup")
            .bind("JobStatusLogGroup", "JobStatusLogGroup")
            .bind("SendEmailsLogGroup", "SendEmailsLogGroup")
            .bind("CancelJobLogGroup", "CancelJobLogGroup");

    private int integer(Object value) {
        return Integer.parseInt(String.valueOf(value));
    }

    @Test
    void theQueueOutlivesTheWorkerAndRedrivesToAFourteenDayDeadLetterQueue() {
        int workerTimeout = integer(template.property("SendEmailsFunction", "Timeout"));
        assertThat(integer(template.property("WorkQueue", "VisibilityTimeout")))
                .isGreaterThanOrEqualTo(6 * workerTimeout);
        assertThat(integer(template.property("WorkQueue", "RedrivePolicy", "maxReceiveCount")))
                .isGreaterThanOrEqualTo(5);
        assertThat(template.property("WorkQueue", "RedrivePolicy", "deadLetterTargetArn"))
                .isEqualTo("arn:dlq");
        assertThat(integer(template.property("DeadLetterQueue", "MessageRetentionPeriod")))
                .isEqualTo(14 * 24 * 3600);
    }

    @Test
    void theWorkerReportsBatchItemFailuresWithParameterisedBatchingAndConcurrency() {
        Map<String, Object> work = Template.map(template.property("SendEmailsFunction", "Events", "Work"));
        assertThat(work.get("Type")).isEqualTo("SQS");
        Map<String, Object> p = Template.map(work.get("Properties"));
        assertThat(p.get("FunctionResponseTypes")).isEqualTo(List.of("ReportBatchItemFailures"));
        assertThat(template.parameter("WorkerBatchSize")).isEqualTo(p.get("BatchSize"));
        assertThat(template.parameter("WorkerBatchWindowSeconds")).isEqualTo(p.get("MaximumBatchingWindowInSeconds"));
        assertThat(Template.map(p.get("ScalingConfig")).get("MaximumConcurrency"))
                .isEqualTo(template.parameter("WorkerMaxConcurrency"));
    }

    @Test
    void theTableIsOnDemandEncryptedAndExpiresItems() {
        Map<String, Object> t = template.properties("JobsTable");
        assertThat(t.get("BillingMode")).isEqualTo("PAY_PER_REQUEST");
        assertThat(Template.map(t.get("SSESpecification")).get("SSEEnabled")).isEqualTo(true);
        assertThat(Template.map(t.get("TimeToLiveSpecification")))
                .containsEntry("AttributeName", "expiresAt")
                .containsEntry("Enabled", true);
    }

    @Test
    void theRoutesAreTheApisAndEachFunctionHasItsLogGroup() {
        List<String> routes = new ArrayList<>();
        for (String fn : List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction")) {
            Template.map(template.property(fn, "Events")).values().forEach(e -> {
                Map<String, Object> p = Template.map(Template.map(e).get("Properties"));
                routes.add(p.get("Method") + " " + p.get("Path"));
            });
        }
        assertThat(routes)
                .containsExactlyInAnyOrder(
                        "POST /emails",
                        "GET /emails/{jobId}",
                        "GET /emails/{jobId}/recipients",
                        "DELETE /emails/{jobId}");
        for (String fn :
                List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction")) {
            String group = String.valueOf(template.property(fn, "LoggingConfig", "LogGroup"));
            assertThat(template.resources()).containsKey(group);
        }
        assertThat(template.properties("SendEmailsLogGroup")).containsKey("RetentionInDays");
    }

    @Test
    void policiesAreLeastPrivilege() {
        for (String fn :
                List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction")) {
            String policies = String.valueOf(template.property(fn, "Policies"));
            assertThat(policies)
                    .as(fn)
                    .doesNotContain("FullAccess")
                    .doesNotContain("dynamodb:Scan")
                    .doesNotContain("dynamodb:*")
                    .doesNotContain("sqs:*")
                    .doesNotContain("Action=*");
        }
        assertThat(String.valueOf(template.property("SubmitBatchFunction", "Policies")))
                .doesNotContain("ses:");
        // Reading a job whose submit died abandons it: one conditional UpdateItem, nothing else written.
        assertThat(String.valueOf(template.property("JobStatusFunction", "Policies")))
                .doesNotContain("Put")
                .doesNotContain("Delete")
                .doesNotContain("Transact")
                .doesNotContain("sqs:");
        assertThat(String.valueOf(template.property("CancelJobFunction", "Policies")))
                .doesNotContain("Put")
                .doesNotContain("Delete")
                .doesNotContain("sqs:")
                .doesNotContain("ses:");
    }

    @Test
    void theWorkerKnowsHowManyDeliveriesTheQueueAllows() {
        Map<String, Object> redrive =
                Template.map(template.properties("WorkQueue").get("RedrivePolicy"));
        assertThat(String.valueOf(redrive.get("maxReceiveCount")))
                .isEqualTo(template.environment("SendEmailsFunction").get("MAX_DELIVERIES"));
        assertThat(String.valueOf(template.properties("Api").get("CorsConfiguration")))
                .contains("DELETE")
                .contains("idempotency-key")
                .contains("idempotent-replayed");
    }

    @Test
    void theOutputsNameTheApiQueueAndTable() {
        assertThat(template.section("Outputs")).containsKeys("ApiUrl", "QueueUrl", "DeadLetterQueueUrl", "TableName");
    }

    @Test
    void eachFunctionGetsExactlyTheVariablesItsConfigurationReads() {
        Backend unreachable = new Backend("none", URI.create("http://127.0.0.1:9"));
        for (String fn :
                List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction")) {
            Map<String, String> given = new HashMap<>(template.environment(fn));
            given.remove("JAVA_TOOL_OPTIONS"); // the JVM reads it, not the function
            given.computeIfPresent("PROVIDER_URL", (k, v) -> "https://provider.example/send"); // empty by default
            Set<String> read = new TreeSet<>();
            Map<String, String> recording = new HashMap<>(given) {
                @Override
                public String get(Object name) {
                    read.add(String.valueOf(name));
                    return super.get(name);
                }
            };
            String handler = String.valueOf(template.property(fn, "Handler")).split("::")[0];
            // Built as the local runner builds it: the handler's own factory, as Lambda's constructor calls it.
            LocalFunctions.instantiate(
                    new LocalFunctions.LocalFunction(fn, handler, recording), unreachable, Faults.NONE);
            assertThat(read).as(fn).isEqualTo(new TreeSet<>(given.keySet()));
        }
        assertThat(template.environment("SendEmailsFunction")).containsKey("PROVIDER_TOKEN");
        for (String api : List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction")) {
            assertThat(template.environment(api)).as(api).doesNotContainKey("PROVIDER_TOKEN");
        }
    }
}
