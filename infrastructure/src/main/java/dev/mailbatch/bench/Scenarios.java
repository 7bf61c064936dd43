package dev.mailbatch.bench;

import dev.mailbatch.local.LambdaRuntimes;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's measurements, in the table's order: the drain at each C against the Celery peer
 * and the original design, the system cost at L = 0, a flapping provider, submit latency, the cost
 * per 1,000 emails, then cold starts and the worker's memory through the real Lambda runtime. Each
 * gives one or more {@link Row}s; the drains also give the chart's points ({@link MakespanChart}).
 */
final class Scenarios {
    private final Plan plan;
    private final Stacks stacks;
    private final Peers peers;
    private final Path samBuild;
    private final PrintStream out;

    Scenarios(Plan plan, Stacks stacks, Peers peers, Path samBuild, PrintStream out) {
        this.plan = plan;
        this.stacks = stacks;
        this.peers = peers;
        this.samBuild = samBuild;
        this.out = out;
    }

    /** The table's rows, and each C's drain (mailbatch's makespan and Celery's) for the chart. */
    record Results(List<Row> rows, List<MakespanChart.Point> drains) {}

    /** A drain's makespan, and the peer's on the same outbox (0 when it did not run). */
    private record Drain(double seconds, double peerSeconds) {}

    Results run() throws Exception {
        List<Row> rows = new ArrayList<>();
        List<MakespanChart.Point> points = new ArrayList<>();
        int n = plan.n();
        int l = plan.latencyMs();
        double ideal = (double) n * l / 1000;
        // The original design: one request sends every email, one after another (a 50-email sample).
        double loop = sequential(Math.min(50, n), l) * n / 1000;
        double loopFree = sequential(Math.min(50, n), 0) * n / 1000;

        // 1. Drain at each concurrency C: E = (N * L / C) / makespan, against Celery at the same C.
        double bestMailbatch = Double.MAX_VALUE;
        double bestPeer = Double.MAX_VALUE;
        for (int w : plan.workers()) {
            int c = plan.concurrency(w);
            Drain d = drain("drain-" + c, n, l, w, 0, c);
            bestMailbatch = Math.min(bestMailbatch, d.seconds());
            bestPeer = Math.min(bestPeer, d.peerSeconds());
            points.add(new MakespanChart.Point(c, d.seconds(), d.peerSeconds()));
            rows.add(new Row(
                    "drain N=%d, L=%d ms, C=%d: makespan (E)".formatted(n, l, c),
                    "%.1f s (E %.2f)".formatted(d.seconds(), ideal / c / d.seconds()),
                    "%.1f s (E %.2f)".formatted(d.peerSeconds(), ideal / c / d.peerSeconds()),
                    "%.1f s".formatted(loop),
                    "%.2f".formatted(d.seconds() / d.peerSeconds())));
        }
        rows.add(new Row(
                "drain, each at its best C of "
                        + plan.workers().stream().map(plan::concurrency).toList(),
                "%.1f s".formatted(bestMailbatch),
                "%.1f s".formatted(bestPeer),
                "%.1f s".formatted(loop),
                "%.2f".formatted(bestMailbatch / bestPeer)));

        // 2. System cost: L = 0.
        int w0 = plan.workers().getFirst();
        Drain free = drain("cost", n, 0, w0, 0, plan.concurrency(w0));
        rows.add(new Row(
                "system cost N=%d, L=0, C=%d: emails/s".formatted(n, plan.concurrency(w0)),
                "%.0f".formatted(n / free.seconds()),
                "%.0f".formatted(n / free.peerSeconds()),
                "%.0f".formatted(n / loopFree),
                "%.2f".formatted(free.seconds() / free.peerSeconds())));

        // 3. A flapping provider: 30 % of calls 503, L = 20 ms.
        Drain healthy = drain("healthy", plan.flapN(), 20, w0, 0, 0);
        Drain flapping = drain("flapping", plan.flapN(), 20, w0, 0.3, 0);
        rows.add(Row.mailbatchOnly(
                "flapping provider N=%d, 30 %% 503, L=20 ms: makespan ÷ healthy".formatted(plan.flapN()),
                "%.1f s ÷ %.1f s = %.1f"
                        .formatted(flapping.seconds(), healthy.seconds(), flapping.seconds() / healthy.seconds())));

        // 4. Submit latency, with the outbox at 0 and at 1 s.
        Map<Integer, Map<Integer, double[]>> byLatency = new LinkedHashMap<>();
        for (int latency : List.of(0, 1000)) {
            byLatency.put(latency, submits("submit-" + latency, latency));
        }
        for (int size : plan.submitSizes()) {
            double[] fast = byLatency.get(0).get(size);
            double[] slow = byLatency.get(1000).get(size);
            rows.add(Row.mailbatchOnly(
                    "submit %,d recipients: p50 / p95, outbox at 0; at 1 s".formatted(size),
                    "%.0f / %.0f ms; %.0f / %.0f ms"
                            .formatted(
                                    percentile(fast, 50),
                                    percentile(fast, 95),
                                    percentile(slow, 50),
                                    percentile(slow, 95))));
        }

        // 5. Cost per 1,000 emails, from the work counted in this run, at 1 KiB and at 100 KiB of content.
        for (int kib : List.of(1, 100)) {
            BenchCost.Priced priced = stacks.costed("cost-" + kib + "k", plan.costN(), l, w0, kib, out);
            String what = "N=%,d, L=%d ms, %d KiB of content".formatted(plan.costN(), l, kib);
            rows.add(Row.mailbatchOnly("cost per 1,000 emails, " + what, priced.summary()));
            rows.add(Row.mailbatchOnly("DynamoDB writes, " + what, priced.writes()));
            rows.add(Row.mailbatchOnly(
                    "one job's ceiling on AWS (a partition's 1,000 WRU/s, 3,000 RRU/s), " + what, priced.partition()));
            out.println("bench: " + what + ": AWS calls " + priced.calls());
        }

        // 6. Cold starts through the real Lambda runtime, and the worker's memory with sends in flight.
        rows.addAll(lambdaRuntime());
        return new Results(rows, points);
    }

    /**
     * Submits one job of {@code n} recipients to a fresh stack with {@code workers} worker
     * instances of {@link Plan#sendConcurrency()} sends each, and times it until nothing is
     * pending; then, with {@code peerConcurrency > 0}, the Celery peer on the same outbox.
     */
    private Drain drain(String name, int n, int latencyMs, int workers, double failureRate, int peerConcurrency)
            throws Exception {
        try (Stacks.Stack stack = stacks.open(name, latencyMs, failureRate, workers)) {
            double seconds = Stacks.drain(stack, name, n);
            out.printf("bench: %-10s %6d emails in %6.1f s%n", name, n, seconds);
            double peer = peerConcurrency == 0
                    ? 0
                    : peers.celery(stack.outbox(), n, peerConcurrency, name + "-" + System.nanoTime());
            return new Drain(seconds, peer);
        }
    }

    /** Submit latency by size: {@link Plan#samples()} submits each, while the earlier ones drain. */
    private Map<Integer, double[]> submits(String name, int latencyMs) throws Exception {
        Map<Integer, double[]> result = new LinkedHashMap<>();
        try (Stacks.Stack stack = stacks.open(name, latencyMs, 0, plan.workers().getFirst())) {
            for (int size : plan.submitSizes()) {
                int samples = size >= 10_000 ? Math.max(3, plan.samples() / 2) : plan.samples();
                double[] ms = new double[samples];
                for (int i = 0; i < samples; i++) {
                    long start = System.nanoTime();
                    Stacks.submit(stack.api(), size, name + "-" + size + "-" + i);
                    ms[i] = (System.nanoTime() - start) / 1e6;
                }
                out.printf(
                        "bench: submit %5d recipients, outbox %4d ms: p50 %.0f ms%n",
                        size, latencyMs, percentile(ms, 50));
                result.put(size, ms);
            }
        }
        return result;
    }

    /** The original design on a stack's outbox at {@code latencyMs}: ms per email. */
    private double sequential(int sample, int latencyMs) throws Exception {
        try (Stacks.Stack stack =
                stacks.open("sequential", latencyMs, 0, plan.workers().getFirst())) {
            return Peers.original(stack.outbox(), sample);
        }
    }

    /**
     * Each function of the {@code sam build} output started cold under aws-lambda-rie
     * ({@link LambdaRuntimes}) {@link Plan#coldRuns()} times, against a hello-world handler; and
     * the worker's resident memory while {@link Plan#memoryChunks()} chunks of 50 are sent to an
     * outbox at {@link Plan#latencyMs()}, against idle.
     */
    private List<Row> lambdaRuntime() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (LambdaRuntimes.Session session =
                LambdaRuntimes.open(stacks.root(), samBuild, stacks.emulator(), plan.latencyMs())) {
            List<String> failures = new ArrayList<>();
            List<LambdaRuntimes.ColdStart> starts = session.runtimes().coldStarts(plan.coldRuns(), failures);
            if (!failures.isEmpty()) {
                throw new IllegalStateException("bench: a function answered wrong under aws-lambda-rie: " + failures);
            }
            Map<String, double[]> byFunction = new LinkedHashMap<>();
            for (LambdaRuntimes.ColdStart c : starts) {
                double[] old = byFunction.getOrDefault(c.function(), new double[0]);
                double[] more = Arrays.copyOf(old, old.length + 1);
                more[old.length] = c.millis();
                byFunction.put(c.function(), more);
            }
            double hello = percentile(byFunction.get("hello world"), 50);
            byFunction.forEach((function, ms) -> {
                double median = percentile(ms, 50);
                out.printf("bench: cold start %-20s median %5.0f ms of %d%n", function, median, ms.length);
                if (!function.equals("hello world")) {
                    rows.add(Row.mailbatchOnly(
                            "cold start %s (init + first invocation, aws-lambda-rie, median of %d)"
                                    .formatted(function.replace("Function", ""), ms.length),
                            "%.0f ms = %.2f × hello world's %.0f ms".formatted(median, median / hello, hello)));
                }
            });
            long[] memory = session.runtimes().workerMemory(plan.memoryChunks(), 50);
            rows.add(Row.mailbatchOnly(
                    "worker memory (RSS), %d chunks of 50 in flight at %d ms an email, ÷ idle"
                            .formatted(plan.memoryChunks(), plan.latencyMs()),
                    "%.0f MiB ÷ %.0f MiB = %.2f"
                            .formatted(memory[1] / 1024.0, memory[0] / 1024.0, (double) memory[1] / memory[0])));
        }
        return rows;
    }

    /** The nearest-rank percentile {@code p} of {@code values}. */
    static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
