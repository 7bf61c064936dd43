package dev.mailbatch.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's report: the table, and the generated part of docs/benchmarks.md (the machine
 * line, the table, the paragraph that reads it, the chart and which run it draws), written
 * between the page's two markers, {@link #BEGIN} and {@link #END}. Everything outside them is
 * hand-written and kept byte for byte; a page without exactly one pair is refused, never
 * overwritten. The full run writes docs/benchmarks.md and docs/images/bench-makespan.svg;
 * {@code --quick} writes the same page (docs/benchmarks.md with its generated part) and its
 * chart into infrastructure/target/bench/.
 *
 * <p>{@link #main} redraws docs/images/bench-makespan.svg from the drain rows of the page's table
 * ({@link #drawn}), for a drawing that changed without a new run.
 */
final class Report {
    static final String BEGIN = "<!-- bench:begin -->";
    static final String END = "<!-- bench:end -->";
    /** The chart, relative to the page. */
    static final String CHART = "images/bench-makespan.svg";

    private static final Pattern DRAIN = Pattern.compile(
            "\\| drain N=(\\d+), L=(\\d+) ms, C=(\\d+): makespan \\(E\\) \\| ([\\d.,]+) s [^|]*\\| ([\\d.,]+) s ");
    private static final Pattern RUN =
            Pattern.compile("(full|quick) (?:run|mode)[^\\n]*?; commit (\\w+); (\\d{4}-\\d{2}-\\d{2})\\.");

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

    /** Writes the page and its chart; the paths written. */
    List<Path> write(String table, List<MakespanChart.Point> drains) throws IOException, InterruptedException {
        String commit = commit();
        LocalDate today = LocalDate.now();
        String run = "%s run, commit %s, %s".formatted(plan.quick() ? "quick" : "full", commit, today);
        String page = splice(Files.readString(page()), generated(table, commit, today, run));
        Path document = into.resolve("benchmarks.md");
        Path chart = into.resolve(CHART);
        Files.createDirectories(chart.getParent());
        Files.writeString(chart, MakespanChart.svg(plan.n(), plan.latencyMs(), drains, run));
        Files.writeString(document, page);
        return List.of(document, chart);
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
                            + " around the generated part (the machine line, the table, the chart); it has %d"
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
    private String generated(String table, String commit, LocalDate today, String run) throws IOException {
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

                ![Drain makespan against C, mailbatch and Celery + Redis](%s)

                The chart draws the table's drain rows (N = %,d, L = %d ms), from the %s: makespan against C,
                lower is faster.

                """.formatted(
                        plan.quick() ? "quick mode (a check of the harness, not a measurement)" : "full run",
                        Runtime.getRuntime().availableProcessors(),
                        cpu(),
                        Math.round(memoryKib() / 1024.0 / 1024.0),
                        Runtime.version(),
                        commit,
                        today,
                        table,
                        plan.sendConcurrency(),
                        CHART,
                        plan.n(),
                        plan.latencyMs(),
                        run);
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

    /** The chart's input as a page's table gives it: N, L, each C's drain, and which run it was. */
    record Drawn(int n, int latencyMs, List<MakespanChart.Point> drains, String run) {
        String svg() {
            return MakespanChart.svg(n, latencyMs, drains, run);
        }
    }

    /** The drain rows of the page's generated part, and the run its machine line names. */
    static Drawn drawn(String page) {
        String generated = page.substring(page.indexOf(BEGIN), page.indexOf(END));
        List<MakespanChart.Point> drains = new ArrayList<>();
        int n = 0;
        int latency = 0;
        for (Matcher m = DRAIN.matcher(generated); m.find(); ) {
            n = Integer.parseInt(m.group(1));
            latency = Integer.parseInt(m.group(2));
            drains.add(new MakespanChart.Point(Integer.parseInt(m.group(3)), decimal(m.group(4)), decimal(m.group(5))));
        }
        Matcher run = RUN.matcher(generated);
        if (drains.isEmpty() || !run.find()) {
            throw new IllegalStateException("bench: the page's generated part has no drain rows or no machine line");
        }
        return new Drawn(
                n, latency, drains, "%s run, commit %s, %s".formatted(run.group(1), run.group(2), run.group(3)));
    }

    private static double decimal(String figure) {
        return Double.parseDouble(figure.replace(',', '.'));
    }

    /** Redraws docs/images/bench-makespan.svg from docs/benchmarks.md (under {@code mailbatch.root}). */
    public static void main(String[] args) throws IOException {
        Path docs = Path.of(System.getProperty("mailbatch.root", "."), "docs")
                .toAbsolutePath()
                .normalize();
        String page = Files.readString(docs.resolve("benchmarks.md"));
        splice(page, ""); // the markers, or a clear message
        Files.writeString(docs.resolve(CHART), drawn(page).svg());
        System.out.println("bench: drawn " + docs.resolve(CHART));
    }
}
