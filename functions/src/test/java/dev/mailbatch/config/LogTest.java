package dev.mailbatch.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogTest {
    @Test
    void aLineIsOneJsonObjectWithItsFieldsAtTheTopLevel() throws Exception {
        List<String> lines = new ArrayList<>();
        Log log = new Log("SubmitBatch", lines::add);
        System.setProperty(
                "com.amazonaws.xray.traceHeader",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
        try {
            log.warn(null, "job \"submitted\"\nwith a line break")
                    .with("jobId", "j-1")
                    .with("total", 3)
                    .with("idempotencyKey", true)
                    .write();
        } finally {
            System.clearProperty("com.amazonaws.xray.traceHeader");
        }

        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst()).doesNotContain("\n");
        JsonNode line = Json.MAPPER.readTree(lines.getFirst());
        assertThat(line.path("service").asText()).isEqualTo("SubmitBatch");
        assertThat(line.path("level").asText()).isEqualTo("WARN");
        assertThat(line.path("message").asText()).isEqualTo("job \"submitted\"\nwith a line break");
        assertThat(line.path("jobId").asText()).isEqualTo("j-1");
        assertThat(line.path("total").asLong()).isEqualTo(3);
        assertThat(line.path("idempotencyKey").asBoolean()).isTrue();
        assertThat(line.path("xrayTraceId").asText()).isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
        assertThat(line.path("timestamp").asText()).endsWith("Z");
    }
}
