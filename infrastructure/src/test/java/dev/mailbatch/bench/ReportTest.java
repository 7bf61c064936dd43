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
}
