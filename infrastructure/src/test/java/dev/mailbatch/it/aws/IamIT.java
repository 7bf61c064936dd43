package dev.mailbatch.it.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.iam.IamLedger;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every AWS call the functions made in the integration tests, judged by each function's own policy
 * in template.yaml (issue 24, item 1). Each function ran under a role made from its policy (moto
 * enforces the actions, and the SQS queues' ARNs), and each call passed through an {@code IamCheck}
 * of that policy (AWS's actions, every resource, the conditions). This class runs after all
 * others ({@code junit-platform.properties}) and reads what they did: no call refused, and which
 * permissions no code path used.
 */
@ExtendWith(BackendExtension.class)
@Order(Integer.MAX_VALUE)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IamIT {

    /**
     * Regression (issue 24, item 1): SubmitBatch's policy had no dynamodb:BatchGetItem, but a
     * submit reads the caller's open jobs with BatchGetItem (UsageStore.stillOpen). On AWS every
     * caller's second submit while a job was open got AccessDenied, answered 503.
     */
    @Test
    @Order(1)
    void aCallersSecondSubmitWhileAJobIsOpenIsAllowedByItsRole(Backend backend) {
        TestStack stack = new TestStack(
                backend, Map.of("PROVIDER_URL", "http://127.0.0.1:9/send", "DEFAULT_FROM", "news@mailbatch.example"));
        String body = "{\"emails\":[\"a@example.com\"],\"subject\":\"s\",\"text\":\"t\"}";
        assertThat(stack.postJson(body).status()).isEqualTo(202);
        TestStack.Response second = stack.postJson(body); // the first is still open: nothing drained it
        assertThat(second.status()).as(second.body().toString()).isEqualTo(202);
        assertThat(IamLedger.calls().get("SubmitBatchFunction")).contains("dynamodb:BatchGetItem");
    }

    @Test
    @Order(2)
    void noFunctionCallWasRefusedByItsRole() {
        assertThat(IamLedger.functions())
                .as("every function's calls were checked")
                .containsExactlyInAnyOrder(
                        "SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction");
        assertThat(IamLedger.refused())
                .as("calls a function's role in template.yaml does not allow")
                .isEmpty();
        System.out.println("IamIT: the calls each function made, all allowed by its role: " + IamLedger.calls());
    }

    /**
     * The permissions in template.yaml that no call of the integration tests used, each with the
     * reason it stays. A permission that is not here and not used fails this test: remove it, or
     * say here why it stays.
     */
    @Test
    @Order(3)
    void everyPermissionIsUsedOrHasAReason() {
        Map<String, Set<String>> unused = IamLedger.unused();
        System.out.println("IamIT: permissions no call used: " + unused);
        assertThat(unused).isEqualTo(EXPECTED_UNUSED);
    }

    /** Known unused permissions, and why each stays. */
    private static final Map<String, Set<String>> EXPECTED_UNUSED = Map.of(
            "SubmitBatchFunction", Set.of(),
            "JobStatusFunction", Set.of(),
            "CancelJobFunction", Set.of(),
            "SendEmailsFunction", Set.of());

    static final List<String> FUNCTIONS = TestStack.FUNCTIONS;
}
