package dev.mailbatch.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {
    private final List<String> lines = new ArrayList<>();
    private final Metrics metrics =
            new Metrics("SendEmails", lines::add, Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC));

    @Test
    void countsAreSummedAndValuesKeptOneByOneInOneEmfLine() throws Exception {
        metrics.count("EmailsSent", 2);
        metrics.count("EmailsSent", 3);
        metrics.count("EmailsFailed", 0);
        metrics.value("SendLatency", Metrics.Unit.MILLISECONDS, 12.5);
        metrics.value("SendLatency", Metrics.Unit.MILLISECONDS, 40);
        metrics.flush();

        assertThat(lines).hasSize(1);
        JsonNode line = Json.MAPPER.readTree(lines.getFirst());
        assertThat(line.at("/_aws/Timestamp").asLong())
                .isEqualTo(Instant.parse("2026-11-26T12:00:00Z").toEpochMilli());
        assertThat(line.path("EmailsSent").asDouble()).isEqualTo(5);
        assertThat(line.has("EmailsFailed")).isFalse();
        assertThat(line.path("SendLatency").findValuesAsText("")).isEmpty();
        assertThat(line.path("SendLatency").size()).isEqualTo(2);
        assertThat(line.path("SendLatency").get(1).asDouble()).isEqualTo(40);
        assertThat(line.at("/_aws/CloudWatchMetrics/0/Metrics")).anySatisfy(m -> {
            assertThat(m.path("Name").asText()).isEqualTo("SendLatency");
            assertThat(m.path("Unit").asText()).isEqualTo("Milliseconds");
        });

        metrics.flush();
        assertThat(lines).as("nothing added since: no line").hasSize(1);
    }

    @Test
    void moreThanAHundredValuesGoOnSeveralLinesAsEmfAllows() throws Exception {
        for (int i = 0; i < 250; i++) {
            metrics.value("SendLatency", Metrics.Unit.MILLISECONDS, i);
        }
        metrics.count("EmailsSent", 250);
        metrics.flush();

        assertThat(lines).hasSize(3);
        int values = 0;
        double sent = 0;
        for (String l : lines) {
            JsonNode line = Json.MAPPER.readTree(l);
            values += line.path("SendLatency").isArray()
                    ? line.path("SendLatency").size()
                    : 1;
            assertThat(line.path("SendLatency").size()).isLessThanOrEqualTo(Metrics.MAX_VALUES);
            sent += line.path("EmailsSent").asDouble(0);
        }
        assertThat(values).isEqualTo(250);
        assertThat(sent).as("a count is on the first line only").isEqualTo(250);
    }
}
