package dev.mailbatch.it.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.chaos.ChaosHarness;
import dev.mailbatch.chaos.ChaosReport;
import dev.mailbatch.chaos.ChaosScenario;
import dev.mailbatch.chaos.ChaosStore;
import dev.mailbatch.chaos.Toxiproxy;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.local.emulator.Backend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chaos harness's smaller scenarios, one per kind of fault, in the test suite. Each asserts
 * the four zeros (nothing lost, nothing delivered twice, every job finished, every counter
 * exact) and that its faults really happened: otherwise the zeros prove nothing.
 */
@ExtendWith(BackendExtension.class)
class ChaosIT {
    private static final Path ROOT =
            Path.of(System.getProperty("mailbatch.root", "..")).toAbsolutePath().normalize();

    /**
     * The provider failing and losing answers, messages delivered twice, workers dying at the worst
     * lines, cancels, the provider down with a job cancelled in the outage, and messages that were
     * delivered before moved to the dead-letter queue and redriven (issue 23).
     */
    @Test
    void workersDyingInsideTheirInvocation(Backend backend) throws Exception {
        ChaosScenario scenario = new ChaosScenario(
                30,
                20,
                0.30,
                0.05,
                0.05,
                8,
                6,
                0,
                0,
                0,
                20261125L,
                15,
                Duration.ofMinutes(5),
                2,
                2,
                ChaosScenario.Sender.HTTP);
        ChaosReport report = run(backend, scenario);

        assertThat(report.kills().values()).containsOnly(2);
        assertThat(report.transientFailures()).isPositive();
        assertThat(report.lostResponses()).isPositive();
        assertThat(report.duplicatesInjected()).isPositive();
        assertThat(report.cancelled()).as("jobs cancelled while they drained").isPositive();
        assertThat(report.states()).containsKey("CANCELLED");
        assertThat(report.repeatedKeys())
                .as("retries of emails whose answer was lost or not recorded")
                .isPositive();
    }

    /** Error answers from DynamoDB and SQS, and the network between the functions and the emulator failing. */
    @Test
    void storeFaultsAndNetworkFaults(Backend backend) throws Exception {
        ChaosScenario scenario =
                new ChaosScenario(20, 20, 0.10, 0.05, 0.0, 0, 3, 0.05, 6, 0, 20261126L, 15, Duration.ofMinutes(5));
        ChaosReport report = run(backend, scenario);

        assertThat(report.storeFaults().keySet()).containsExactlyInAnyOrder(ChaosStore.Kind.values());
        assertThat(report.storeFaults().values()).allMatch(n -> n > 0);
        assertThat(report.networkFaults())
                .isEqualTo(Map.of(Toxiproxy.Fault.RESET, 2, Toxiproxy.Fault.STALL, 2, Toxiproxy.Fault.DOWN, 2));
        assertThat(report.unanswered()).as("store calls the network faults cut").isPositive();
    }

    /** The worker process, a second runner in its own JVM, killed with SIGKILL and started again. */
    @Test
    void aWorkerProcessKilledAndStartedAgain(Backend backend) throws Exception {
        ChaosScenario scenario =
                new ChaosScenario(40, 20, 0.10, 0.05, 0.0, 0, 3, 0, 0, 3, 20261127L, 15, Duration.ofMinutes(5));
        ChaosReport report = run(backend, scenario);

        assertThat(report.processKills()).isEqualTo(3);
        assertThat(report.killsWhileSending()).as("kills as it delivered").isPositive();
        assertThat(report.processEmails())
                .as("emails the worker process delivered")
                .isPositive();
    }

    /**
     * SES, which has no idempotency key (issue 23): messages delivered twice at once, so that two
     * deliveries send one chunk; workers dying where no email is left unrecorded; SES throttling and
     * an SES outage with a job cancelled in it; store faults; redrives. No recipient gets two emails.
     */
    @Test
    void sesWithDuplicateDeliveriesAtOnce(Backend backend) throws Exception {
        ChaosScenario scenario = new ChaosScenario(
                24,
                20,
                0.10,
                0,
                0.20,
                4,
                3,
                0.02,
                0,
                0,
                20261202L,
                15,
                Duration.ofMinutes(5),
                2,
                2,
                ChaosScenario.Sender.SES);
        ChaosReport report = run(backend, scenario);

        assertThat(report.duplicatesInjected()).as("messages delivered twice").isPositive();
        assertThat(report.transientFailures()).as("SES throttling").isPositive();
    }

    private static ChaosReport run(Backend backend, ChaosScenario scenario) throws Exception {
        ChaosReport report = ChaosHarness.run(
                ROOT,
                scenario,
                Map.of(
                        "AWS_ENDPOINT_URL",
                        backend.endpoint().toString(),
                        "STACK_NAME",
                        "chaos-" + UUID.randomUUID().toString().substring(0, 8)),
                System.out);
        System.out.print(report.table(scenario));
        assertThat(report.faultsNotSeen(scenario))
                .as("every fault the scenario turns on happened at least once")
                .isEmpty();
        long emails = (long) scenario.jobs() * scenario.recipients();
        assertThat(report.emails()).isEqualTo(emails);
        assertThat(report.lost()).isZero();
        assertThat(report.duplicateDeliveries()).isZero();
        assertThat(report.nonTerminal()).isZero();
        assertThat(report.counterMismatches()).isZero();
        // every email delivered, but those a cancel stopped (at most all of a cancelled job's)
        long cancelledJobs = report.states().getOrDefault("CANCELLED", 0);
        assertThat(report.delivered())
                .isBetween(
                        emails - report.failedRecipients() - scenario.recipients() * cancelledJobs,
                        emails - report.failedRecipients());
        // What the functions logged through all of it, in every JVM: no address, no token.
        StringBuilder all = new StringBuilder();
        for (Path log : functionLogs()) {
            all.append(Files.readString(log));
        }
        assertThat(all.toString())
                .contains("\"jobId\":\"")
                .doesNotContainPattern("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")
                .doesNotContain("eyJ")
                .doesNotContainIgnoringCase("bearer");
        return report;
    }

    private static List<Path> functionLogs() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve("infrastructure/target/chaos"))) {
            return files.filter(p -> p.getFileName().toString().equals("functions.log"))
                    .toList();
        }
    }
}
