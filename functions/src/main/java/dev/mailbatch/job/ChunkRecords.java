package dev.mailbatch.job;

import java.util.Map;

/**
 * The records of one chunk's recipients, by recipient key, as read at {@code version}: the
 * chunk's item changes only by a write conditional on the version it replaces.
 *
 * @param version 0 while the chunk has no record yet
 */
public record ChunkRecords(long version, Map<String, Recipient> byKey) {
    public static final ChunkRecords NONE = new ChunkRecords(0, Map.of());

    public ChunkRecords {
        byKey = Map.copyOf(byKey);
    }

    /** The recipient's record, or null if it has none yet. */
    public Recipient get(String key) {
        return byKey.get(key);
    }
}
