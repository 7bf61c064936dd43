package dev.mailbatch.job;

import java.util.List;

/**
 * A slice of one job's recipients: the work one queue message carries (as JSON, the record's
 * components by name). The content is not repeated here; the worker reads it from the job.
 *
 * @param v the message format version
 * @param chunk the slice's index within the job (0-based)
 * @param to the recipients, as validated and normalised at submit
 */
public record ChunkMessage(int v, String jobId, int chunk, List<String> to) {
    /** 2: chunks in address order, recorded in one item per chunk (1: one item per recipient). */
    public static final int VERSION = 2;

    public static ChunkMessage of(String jobId, int chunk, List<String> to) {
        return new ChunkMessage(VERSION, jobId, chunk, to);
    }
}
