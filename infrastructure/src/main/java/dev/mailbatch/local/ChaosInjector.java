package dev.mailbatch.local;

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
final class ChaosInjector implements LocalRunner.Harness {
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
    private volatile java.net.URI through;

    long duplicates() {
        return duplicates.get();
    }

    ChaosInjector(ChaosScenario s) {
        this.random = new Random(s.seed());
        this.duplicateRate = s.duplicateRate();
        this.store = new ChaosStore(s.storeFaultRate(), s.seed() + 2);
        long chunks = (long) s.jobs() * Math.max(1, (s.recipients() + 49) / 50);
        for (int k = 0; k < s.kills(); k++) {
            String point = KILL_POINTS.get(k % KILL_POINTS.size());
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

    @Override
    public void received(SqsClient sqs, String queueUrl, List<Message> messages) {
        for (Message m : messages) {
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

    @Override
    public Map<QueueAttributeName, String> queueOverrides() {
        return QUEUE_OVERRIDES;
    }

    /** The functions reach the emulator through {@code through} (Toxiproxy; null: directly), with the store faults. */
    void reachThrough(java.net.URI through) {
        this.through = through;
    }

    @Override
    public Backend functions(Backend backend) {
        return backend.via(through == null ? backend.endpoint() : through, List.of(store));
    }

    ChaosStore store() {
        return store;
    }

    Map<String, Integer> kills() {
        Map<String, Integer> out = new LinkedHashMap<>();
        KILL_POINTS.forEach(p -> out.put(p, killed.get(p).get()));
        return out;
    }
}
