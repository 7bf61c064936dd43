package dev.mailbatch.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/**
 * The benchmark's report: the table of {@link Row}s, and the page around it (the title, the
 * machine, date and commit, the paragraph that reads the table) that the full run writes to
 * docs/benchmarks.md and {@code --quick} to infrastructure/target/bench/benchmarks.md.
 */
final class Report {
    private final Path root;
    private final Plan plan;

    Report(Path root, Plan plan) {
        this.root = root;
        this.plan = plan;
    }

    static String table(List<Row> rows) {
        StringBuilder t = new StringBuilder();
        t.append("| what | mailbatch | Celery + Redis | original design | mailbatch ÷ Celery (time) |\n");
        t.append("| --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            t.append("| %s | %s | %s | %s | %s |\n"
                    .formatted(r.what(), r.mailbatch(), r.peer(), r.original(), r.ratio()));
        }
        return t.toString();
    }

    String document(String table) throws IOException, InterruptedException {
        return """
                # Benchmarks

                `infrastructure/bin/bench` on the local stack (moto server, the real handlers, the outbox as the
                provider), %s. Machine: %d cores (%s), %d GiB; JDK %s; commit %s; %s.

                %s
                C is the number of sends in flight: worker instances (`WorkerMaxConcurrency`) × `SendConcurrency`
                (%d) for mailbatch, the thread pool for Celery (one task per email, Redis as broker and result
                backend, infrastructure/bench/celery_peer.py). The original design is one request that sends
                the emails one after another (measured on 50, scaled to N). E = (N × L ÷ C) ÷ makespan: 1.0 is
                the physical limit at that C. The last column is mailbatch's time ÷ Celery's: below 1,
                mailbatch is faster. Every figure comes from this run.
                """.formatted(
                        plan.quick() ? "quick mode (a check of the harness, not a measurement)" : "full run",
                        Runtime.getRuntime().availableProcessors(),
                        cpu(),
                        Math.round(memoryKib() / 1024.0 / 1024.0),
                        Runtime.version(),
                        commit(),
                        LocalDate.now(),
                        table,
                        plan.sendConcurrency());
    }

    private static String cpu() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(line -> line.startsWith("model name"))
                .findFirst()
                .map(line -> line.substring(line.indexOf(':') + 1).trim())
                .orElse("unknown CPU");
    }

    private static long memoryKib() throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                .filter(line -> line.startsWith("MemTotal"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")))
                .findFirst()
                .orElse(0);
    }

    private String commit() throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
                .directory(root.toFile())
                .start();
        String sha = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        git.waitFor();
        return sha.isEmpty() ? "unknown" : sha;
    }
}
