package dev.mailbatch.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/**
 * The benchmark's report: the table, and the generated part of docs/benchmarks.md (the machine
 * line, the table, the paragraph that reads it), written between the page's two markers,
 * {@link #BEGIN} and {@link #END}. Everything outside them is hand-written and kept byte for
 * byte; a page without exactly one pair is refused, never overwritten. The full run writes
 * docs/benchmarks.md; {@code --quick} writes the same page (docs/benchmarks.md with its generated
 * part) into infrastructure/target/bench/.
 */
final class Report {
    static final String BEGIN = "<!-- bench:begin -->";
    static final String END = "<!-- bench:end -->";

    private final Path root;
    private final Plan plan;
    private final Path into;

    /** A report of {@code plan}'s run, written into {@code into} (docs/, or the quick run's directory). */
    Report(Path root, Plan plan, Path into) {
        this.root = root;
        this.plan = plan;
        this.into = into;
    }

    /** Fails, before a run of minutes, when the page has no markers to write between. */
    void check() throws IOException {
        splice(Files.readString(page()), "");
    }

    /** Writes the page; the paths written. */
    List<Path> write(String table) throws IOException, InterruptedException {
        String page = splice(Files.readString(page()), generated(table, commit(), LocalDate.now()));
        Path document = into.resolve("benchmarks.md");
        Files.writeString(document, page);
        return List.of(document);
    }

    private Path page() {
        return root.resolve("docs/benchmarks.md");
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

    /**
     * {@code page} with what lies between its markers replaced by {@code generated}: the text before
     * {@link #BEGIN} (the marker included) and from {@link #END} on is kept byte for byte.
     *
     * @throws IllegalStateException unless the page has exactly one {@link #BEGIN} and, after it,
     *     exactly one {@link #END}
     */
    static String splice(String page, String generated) {
        int begin = page.indexOf(BEGIN);
        int end = page.indexOf(END);
        int begins = count(page, BEGIN);
        int ends = count(page, END);
        if (begins != 1 || ends != 1 || end < begin) {
            throw new IllegalStateException(("bench: docs/benchmarks.md must have one %s and, after it, one %s"
                            + " around the generated part (the machine line, the table); it has %d"
                            + " and %d%s. The run writes only between them, and will not overwrite the"
                            + " hand-written text: put the markers back.")
                    .formatted(BEGIN, END, begins, ends, begins == 1 && ends == 1 ? ", in the wrong order" : ""));
        }
        return page.substring(0, begin + BEGIN.length()) + "\n" + generated + page.substring(end);
    }

    private static int count(String text, String marker) {
        int count = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length())) {
            count++;
        }
        return count;
    }

    /** The generated part: from the line after {@link #BEGIN} to the line of {@link #END}. */
    private String generated(String table, String commit, LocalDate today) throws IOException {
        return """
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
                        commit,
                        today,
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
