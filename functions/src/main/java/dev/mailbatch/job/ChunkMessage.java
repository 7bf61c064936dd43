package dev.mailbatch.job;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The body of one SQS message: a slice of one job's recipients. The content is not repeated
 * here; the worker reads it from the job record.
 *
 * @param v the message format version
 * @param chunk the slice's index within the job (0-based)
 * @param to the recipients, as validated and normalised at submit
 */
public record ChunkMessage(
        @JsonProperty("v") int v,
        @JsonProperty("jobId") String jobId,
        @JsonProperty("chunk") int chunk,
        @JsonProperty("to") List<String> to) {
    public static final int VERSION = 1;

    public static ChunkMessage of(String jobId, int chunk, List<String> to) {
        return new ChunkMessage(VERSION, jobId, chunk, to);
    }
}
