package dev.mailbatch.bench;

import dev.mailbatch.local.emulator.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The benchmark (infrastructure/bin/bench): mailbatch on the local stack against the design it
 * replaces, measured in the same run on the same outbox. Baselines: the original design (one
 * request loops over the addresses, one send after another) and the classic fix, Celery + Redis
 * (infrastructure/bench/celery_peer.py: one task per email, a thread pool of C). Prints one
 * table; the full run also writes it, with the machine, date and commit and a chart of the
 * drains, into the generated part of docs/benchmarks.md.
 *
 * <p>{@code --quick}: small sizes, a check that the harness works end to end (the test command
 * runs it), not a measurement; its page and chart go to infrastructure/target/bench/.
 *
 * <p>The rooms of the package: {@link Plan} (what a run measures, the command line),
 * {@link Scenarios} (the measurements, in the table's order), {@link Stacks} (mailbatch on the
 * local stack), {@link Peers} (Celery + Redis and the original design), {@link CostMeter},
 * {@link DynamoCapacity} and {@link BenchCost} (the counted AWS work and its price),
 * {@link Report} and {@link MakespanChart} (the table, the page, the chart).
 */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        Optional<Plan.Command> command = Plan.Command.parse(args);
        if (command.isEmpty()) {
            System.err.println(Plan.Command.USAGE);
            System.exit(2);
            return;
        }
        Plan plan = command.get().plan();
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        Path logDir = root.resolve("infrastructure/target/bench");
        Files.createDirectories(logDir);
        Report report = new Report(root, plan, plan.quick() ? logDir : root.resolve("docs"));
        report.check(); // before minutes of measuring: a page the run could not write into
        try (MotoServer moto = MotoServer.start(root, logDir.resolve("moto.log"));
                Peers.Redis redis = Peers.Redis.start(logDir.resolve("redis.log"))) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> { // Ctrl-C: no emulator left behind
                                redis.close();
                                moto.close();
                            }));
            Stacks stacks = new Stacks(root, plan, moto.endpoint(), logDir);
            Peers peers = new Peers(root, logDir, redis.port(), System.out);
            Scenarios.Results results =
                    new Scenarios(plan, stacks, peers, command.get().samBuild(), System.out).run();
            String table = Report.table(results.rows());
            System.out.print(table);
            for (Path written : report.write(table, results.drains())) {
                System.out.println("bench: written to " + root.relativize(written));
            }
        }
    }
}
