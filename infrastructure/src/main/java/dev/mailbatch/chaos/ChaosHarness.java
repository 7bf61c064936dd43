package dev.mailbatch.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The chaos harness: the whole local stack (moto, the real handlers, the outbox) under the
 * faults at-least-once delivery brings, then an audit of what reached the provider against what
 * the API reports. The faults: the outbox fails a share of calls transiently (503), accepts a
 * share of emails but loses the answer, and answers 409 to a key still in progress; a share of
 * the SQS messages the worker receives is delivered a second time; the worker is killed
 * mid-batch at the points where dying leaves the most half-done (after reading, after an email
 * reached the provider, between the sends and the record, between the record and the
 * acknowledgement); callers cancel jobs while they drain; DynamoDB and SQS answer a share of
 * the functions' calls with errors (throttled, conflict, 500, applied and the answer lost); the
 * network between the functions and the emulator fails for moments (Toxiproxy: resets, stalls,
 * refusals); and a second worker, in its own JVM, is killed with SIGKILL and started again.
 *
 * <p>{@code infrastructure/bin/chaos [--jobs=200] ... [--process-kills=10] [--seed=N]}; exits 0
 * only when the audit finds nothing lost, nothing delivered twice, every job finished and every
 * counter exact.
 *
 * <p>This class is the command line: the options ({@link ChaosScenario}), what it prints and its
 * exit code. A run is {@link ChaosRun}'s (the stack, the faults: {@link ChaosFaults},
 * {@link ChaosInjector}; the callers: {@link ChaosCallers}), the verdict {@link ChaosAudit}'s,
 * the table {@link ChaosReport}'s.
 */
public final class ChaosHarness {
    private ChaosHarness() {}

    /**
     * Runs the scenario on a fresh local stack and audits the result.
     *
     * @param extraEnv environment over the harness's own (AWS_ENDPOINT_URL to use a running emulator, STACK_NAME)
     */
    public static ChaosReport run(Path root, ChaosScenario s, Map<String, String> extraEnv, PrintStream console)
            throws IOException, InterruptedException {
        return ChaosRun.run(root, s, extraEnv, console);
    }

    /** {@code infrastructure/bin/chaos [--jobs=N] ...}: prints the table; exit 0 only if the audit is clean. */
    public static void main(String[] args) throws Exception {
        List<ChaosScenario> runs;
        try {
            runs = ChaosScenario.runs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage());
            System.err.println("usage: chaos [--sender=http|ses] [--jobs=200] [--recipients=50] [--failure-rate=0.3] "
                    + "[--loss-rate=0.05] [--duplicate-rate=0.05] [--kills=20] [--cancels=20, at most jobs/4] "
                    + "[--store-fault-rate=0.02] [--network-faults=20] [--process-kills=10] [--outages=4] "
                    + "[--redrives=4] [--seed=N] [--max-deliveries=15]");
            System.exit(2);
            return;
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        boolean passed = true;
        for (ChaosScenario scenario : runs) {
            passed &= runAndPrint(root, scenario);
        }
        if (runs.size() > 1) {
            System.out.println(passed ? "chaos: every run passed" : "chaos: a run failed");
        }
        System.exit(passed ? 0 : 1);
    }

    /** One run, its table printed; whether it passed. */
    private static boolean runAndPrint(Path root, ChaosScenario scenario) throws Exception {
        System.out.printf(
                "chaos: sender %s: the provider fails %.0f%% of calls (503, or SES throttling) and loses %.0f%% of answers; "
                        + "%.0f%% of messages delivered twice; %d worker kills; %d cancels;%n"
                        + "       %.0f%% of store calls answered with an error; %d network faults; "
                        + "%d worker process kills; %d outages; %d redrives%n",
                scenario.sender().name().toLowerCase(Locale.ROOT),
                scenario.failureRate() * 100,
                scenario.lossRate() * 100,
                scenario.duplicateRate() * 100,
                scenario.kills(),
                scenario.cancels(),
                scenario.storeFaultRate() * 100,
                scenario.networkFaults(),
                scenario.processKills(),
                scenario.outages(),
                scenario.redrives());
        ChaosReport report;
        try {
            report = run(root, scenario, Map.of(), System.out);
        } catch (RuntimeException e) {
            if (ChaosRun.stopping()) {
                System.err.println("chaos: stopped; the emulator, the proxy and the worker process are stopped too");
                return false; // the JVM is exiting already
            }
            throw e;
        }
        System.out.print(report.table(scenario));
        return report.passed(scenario);
    }
}
