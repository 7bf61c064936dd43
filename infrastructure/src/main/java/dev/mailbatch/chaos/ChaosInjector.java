package dev.mailbatch.chaos;

import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.worker.Faults;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The faults, scheduled up front from the seed so that a run can be repeated. */
public final class ChaosInjector implements LocalRunner.Harness {
    /** Where a worker dies, in the order the kills are spread over them. */
    static final List<String> KILL_POINTS =
            List.of(Faults.BEFORE_SEND, Faults.AFTER_EMAIL, Faults.BEFORE_RECORD, Faults.AFTER_RECORD);

    private final Map<String, Set<Long>> schedule = new HashMap<>();
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> killed = new ConcurrentHashMap<>();
    private final Random random;
    private final double duplicateRate;
    private final AtomicLong duplicates = new AtomicLong();
    private final ChaosStore store;
    private final ChaosSes ses;
    private volatile java.net.URI through;

    long duplicates() {
        return duplicates.get();
    }

    ChaosInjector(ChaosScenario s) {
        this.random = new Random(s.seed());
        this.duplicateRate = s.duplicateRate();
        this.store = new ChaosStore(s.storeFaultRate(), s.seed() + 2);
        this.ses = new ChaosSes(s.sender() == ChaosScenario.Sender.SES ? s.failureRate() : 0, s.seed() + 5);
        long chunks = (long) s.jobs() * Math.max(1, (s.recipients() + 49) / 50);
        List<String> points = s.killPoints();
        for (int k = 0; k < s.kills(); k++) {
            String point = points.get(k % points.size());
            // Spread over the first pass: the k-th call of that point, early enough to happen.
            long range = point.equals(Faults.AFTER_EMAIL) ? (long) s.jobs() * s.recipients() * 3 / 4 : chunks * 3 / 4;
            Set<Long> at = schedule.computeIfAbsent(point, p -> new TreeSet<>());
            long call;
            do {
                call = 1 + (long) (random.nextDouble() * Math.max(1, range));
            } while (!at.add(call) && at.size() < range);
        }
        KILL_POINTS.forEach(p -> {
            calls.put(p, new AtomicLong());
            killed.put(p, new AtomicInteger());
        });
    }

    @Override
    public Faults faults() {
        return point -> {
            long n = calls.get(point).incrementAndGet();
            if (schedule.getOrDefault(point, Set.of()).contains(n)) {
                killed.get(point).incrementAndGet();
                throw new WorkerKilled(point);
            }
        };
    }

    /**
     * Bodies of delivered messages the redrive schedule will put on the dead-letter queue and
     * redrive ({@link ChaosFaults}): taken from deliveries after the first (a worker tried them
     * before; one that died may have sent some of their recipients), or from any delivery once the
     * schedule has waited long enough for one.
     */
    private final java.util.concurrent.BlockingQueue<Candidate> toRedrive =
            new java.util.concurrent.LinkedBlockingQueue<>();

    private volatile int redrivesWanted;
    private volatile boolean anyDelivery;

    /** A message body to redrive, and whether it came from a delivery after the first. */
    record Candidate(String body, boolean afterDeliveries) {}

    /** The redrive schedule asks for {@code n} more candidates; {@code any}: from a first delivery too. */
    void wantRedrives(int n, boolean any) {
        redrivesWanted = n;
        anyDelivery = any;
    }

    /** The next candidate, waiting at most {@code wait}; null if none came. */
    Candidate nextToRedrive(java.time.Duration wait) throws InterruptedException {
        return toRedrive.poll(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void received(SqsClient sqs, String queueUrl, List<Message> messages) {
        for (Message m : messages) {
            int count = Integer.parseInt(m.attributes()
                    .getOrDefault(
                            software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName
                                    .APPROXIMATE_RECEIVE_COUNT,
                            "1"));
            synchronized (toRedrive) {
                if (toRedrive.size() < redrivesWanted && (count > 1 || anyDelivery)) {
                    toRedrive.add(new Candidate(m.body(), count > 1));
                }
            }
            boolean twice;
            synchronized (random) {
                twice = random.nextDouble() < duplicateRate;
            }
            if (twice) {
                sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(m.body()));
                duplicates.incrementAndGet();
            }
        }
    }

    /** A killed batch comes back after 30 s, not after the template's 6 x 60 s. */
    static final Map<QueueAttributeName, String> QUEUE_OVERRIDES = Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "30");

    /**
     * The worker's Timeout under that 30 s: a killed invocation's claims (they last until its
     * timeout) have ended when its batch comes back, as in AWS (60 s under 360 s).
     */
    static final int WORKER_TIMEOUT_SECONDS = 25;

    @Override
    public Map<QueueAttributeName, String> queueOverrides() {
        return QUEUE_OVERRIDES;
    }

    @Override
    public int workerTimeoutSeconds() {
        return WORKER_TIMEOUT_SECONDS;
    }

    /** The functions reach the emulator through {@code through} (Toxiproxy; null: directly), with the store faults. */
    void reachThrough(java.net.URI through) {
        this.through = through;
    }

    @Override
    public Backend functions(Backend backend) {
        return backend.via(through == null ? backend.endpoint() : through, List.of(store, ses));
    }

    ChaosStore store() {
        return store;
    }

    ChaosSes ses() {
        return ses;
    }

    Map<String, Integer> kills() {
        Map<String, Integer> out = new LinkedHashMap<>();
        KILL_POINTS.forEach(p -> out.put(p, killed.get(p).get()));
        return out;
    }
}
