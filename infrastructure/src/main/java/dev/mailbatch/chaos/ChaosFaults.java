package dev.mailbatch.chaos;

import dev.mailbatch.local.eventsource.Redrive;
import dev.mailbatch.local.outbox.Outbox;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The faults that come from outside the functions' JVM, on a schedule drawn from the seed: the
 * worker process killed with SIGKILL and started again, and the network between the functions
 * and the emulator failing for a moment (Toxiproxy). Each runs on its own thread while the jobs
 * drain; {@link #done} says when every scheduled fault has happened.
 */
public final class ChaosFaults implements AutoCloseable {
    /** How the worker process names itself to the outbox. */
    static final String VIA_PROCESS = "process";

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger processKills = new AtomicInteger();
    private final AtomicInteger killsWhileSending = new AtomicInteger();
    private final Map<Toxiproxy.Fault, AtomicInteger> network = new EnumMap<>(Toxiproxy.Fault.class);
    private final AtomicInteger outages = new AtomicInteger();
    private final AtomicInteger outageCancels = new AtomicInteger();
    private final AtomicInteger redriven = new AtomicInteger();
    private final AtomicInteger redrivenAfterDeliveries = new AtomicInteger();
    private final Outbox outbox;
    private Future<?> killing;
    private Future<?> flapping;
    private Future<?> failing;
    private Future<?> redriving;

    private ChaosFaults(Outbox outbox) {
        this.outbox = outbox;
        for (Toxiproxy.Fault f : Toxiproxy.Fault.values()) {
            network.put(f, new AtomicInteger());
        }
    }

    /**
     * What the outage and redrive schedules reach: the provider to take down (the outbox, or SES
     * through its fault interceptor), a way to cancel a job that has not finished (true if the API
     * cancelled one), and the queues.
     */
    record Reach(
            Outbox outbox,
            ChaosSes ses,
            java.util.function.BooleanSupplier cancelOne,
            Queues queues,
            ChaosInjector injector) {}

    /** The work queue and its dead-letter queue. */
    record Queues(software.amazon.awssdk.services.sqs.SqsClient sqs, String queueUrl, String dlqUrl) {}

    /** Starts the schedules: {@code worker} and {@code proxy} may be null (no such faults). */
    static ChaosFaults start(ChaosScenario s, WorkerProcess worker, Toxiproxy proxy, Reach reach) {
        ChaosFaults faults = new ChaosFaults(reach.outbox());
        if (worker != null) {
            faults.killing = faults.threads.submit(faults.killing(worker, s));
        }
        if (proxy != null) {
            faults.flapping = faults.threads.submit(faults.flapping(proxy, s));
        }
        if (s.outages() > 0) {
            faults.failing = faults.threads.submit(faults.outages(s, reach));
        }
        if (s.redrives() > 0) {
            faults.redriving = faults.threads.submit(faults.redrives(s, reach.queues(), reach.injector()));
        }
        return faults;
    }

    /**
     * Takes the provider down {@code s.outages()} times, 1 to 4 s apart, each time for 1.5 to 3 s
     * (every send refused: the outbox answers 503, SES throttles), and cancels a job that is still
     * running while it is down: what users do during an outage. An outage counts once a job was
     * cancelled in it; it goes on (up to 10 s) until one is.
     */
    private Callable<Void> outages(ChaosScenario s, Reach reach) {
        Random when = new Random(s.seed() + 6);
        return () -> {
            for (int n = 0; n < s.outages(); n++) {
                Thread.sleep(1000 + when.nextInt(3000));
                provider(reach, false, s);
                try {
                    long upAt = System.nanoTime() + (1500 + when.nextInt(1500)) * 1_000_000L;
                    long giveUp = System.nanoTime() + 10_000_000_000L;
                    boolean cancelledOne = false;
                    while (!cancelledOne && System.nanoTime() < giveUp) {
                        Thread.sleep(300);
                        cancelledOne = reach.cancelOne().getAsBoolean();
                    }
                    if (cancelledOne) {
                        outageCancels.incrementAndGet();
                    }
                    Thread.sleep(Math.max(0, (upAt - System.nanoTime()) / 1_000_000L));
                } finally {
                    provider(reach, true, s);
                }
                outages.incrementAndGet();
            }
            return null;
        };
    }

    private static void provider(Reach reach, boolean up, ChaosScenario s) {
        if (s.sender() == ChaosScenario.Sender.SES) {
            reach.ses().outage(!up);
        } else {
            reach.outbox()
                    .update(dev.mailbatch.config.Json.MAPPER
                            .createObjectNode()
                            .put("failureRate", up ? s.failureRate() : 1.0)
                            .put("failureStatus", 503));
        }
    }

    /**
     * {@code s.redrives()} times, 2 to 5 s apart: a message the worker was delivered again (its
     * receive count above 1: a worker tried it before, and one that died may have sent some of its
     * recipients; after 10 s without one, any delivered message) is put on the dead-letter queue, as
     * SQS does after a message's last delivery, and a moment later the dead-letter queue is redriven
     * (every message on it, as {@code infrastructure/bin/redrive} does): the copy arrives with a
     * receive count of 1, next to whatever else of that chunk is still on its way.
     */
    private Callable<Void> redrives(ChaosScenario s, Queues q, ChaosInjector injector) {
        Random when = new Random(s.seed() + 7);
        return () -> {
            for (int n = 0; n < s.redrives(); n++) {
                Thread.sleep(2000 + when.nextInt(3000));
                injector.wantRedrives(1, false);
                ChaosInjector.Candidate c = injector.nextToRedrive(java.time.Duration.ofSeconds(10));
                if (c == null) {
                    injector.wantRedrives(1, true);
                    c = injector.nextToRedrive(java.time.Duration.ofSeconds(20));
                }
                injector.wantRedrives(0, false);
                if (c == null) {
                    continue; // the drain is over: nothing is delivered any more
                }
                String body = c.body();
                q.sqs().sendMessage(r -> r.queueUrl(q.dlqUrl()).messageBody(body));
                redrivenAfterDeliveries.addAndGet(c.afterDeliveries() ? 1 : 0);
                Thread.sleep(500 + when.nextInt(1500));
                redriven.addAndGet(Redrive.move(q.sqs(), q.dlqUrl(), q.queueUrl()));
            }
            return null;
        };
    }

    /**
     * Kills the worker process {@code s.processKills()} times and starts it again at once: each
     * time 0.5 to 3 s after it came up, at the moment it delivers an email (so that it dies with
     * work in hand), or after 15 s more if it delivers none.
     */
    private Callable<Void> killing(WorkerProcess worker, ChaosScenario s) {
        Random when = new Random(s.seed() + 3);
        return () -> {
            for (int k = 0; k < s.processKills(); k++) {
                Thread.sleep(500 + when.nextInt(2500));
                long before = outbox.acceptedVia(VIA_PROCESS);
                long giveUp = System.nanoTime() + 15_000_000_000L;
                while (outbox.acceptedVia(VIA_PROCESS) == before && System.nanoTime() < giveUp) {
                    Thread.sleep(20);
                }
                boolean sending = outbox.acceptedVia(VIA_PROCESS) > before;
                worker.kill();
                processKills.incrementAndGet();
                if (sending) {
                    killsWhileSending.incrementAndGet();
                }
                worker.start();
            }
            return null;
        };
    }

    /**
     * Fails the network {@code s.networkFaults()} times, 0.5 to 3 s apart, each time for 0.2 to
     * 0.8 s, the kinds in turn.
     */
    private Callable<Void> flapping(Toxiproxy proxy, ChaosScenario s) {
        Random when = new Random(s.seed() + 4);
        Toxiproxy.Fault[] kinds = Toxiproxy.Fault.values();
        return () -> {
            for (int n = 0; n < s.networkFaults(); n++) {
                Thread.sleep(500 + when.nextInt(2500));
                Toxiproxy.Fault fault = kinds[n % kinds.length];
                proxy.on(fault);
                try {
                    Thread.sleep(200 + when.nextInt(600));
                } finally {
                    proxy.off(fault);
                }
                network.get(fault).incrementAndGet();
            }
            return null;
        };
    }

    /** Whether every scheduled fault happened (a schedule that failed throws here). */
    boolean done() {
        return finished(killing) && finished(flapping) && finished(failing) && finished(redriving);
    }

    private static boolean finished(Future<?> f) {
        if (f == null || !f.isDone()) {
            return f == null;
        }
        try {
            f.get();
            return true;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a chaos schedule failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops the schedules (at the deadline, or on an error, some may not have finished) and waits for them. */
    @Override
    public void close() {
        threads.shutdownNow();
        threads.close();
    }

    String progress() {
        return "process kills " + processKills.get() + ", network faults "
                + network.values().stream().mapToInt(AtomicInteger::get).sum() + ", outages " + outages.get()
                + ", redrives " + redriven.get();
    }

    /** Outages of the provider that happened (each with a cancel in it, or 10 s of trying). */
    int outages() {
        return outages.get();
    }

    /** Jobs cancelled while the provider was down. */
    int outageCancels() {
        return outageCancels.get();
    }

    /** Messages moved to the dead-letter queue and redriven back. */
    int redriven() {
        return redriven.get();
    }

    /** Of those, messages a worker had been delivered before. */
    int redrivenAfterDeliveries() {
        return redrivenAfterDeliveries.get();
    }

    int processKills() {
        return processKills.get();
    }

    /** Kills that came as the worker process delivered an email (within 20 ms of it). */
    int killsWhileSending() {
        return killsWhileSending.get();
    }

    /** New emails the worker process delivered (over all its lives). */
    long processEmails() {
        return outbox.acceptedVia(VIA_PROCESS);
    }

    Map<Toxiproxy.Fault, Integer> network() {
        Map<Toxiproxy.Fault, Integer> out = new EnumMap<>(Toxiproxy.Fault.class);
        network.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
