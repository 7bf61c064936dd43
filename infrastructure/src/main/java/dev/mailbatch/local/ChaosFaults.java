package dev.mailbatch.local;

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
final class ChaosFaults implements AutoCloseable {
    /** How the worker process names itself to the outbox. */
    static final String VIA_PROCESS = "process";

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger processKills = new AtomicInteger();
    private final AtomicInteger killsWhileSending = new AtomicInteger();
    private final Map<Toxiproxy.Fault, AtomicInteger> network = new EnumMap<>(Toxiproxy.Fault.class);
    private final Outbox outbox;
    private Future<?> killing;
    private Future<?> flapping;

    private ChaosFaults(Outbox outbox) {
        this.outbox = outbox;
        for (Toxiproxy.Fault f : Toxiproxy.Fault.values()) {
            network.put(f, new AtomicInteger());
        }
    }

    /** Starts the schedules: {@code worker} and {@code proxy} may be null (no such faults). */
    static ChaosFaults start(ChaosScenario s, WorkerProcess worker, Toxiproxy proxy, Outbox outbox) {
        ChaosFaults faults = new ChaosFaults(outbox);
        if (worker != null) {
            faults.killing = faults.threads.submit(faults.killing(worker, s));
        }
        if (proxy != null) {
            faults.flapping = faults.threads.submit(faults.flapping(proxy, s));
        }
        return faults;
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
        return finished(killing) && finished(flapping);
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
                + network.values().stream().mapToInt(AtomicInteger::get).sum();
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
