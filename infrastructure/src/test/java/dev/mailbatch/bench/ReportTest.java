package dev.mailbatch.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The page the benchmark writes into: only between its markers, never over the hand-written text. */
class ReportTest {
    private static final Path ROOT =
            Path.of(System.getProperty("mailbatch.root", "..")).toAbsolutePath().normalize();
    private static final String BEFORE = "# Benchmarks\r\n\nHand-written  \n\u00e9 \u00f7 ×\n" + Report.BEGIN;
    private static final String AFTER = Report.END + "\n\n## How it is measured\n\ttabs, no newline at the end";

    @Test
    void replacesOnlyWhatLiesBetweenTheMarkers() {
        String page = BEFORE + "\nthe last run's table\n\n" + AFTER;

        String written = Report.splice(page, "this run's table\n\n");

        assertThat(written).isEqualTo(BEFORE + "\nthis run's table\n\n" + AFTER);
        assertThat(written).startsWith(BEFORE).endsWith(AFTER).doesNotContain("the last run's table");
    }

    @Test
    void writingTwiceIsWritingOnce() {
        String once = Report.splice(BEFORE + AFTER, "generated\n");

        assertThat(Report.splice(once, "generated\n")).isEqualTo(once);
    }

    @Test
    void refusesAPageWithoutOnePairOfMarkersInOrder() {
        for (String page : List.of(
                "# Benchmarks\nno markers at all\n",
                "# Benchmarks\n" + Report.BEGIN + "\nthe end marker deleted\n## How it is measured\n",
                "# Benchmarks\nthe begin marker deleted\n" + Report.END + "\n",
                "# Benchmarks\n" + Report.END + "\nreversed\n" + Report.BEGIN + "\n",
                BEFORE + "\n" + AFTER + "\n" + Report.BEGIN + "\n" + Report.END + "\n")) {
            assertThatThrownBy(() -> Report.splice(page, "generated\n"))
                    .as(page)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("docs/benchmarks.md")
                    .hasMessageContaining(Report.BEGIN)
                    .hasMessageContaining(Report.END)
                    .hasMessageContaining("will not overwrite the hand-written text");
        }
    }

    @Test
    void theCommittedPageHasItsMarkersAndKeepsItsHandWrittenSections() throws IOException {
        String page = Files.readString(ROOT.resolve("docs/benchmarks.md"));

        String written = Report.splice(page, "generated\n");

        assertThat(written)
                .startsWith(page.substring(0, page.indexOf(Report.BEGIN)))
                .endsWith(page.substring(page.indexOf(Report.END)))
                .contains("## How it is measured", "## The last full run, in short");
    }

    @Test
    void theTableHasItsHeaderAndOneLinePerRow() {
        String table = Report.table(List.of(
                new Row(
                        "drain N=200, L=20 ms, C=8: makespan (E)",
                        "2.7 s (E 0.18)",
                        "1.0 s (E 0.49)",
                        "10.4 s",
                        "2.68"),
                Row.mailbatchOnly("flapping provider", "2.6 s ÷ 1.2 s = 2.2")));

        assertThat(table).isEqualTo("""
                        | what | mailbatch | Celery + Redis | original design | mailbatch ÷ Celery (time) |
                        | --- | --- | --- | --- | --- |
                        | drain N=200, L=20 ms, C=8: makespan (E) | 2.7 s (E 0.18) | 1.0 s (E 0.49) | 10.4 s | 2.68 |
                        | flapping provider | 2.6 s ÷ 1.2 s = 2.2 |  |  |  |
                        """);
    }

    @Test
    void readsTheDrainRowsAndTheRunFromThePagesGeneratedPart() {
        String page = "# Benchmarks\n" + Report.BEGIN + "\nprovider), full run. Machine: 2 cores (x), 24 GiB;"
                + " JDK 25; commit abc1234; 2026-11-26.\n\n"
                + Report.table(List.of(
                        new Row(
                                "drain N=5000, L=200 ms, C=80: makespan (E)",
                                "15.3 s (E 0.82)",
                                "13.1 s (E 0.95)",
                                "1053.1 s",
                                "1.16"),
                        new Row(
                                "drain N=5000, L=200 ms, C=160: makespan (E)",
                                "8.3 s (E 0.76)",
                                "10.6 s (E 0.59)",
                                "1053.1 s",
                                "0.78"),
                        new Row("drain, each at its best C of [80, 160]", "8.3 s", "10.6 s", "1053.1 s", "0.78")))
                + Report.END + "\n| drain N=1, L=1 ms, C=1: makespan (E) | 1.0 s (E 1) | 1.0 s (E 1) | | |\n";

        Report.Drawn drawn = Report.drawn(page);

        assertThat(drawn)
                .isEqualTo(new Report.Drawn(
                        5000,
                        200,
                        List.of(new MakespanChart.Point(80, 15.3, 13.1), new MakespanChart.Point(160, 8.3, 10.6)),
                        "full run, commit abc1234, 2026-11-26"));
    }

    @Test
    void aQuickRunsPageNamesTheQuickRun() {
        String page =
                Report.BEGIN + "\nprovider), quick mode (a check of the harness, not a measurement). Machine: 2 cores"
                        + " (x), 24 GiB; JDK 25; commit 1c8bcdf; 2026-12-02.\n\n"
                        + Report.table(List.of(new Row(
                                "drain N=200, L=20 ms, C=8: makespan (E)",
                                "3.5 s (E 0.14)",
                                "1.0 s (E 0.52)",
                                "14.2 s",
                                "3.67")))
                        + Report.END;

        assertThat(Report.drawn(page).run()).isEqualTo("quick run, commit 1c8bcdf, 2026-12-02");
        assertThat(Report.drawn(page).drains()).containsExactly(new MakespanChart.Point(8, 3.5, 1.0));
    }

    /** The committed chart is what the code draws from the committed table (Report.main redraws it). */
    @Test
    void theCommittedChartIsTheDrawingOfThePagesTable() throws IOException {
        String page = Files.readString(ROOT.resolve("docs/benchmarks.md"));

        assertThat(Files.readString(ROOT.resolve("docs").resolve(Report.CHART)))
                .as("docs/images/bench-makespan.svg is drawn from docs/benchmarks.md; redraw it with Report.main")
                .isEqualTo(Report.drawn(page).svg());
        assertThat(page).contains("](" + Report.CHART + ")");
    }
}
