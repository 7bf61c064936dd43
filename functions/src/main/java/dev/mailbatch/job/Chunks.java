package dev.mailbatch.job;

import java.util.ArrayList;
import java.util.List;

/** Splits a job's recipients into the chunks carried by SQS messages. */
public final class Chunks {
    private Chunks() {}

    public static List<ChunkMessage> split(String jobId, List<EmailAddress> recipients, int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be positive");
        }
        List<ChunkMessage> chunks = new ArrayList<>();
        for (int from = 0, index = 0; from < recipients.size(); from += chunkSize, index++) {
            List<String> slice = recipients.subList(from, Math.min(from + chunkSize, recipients.size())).stream()
                    .map(EmailAddress::address)
                    .toList();
            chunks.add(ChunkMessage.of(jobId, index, slice));
        }
        return chunks;
    }
}
