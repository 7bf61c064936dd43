package dev.mailbatch.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a run measures: the sizes, the concurrencies to try and the samples, for a full run or for
 * {@code --quick} (small sizes, a check that the harness works end to end, not a measurement).
 *
 * @param n the emails of a drain
 * @param latencyMs the outbox's latency L in a drain
 * @param workers the worker instances ({@code WorkerMaxConcurrency}) to try; C is each ×
 *     {@code sendConcurrency}
 * @param flapN the emails of the flapping provider's drain
 * @param submitSizes the recipients of the timed submits
 * @param samples the timed submits of each size
 * @param costN the emails of a metered drain
 * @param coldRuns the cold starts of each function
 * @param memoryChunks the chunks of 50 in flight while the worker's memory is read
 */
record Plan(
        boolean quick,
        int n,
        int latencyMs,
        List<Integer> workers,
        int sendConcurrency,
        int flapN,
        List<Integer> submitSizes,
        int samples,
        int costN,
        int coldRuns,
        int memoryChunks) {
    static Plan fullRun() {
        return new Plan(false, 5000, 200, List.of(5, 10, 20), 16, 1000, List.of(1, 100, 1000, 10_000), 10, 5000, 5, 10);
    }

    static Plan quickRun() {
        return new Plan(true, 200, 20, List.of(2), 4, 100, List.of(1, 100), 3, 100, 1, 1);
    }

    /** C, the sends in flight, with {@code w} worker instances. */
    int concurrency(int w) {
        return w * sendConcurrency;
    }

    /** The command line: {@code bench [--quick] --sam-build DIR} (infrastructure/bin/bench passes the second). */
    record Command(boolean quick, Path samBuild) {
        static final String USAGE =
                "usage: bench [--quick] --sam-build <sam build output> (infrastructure/bin/bench passes it)";

        /** The command the arguments give, or none when they give none (no {@code --sam-build DIR}). */
        static Optional<Command> parse(String[] args) {
            List<String> list = Arrays.asList(args);
            int at = list.indexOf("--sam-build");
            if (at < 0 || at + 1 >= args.length) {
                return Optional.empty();
            }
            return Optional.of(
                    new Command(list.contains("--quick"), Path.of(args[at + 1]).toAbsolutePath()));
        }

        Plan plan() {
            return quick ? quickRun() : fullRun();
        }
    }
}
