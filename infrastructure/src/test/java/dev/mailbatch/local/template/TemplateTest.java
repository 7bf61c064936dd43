package dev.mailbatch.local.template;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.local.apigateway.ApiRoutes;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.lambda.LocalContext;
import dev.mailbatch.local.lambda.LocalFunctions;
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
            .bind("ApiAccessLogGroup.Arn", "arn:logs:access")
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
    void everyFunctionRunsOnSnapStartBehindAPublishedAlias() {
        Map<String, Object> globals = template.globals("Function");
        assertThat(Template.map(globals.get("SnapStart"))).containsEntry("ApplyOn", "PublishedVersions");
        assertThat(globals.get("AutoPublishAlias"))
                .as("SnapStart applies to published versions only: events must invoke one")
                .isEqualTo("live");
    }

    /** Issue 24, item 9: SnapStart for Java is not offered in every region; a parameter turns it off. */
    @Test
    void snapStartCanBeTurnedOffWhereARegionLacksIt() {
        Template off = withParameters(Map.of("SnapStart", "None"));
        assertThat(Template.map(off.globals("Function").get("SnapStart"))).containsEntry("ApplyOn", "None");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> withParameters(Map.of("SnapStart", "Off")).check()))
                .hasMessageContaining("SnapStart");
    }

    /**
     * Issue 24, item 6: 3 x ApiReservedConcurrency (10) + the worker's reservation needs an account
     * quota of 100 + that sum; new accounts have 10 or 50, so the default stack did not deploy
     * there. Reservations are opt-in now, 0 by default.
     */
    @Test
    void concurrencyReservationsAreOptIn() {
        for (String fn : FUNCTIONS) {
            assertThat(template.properties(fn)).as(fn).doesNotContainKey("ReservedConcurrentExecutions");
        }
        Template reserving = withParameters(Map.of("ApiReservedConcurrency", "10", "WorkerReservedConcurrency", "5"));
        assertThat(reserving.properties("SubmitBatchFunction")).containsEntry("ReservedConcurrentExecutions", "10");
        assertThat(reserving.properties("SendEmailsFunction")).containsEntry("ReservedConcurrentExecutions", "5");
        assertThat(String.valueOf(Template.map(template.section("Parameters").get("ApiReservedConcurrency"))
                        .get("Description")))
                .as("the arithmetic is in the parameter's description")
                .contains("100 + 3 x ApiReservedConcurrency + WorkerReservedConcurrency");
    }

    /**
     * Issue 24, item 7: Lambda refuses an SQS event source mapping with a batch over 10 and no
     * batching window; the template let it through to a failed deploy. Its Rules refuse it now.
     */
    @Test
    void aBatchOverTenNeedsABatchingWindow() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> withParameters(Map.of("WorkerBatchSize", "20", "WorkerBatchWindowSeconds", "0"))
                                .check()))
                .hasMessageContaining("WorkerBatchSize above 10 needs WorkerBatchWindowSeconds of at least 1");
        withParameters(Map.of("WorkerBatchSize", "20", "WorkerBatchWindowSeconds", "1"))
                .check();
        withParameters(Map.of("WorkerBatchSize", "10", "WorkerBatchWindowSeconds", "0"))
                .check();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> withParameters(Map.of("WorkerBatchSize", "101")).check()))
                .hasMessageContaining("WorkerBatchSize");
    }

    /**
     * Issue 24, item 3: SES's IAM condition was built from DefaultFrom and AllowedFrom as written,
     * while the functions trim and lower-case addresses: "News@Example.com" or a space after a comma
     * made every send AccessDenied. The senders must be written as the functions compare them, and
     * the condition ignores case.
     */
    @Test
    void sendersAreWrittenAsTheFunctionsCompareThem() {
        for (Map<String, String> refused : List.of(
                Map.of("DefaultFrom", "News@Example.com"),
                Map.of("AllowedFrom", "a@example.com, b@example.com"),
                Map.of("AllowedFrom", "a@example.com,B@Example.com"),
                Map.of("AllowedFrom", "a@example.com,"))) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(
                            () -> withParameters(refused).check()))
                    .as(refused.toString())
                    .isInstanceOf(IllegalArgumentException.class);
        }
        withParameters(Map.of("DefaultFrom", "news@example.com", "AllowedFrom", "a@example.com,b@example.org"))
                .check();
        Template ses = withParameters(
                        Map.of("SenderType", "ses", "DefaultFrom", "news@example.com", "AllowedFrom", "a@example.com"))
                .bind("JobsTable.Arn", "arn:t")
                .bind("WorkQueue.Arn", "arn:q");
        String policies = String.valueOf(ses.property("SendEmailsFunction", "Policies"));
        assertThat(policies)
                .contains("ForAllValues:StringEqualsIgnoreCase")
                .contains("ses:FromAddress=[news@example.com, a@example.com]");
    }

    /** Issue 24, item 10: the jobs are the product's data; a deleted stack, or a replacement, keeps them. */
    @Test
    void theJobsTableOutlivesTheStack() {
        Map<String, Object> table = Template.map(template.resources().get("JobsTable"));
        assertThat(table).containsEntry("DeletionPolicy", "Retain").containsEntry("UpdateReplacePolicy", "Retain");
        assertThat(template.properties("JobsTable")).containsEntry("DeletionProtectionEnabled", true);
    }

    /**
     * Issue 24, item 12: Lambda counts a line without a level as INFO, so a higher application log
     * level would drop the metrics (EMF) lines. The functions filter their own lines (LOG_LEVEL) and
     * Lambda's level stays at TRACE.
     */
    @Test
    void theLogLevelIsTheFunctionsOwnAndLambdaDropsNoMetrics() {
        Map<String, Object> logging = Template.map(template.globals("Function").get("LoggingConfig"));
        assertThat(logging).containsEntry("LogFormat", "JSON").containsEntry("ApplicationLogLevel", "TRACE");
        for (String fn : FUNCTIONS) {
            assertThat(template.environment(fn)).as(fn).containsEntry("LOG_LEVEL", "INFO");
            assertThat(Template.map(template.property(fn, "LoggingConfig")))
                    .as(fn + " sets no level of its own over the Globals'")
                    .doesNotContainKey("ApplicationLogLevel");
        }
        assertThat(withParameters(Map.of("LogLevel", "ERROR")).environment("SendEmailsFunction"))
                .containsEntry("LOG_LEVEL", "ERROR");
    }

    private static final List<String> FUNCTIONS =
            List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction");

    /** The template with parameters over its defaults, the resources bound as above. */
    private static Template withParameters(Map<String, String> parameters) {
        Map<String, String> all = new HashMap<>(Map.of("JwtIssuer", "https://issuer.example"));
        all.putAll(parameters);
        return Template.read(Path.of(System.getProperty("mailbatch.root", "..")).resolve("template.yaml"), all)
                .bind("WorkQueue", "q")
                .bind("WorkQueue.Arn", "arn:q")
                .bind("DeadLetterQueue.Arn", "arn:dlq")
                .bind("JobsTable", "t")
                .bind("JobsTable.Arn", "arn:t")
                .bind("Api", "api")
                .bind("SubmitBatchLogGroup", "SubmitBatchLogGroup")
                .bind("JobStatusLogGroup", "JobStatusLogGroup")
                .bind("SendEmailsLogGroup", "SendEmailsLogGroup")
                .bind("ApiAccessLogGroup.Arn", "arn:logs:access")
                .bind("CancelJobLogGroup", "CancelJobLogGroup");
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
        Template withCors = Template.read(
                        Path.of(System.getProperty("mailbatch.root", "..")).resolve("template.yaml"),
                        Map.of("CorsAllowOrigin", "https://page.test"))
                .bind("ApiAccessLogGroup.Arn", "arn:logs:access");
        assertThat(String.valueOf(withCors.properties("Api").get("CorsConfiguration")))
                .contains("https://page.test")
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
                    new LocalFunctions.LocalFunction(fn, handler, recording),
                    unreachable,
                    Faults.NONE,
                    LocalContext.LogSink.STDOUT);
            assertThat(read).as(fn).isEqualTo(new TreeSet<>(given.keySet()));
        }
        assertThat(template.environment("SendEmailsFunction")).containsKey("PROVIDER_TOKEN_PARAMETER");
        for (String api : List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction")) {
            assertThat(template.environment(api)).as(api).doesNotContainKey("PROVIDER_TOKEN_PARAMETER");
        }
    }

    @Test
    void everyRouteNeedsATokenOfTheConfiguredIssuerWithItsScope() {
        Template t = Template.read(
                        Path.of(System.getProperty("mailbatch.root", "..")).resolve("template.yaml"),
                        Map.of("JwtIssuer", "https://issuer.test", "CorsAllowOrigin", "https://page.test"))
                .bind("WorkQueue", "q")
                .bind("JobsTable", "t");
        ApiRoutes routes = ApiRoutes.from(t);
        assertThat(routes.jwt()).hasValue(new ApiRoutes.JwtAuth("https://issuer.test", List.of("mailbatch")));
        Map<String, List<String>> scopes = new java.util.TreeMap<>();
        routes.routes().forEach(r -> {
            assertThat(r.authorized()).as(r.key()).isTrue();
            scopes.put(r.key(), r.scopes());
        });
        assertThat(scopes)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "POST /emails", List.of("mailbatch/send"),
                        "DELETE /emails/{jobId}", List.of("mailbatch/send"),
                        "GET /emails/{jobId}", List.of("mailbatch/read"),
                        "GET /emails/{jobId}/recipients", List.of("mailbatch/read")));
        assertThat(template.parameter("JwtIssuer"))
                .as("no default issuer: a deploy must name one")
                .isEqualTo("");
        assertThat(String.valueOf(template.section("Parameters").get("JwtIssuer")))
                .contains("^https://");
        assertThat(routes.cors().allowHeaders()).contains("authorization");
    }

    @Test
    void noSecretIsInAnEnvironmentVariableOrAParameter() {
        for (String fn :
                List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction")) {
            assertThat(template.environment(fn).keySet())
                    .as(fn)
                    .allSatisfy(name -> assertThat(name.matches(".*(TOKEN|SECRET|PASSWORD|KEY)$"))
                            .as(name + " names a secret's value (only a *_PARAMETER name may point at one)")
                            .isFalse());
        }
        assertThat(template.section("Parameters").values())
                .allSatisfy(p -> assertThat(Template.map(p)).doesNotContainKey("NoEcho"));
        // The worker may read the token's parameter (when one is named), and only it.
        assertThat(String.valueOf(template.property("SendEmailsFunction", "Policies")))
                .doesNotContain("ssm:");
        Template named = Template.read(
                        Path.of(System.getProperty("mailbatch.root", "..")).resolve("template.yaml"),
                        Map.of("ProviderTokenParameter", "/mailbatch/provider-token"))
                .bind("JobsTable.Arn", "arn:t")
                .bind("WorkQueue.Arn", "arn:q")
                .bind("AWS::Partition", "aws")
                .bind("AWS::Region", "us-east-1")
                .bind("AWS::AccountId", "000000000000");
        assertThat(String.valueOf(named.property("SendEmailsFunction", "Policies")))
                .contains("ssm:GetParameter")
                .contains("parameter/mailbatch/provider-token");
        for (String api : List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction")) {
            assertThat(String.valueOf(template.property(api, "Policies")))
                    .as(api)
                    .doesNotContain("ssm:");
        }
    }

    /** The template's security promises, each a check that fails when the template breaks it. */
    @Test
    void theTemplateIsSecureByDefault() {
        // an authorizer on the API, and CORS for one named origin only, none by default
        assertThat(Template.map(template.properties("Api").get("Auth"))).containsKey("DefaultAuthorizer");
        assertThat(template.parameter("CorsAllowOrigin")).isEqualTo("");
        assertThat(template.properties("Api").get("CorsConfiguration")).isNull(); // resolved to AWS::NoValue
        String corsPattern =
                String.valueOf(Template.map(template.section("Parameters").get("CorsAllowOrigin"))
                        .get("AllowedPattern"));
        assertThat("*").doesNotMatch(corsPattern);
        assertThat("https://mail.example.com").matches(corsPattern);
        // every queue encrypted, and reachable over TLS only
        List<Object> tlsOnly = new ArrayList<>();
        template.resources().forEach((id, r) -> {
            if ("AWS::SQS::QueuePolicy".equals(Template.map(r).get("Type"))) {
                String doc = String.valueOf(
                        Template.map(Template.map(r).get("Properties")).get("PolicyDocument"));
                if (doc.contains("Deny") && doc.contains("aws:SecureTransport")) {
                    tlsOnly.addAll((List<?>)
                            Template.map(Template.map(r).get("Properties")).get("Queues"));
                }
            }
        });
        template.resources().forEach((id, r) -> {
            if ("AWS::SQS::Queue".equals(Template.map(r).get("Type"))) {
                assertThat(template.properties(id)).as(id).containsEntry("SqsManagedSseEnabled", true);
                assertThat(tlsOnly).as(id + " has a TLS-only policy").contains(Map.of("Ref", id));
            }
        });
        // no * action or resource
        for (String fn :
                List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction")) {
            for (Object policy : (List<?>) template.property(fn, "Policies")) {
                for (Object statement : (List<?>) Template.map(policy).get("Statement")) {
                    Map<String, Object> st = Template.map(statement);
                    List<Object> actions =
                            st.get("Action") instanceof List<?> l ? List.copyOf(l) : List.of(st.get("Action"));
                    List<Object> resources =
                            st.get("Resource") instanceof List<?> l ? List.copyOf(l) : List.of(st.get("Resource"));
                    assertThat(actions)
                            .as(fn)
                            .noneMatch(a -> String.valueOf(a).equals("*")
                                    || String.valueOf(a).endsWith(":*"));
                    assertThat(resources)
                            .as(fn)
                            .noneMatch(r -> String.valueOf(r).equals("*"));
                }
            }
        }
        // retries and redrive that can not be configured away
        int minDeliveries = integer(Template.map(template.section("Parameters").get("MaxDeliveries"))
                .get("MinValue"));
        assertThat(minDeliveries).isGreaterThanOrEqualTo(5);
        // the API's access log: JSON with who called what
        String format = String.valueOf(Template.map(template.properties("Api").get("AccessLogSettings"))
                .get("Format"));
        assertThat(format).contains("$context.requestId", "sourceIp", "routeKey", "status", "authorizer.claims.sub");
        assertThat(template.properties("ApiAccessLogGroup")).containsKey("RetentionInDays");
    }

    /** Regression (issue 11): a chunk can not outlive the queue before its last deliveries. */
    @Test
    void everyChunkReachesItsLastDeliveryBeforeTheQueueDropsIt() {
        Map<String, Object> parameters = template.section("Parameters");
        long deliveries = integer(Template.map(parameters.get("MaxDeliveries")).get("MaxValue"));
        long retryMax = integer(Template.map(parameters.get("RetryMaxSeconds")).get("MaxValue"));
        long retention = integer(template.property("WorkQueue", "MessageRetentionPeriod"));
        assertThat(deliveries * retryMax)
                .isLessThanOrEqualTo(dev.mailbatch.config.WorkerConfig.MAX_RETRYING.toSeconds());
        assertThat(dev.mailbatch.config.WorkerConfig.MAX_RETRYING.toSeconds()).isLessThan(retention);
    }
}
