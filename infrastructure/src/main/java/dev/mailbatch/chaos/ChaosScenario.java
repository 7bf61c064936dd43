package dev.mailbatch.chaos;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the chaos harness inflicts.
 *
 * @param failureRate the share of provider calls that fail transiently: the outbox's 503s, or SES's
 *     throttling (refused before it is sent)
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
 * @param outages how many times the provider is down for a moment (every send refused: the outbox
 *     answers 503, SES throttles), each time with a job cancelled while it lasts
 * @param redrives how many times messages that were delivered before are moved to the dead-letter
 *     queue mid-run (as after their last delivery) and redriven back, their receive count new
 * @param sender the worker's sender: HTTP (the outbox, which honours Idempotency-Key) or SES (moto's
 *     SES v2, which has no idempotency key)
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
        Duration deadline,
        int outages,
        int redrives,
        Sender sender) {

    /** The worker's sender in a run. */
    public enum Sender {
        HTTP,
        SES
    }

    /** An HTTP scenario with no outages and no redrives. */
    public ChaosScenario(
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
        this(
                jobs,
                recipients,
                failureRate,
                lossRate,
                duplicateRate,
                kills,
                cancels,
                storeFaultRate,
                networkFaults,
                processKills,
                seed,
                maxDeliveries,
                deadline,
                0,
                0,
                Sender.HTTP);
    }

    public ChaosScenario {
        if (sender == Sender.SES && (lossRate > 0 || networkFaults > 0 || processKills > 0)) {
            // SES has no idempotency key: an email it accepted and nobody recorded (a lost answer, a
            // network cut before the record, a process killed after a send) is sent again:
            // docs/design.md, "Delivery guarantees". Its run has the faults that must never make a duplicate; its
            // failure rate is the share of sends SES refuses (throttles), which sends nothing.
            throw new IllegalArgumentException("an SES run has no lost answers, network faults or process kills");
        }
    }

    public static ChaosScenario defaults() {
        return new ChaosScenario(
                200,
                50,
                0.30,
                0.05,
                0.05,
                20,
                20,
                0.02,
                20,
                10,
                System.nanoTime(),
                15,
                Duration.ofMinutes(20),
                4,
                4,
                Sender.HTTP);
    }

    /**
     * The SES run of the default chaos command: messages delivered twice at once (two deliveries
     * sending one chunk), workers dying where no email is left unrecorded, cancels, SES outages
     * with cancels in them, store faults, redrives.
     */
    public static ChaosScenario sesDefaults(long seed) {
        return new ChaosScenario(
                60, 50, 0.10, 0, 0.10, 10, 6, 0.02, 0, 0, seed, 15, Duration.ofMinutes(15), 3, 3, Sender.SES);
    }

    /**
     * Where the worker is killed: everywhere with a sender that honours Idempotency-Key; with SES
     * only where no sent email is left unrecorded (before it sends, after it recorded).
     */
    public java.util.List<String> killPoints() {
        return sender == Sender.SES
                ? java.util.List.of(dev.mailbatch.worker.Faults.BEFORE_SEND, dev.mailbatch.worker.Faults.AFTER_RECORD)
                : ChaosInjector.KILL_POINTS;
    }

    /**
     * The runs a command line asks for: {@code --sender=http} or {@code --sender=ses} one run, its
     * options over that sender's defaults; without it, the HTTP run (the options are its) and then
     * the SES run with its defaults.
     */
    static java.util.List<ChaosScenario> runs(String[] args) {
        java.util.List<String> rest = new java.util.ArrayList<>();
        String sender = null;
        for (String arg : args) {
            if (arg.startsWith("--sender=")) {
                sender = arg.substring("--sender=".length());
            } else {
                rest.add(arg);
            }
        }
        String[] options = rest.toArray(String[]::new);
        return switch (sender == null ? "both" : sender) {
            case "both" -> {
                ChaosScenario http = parse(options, defaults());
                yield java.util.List.of(http, sesDefaults(http.seed() + 1));
            }
            case "http" -> java.util.List.of(parse(options, defaults()));
            case "ses" -> java.util.List.of(parse(options, sesDefaults(System.nanoTime())));
            default -> throw new IllegalArgumentException("--sender must be http or ses");
        };
    }

    /** {@code --name=value} options over the defaults; an unknown or malformed one is an IllegalArgumentException. */
    static ChaosScenario parse(String[] args) {
        return parse(args, defaults());
    }

    private static ChaosScenario parse(String[] args, ChaosScenario d) {
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
        int jobs = Integer.parseInt(o.getOrDefault("jobs", "" + d.jobs()));
        int outages = Integer.parseInt(o.getOrDefault("outages", "" + d.outages()));
        // the default cancels leave three jobs in four running, so the outages find some to cancel
        int cancels = Integer.parseInt(o.getOrDefault("cancels", "" + Math.min(d.cancels(), jobs / 4)));
        if (outages > 0 && cancels >= jobs) {
            throw new IllegalArgumentException("--cancels=" + cancels + " cancels every one of the " + jobs
                    + " jobs: leave some running for the outages to cancel (or --outages=0)");
        }
        return new ChaosScenario(
                jobs,
                Integer.parseInt(o.getOrDefault("recipients", "" + d.recipients())),
                Double.parseDouble(o.getOrDefault("failure-rate", "" + d.failureRate())),
                Double.parseDouble(o.getOrDefault("loss-rate", "" + d.lossRate())),
                Double.parseDouble(o.getOrDefault("duplicate-rate", "" + d.duplicateRate())),
                Integer.parseInt(o.getOrDefault("kills", "" + d.kills())),
                cancels,
                Double.parseDouble(o.getOrDefault("store-fault-rate", "" + d.storeFaultRate())),
                Integer.parseInt(o.getOrDefault("network-faults", "" + d.networkFaults())),
                Integer.parseInt(o.getOrDefault("process-kills", "" + d.processKills())),
                Long.parseLong(o.getOrDefault("seed", "" + d.seed())),
                Integer.parseInt(o.getOrDefault("max-deliveries", "" + d.maxDeliveries())),
                d.deadline(),
                outages,
                Integer.parseInt(o.getOrDefault("redrives", "" + d.redrives())),
                d.sender());
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
            "max-deliveries",
            "outages",
            "redrives");
}
