package dev.mailbatch.job;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Splits a job's recipients into the chunks carried by SQS messages, in address order (by
 * recipient key): each chunk's recipients, and the chunks one after the other, so that the
 * chunks' records list the job's recipients in address order.
 */
public final class Chunks {
    private Chunks() {}

    public static List<ChunkMessage> split(String jobId, List<EmailAddress> recipients, int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be positive");
        }
        List<EmailAddress> sorted = recipients.stream()
                .sorted(Comparator.comparing(EmailAddress::key))
                .toList();
        List<ChunkMessage> chunks = new ArrayList<>();
        for (int from = 0, index = 0; from < sorted.size(); from += chunkSize, index++) {
            List<String> slice = sorted.subList(from, Math.min(from + chunkSize, sorted.size())).stream()
                    .map(EmailAddress::address)
                    .toList();
            chunks.add(ChunkMessage.of(jobId, index, slice));
        }
        return chunks;
    }
}
