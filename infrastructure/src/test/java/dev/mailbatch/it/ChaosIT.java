package dev.mailbatch.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.local.Backend;
import dev.mailbatch.local.ChaosHarness;
import dev.mailbatch.local.ChaosReport;
import dev.mailbatch.local.ChaosScenario;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chaos harness's smaller scenario, in the test suite: the same faults as the default
 * (30 % transient provider failures, 5 % lost answers, 5 % of messages delivered twice), on
 * 30 jobs of 20 recipients with 8 worker kills, two at each kill point.
 */
@ExtendWith(BackendExtension.class)
class ChaosIT {

    @Test
    void nothingLostNothingSentTwiceEveryJobFinishedEveryCounterExact(Backend backend) throws Exception {
        Path root = Path.of(System.getProperty("mailbatch.root", ".."))
                .toAbsolutePath()
                .normalize();
        ChaosScenario scenario =
                new ChaosScenario(30, 20, 0.30, 0.05, 0.05, 8, 6, 20261125L, 15, Duration.ofMinutes(5));
        ChaosReport report = ChaosHarness.run(
                root,
                scenario,
                Map.of(
                        "AWS_ENDPOINT_URL",
                        backend.endpoint().toString(),
                        "STACK_NAME",
                        "chaos-" + UUID.randomUUID().toString().substring(0, 8)),
                System.out);
        System.out.print(report.table(scenario));

        assertThat(report.emails()).isEqualTo(600);
        assertThat(report.lost()).isZero();
        assertThat(report.duplicateDeliveries()).isZero();
        assertThat(report.nonTerminal()).isZero();
        assertThat(report.counterMismatches()).isZero();
        // every email delivered, but those a cancel stopped (at most the cancelled jobs' 20 each)
        assertThat(report.delivered())
                .isBetween(600 - report.failedRecipients() - 20L * report.cancelled(), 600 - report.failedRecipients());
        // The faults really happened: otherwise the zeros above prove nothing.
        assertThat(report.kills().values()).containsOnly(2);
        assertThat(report.transientFailures()).isPositive();
        assertThat(report.lostResponses()).isPositive();
        assertThat(report.duplicatesInjected()).isPositive();
        assertThat(report.cancelled()).as("jobs cancelled while they drained").isPositive();
        assertThat(report.states()).containsKey("CANCELLED");
        assertThat(report.repeatedKeys())
                .as("retries of emails whose answer was lost or not recorded")
                .isPositive();
        // What the functions logged through all of it (kills, retries, lost answers): no address, no token.
        String log = java.nio.file.Files.readString(root.resolve("infrastructure/target/local/functions.log"));
        assertThat(log).contains("jobId=");
        assertThat(log)
                .doesNotContainPattern("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")
                .doesNotContain("eyJ")
                .doesNotContainIgnoringCase("bearer");
    }
}
