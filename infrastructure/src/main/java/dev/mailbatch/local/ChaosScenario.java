package dev.mailbatch.local;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the chaos harness inflicts.
 *
 * @param failureRate the share of provider calls the outbox fails transiently (503)
 * @param lossRate the share of emails the outbox accepts but whose answer it loses
 * @param duplicateRate the share of received messages put back on the queue a second time
 * @param kills how many times a worker dies mid-batch, spread over the fault points
 * @param cancels how many jobs are cancelled while they drain (DELETE at a random moment)
 * @param storeFaultRate the share of the functions' DynamoDB and SQS request attempts answered
 *     with an error (throttled, conflict, 500, or applied and the answer lost)
 * @param networkFaults how many times the network between the functions and the emulator fails
 *     for a moment (connections reset, stalled then closed, or refused), through Toxiproxy
 * @param processKills how many times the worker process, a second runner in its own JVM, is
 *     killed (SIGKILL) at a random moment and started again
 */
public record ChaosScenario(
        int jobs,
        int recipients,
        double failureRate,
        double lossRate,
        double duplicateRate,
        int kills,
        int cancels,
        double storeFaultRate,
        int networkFaults,
        int processKills,
        long seed,
        int maxDeliveries,
        Duration deadline) {

    public static ChaosScenario defaults() {
        return new ChaosScenario(
                200, 50, 0.30, 0.05, 0.05, 20, 20, 0.02, 20, 10, System.nanoTime(), 15, Duration.ofMinutes(20));
    }

    /** {@code --name=value} options over the defaults; an unknown or malformed one is an IllegalArgumentException. */
    static ChaosScenario parse(String[] args) {
        ChaosScenario d = defaults();
        Map<String, String> o = new LinkedHashMap<>();
        for (String arg : args) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("expected --name=value, got " + arg);
            }
            if (!OPTIONS.contains(kv[0])) {
                throw new IllegalArgumentException("unknown option --" + kv[0]);
            }
            o.put(kv[0], kv[1]);
        }
        return new ChaosScenario(
                Integer.parseInt(o.getOrDefault("jobs", "" + d.jobs())),
                Integer.parseInt(o.getOrDefault("recipients", "" + d.recipients())),
                Double.parseDouble(o.getOrDefault("failure-rate", "" + d.failureRate())),
                Double.parseDouble(o.getOrDefault("loss-rate", "" + d.lossRate())),
                Double.parseDouble(o.getOrDefault("duplicate-rate", "" + d.duplicateRate())),
                Integer.parseInt(o.getOrDefault("kills", "" + d.kills())),
                Integer.parseInt(o.getOrDefault("cancels", "" + d.cancels())),
                Double.parseDouble(o.getOrDefault("store-fault-rate", "" + d.storeFaultRate())),
                Integer.parseInt(o.getOrDefault("network-faults", "" + d.networkFaults())),
                Integer.parseInt(o.getOrDefault("process-kills", "" + d.processKills())),
                Long.parseLong(o.getOrDefault("seed", "" + d.seed())),
                Integer.parseInt(o.getOrDefault("max-deliveries", "" + d.maxDeliveries())),
                d.deadline());
    }

    private static final java.util.Set<String> OPTIONS = java.util.Set.of(
            "jobs",
            "recipients",
            "failure-rate",
            "loss-rate",
            "duplicate-rate",
            "kills",
            "cancels",
            "store-fault-rate",
            "network-faults",
            "process-kills",
            "seed",
            "max-deliveries");
}
