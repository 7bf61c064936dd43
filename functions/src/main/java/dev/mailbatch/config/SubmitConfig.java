package dev.mailbatch.config;

import static dev.mailbatch.config.Settings.require;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The SubmitBatch function's configuration: what a batch may be, where it goes, how long it is
 * kept, and each owner's quotas. The names are the environment variables template.yaml sets for it (and only it).
 */
public record SubmitConfig(
        String tableName,
        String queueUrl,
        int maxRecipients,
        int chunkSize,
        int maxContentBytes,
        int maxBodyBytes,
        String defaultFrom,
        Set<String> allowedFrom,
        Duration retention,
        long quotaRecipientsPerDay,
        int quotaOpenJobs) {

    /** DynamoDB's TransactWriteItems takes 100 actions: a chunk's recipients plus the job. */
    public static final int MAX_CHUNK_SIZE = 99;

    public SubmitConfig {
        require(maxRecipients >= 1, "MAX_RECIPIENTS must be at least 1");
        require(chunkSize >= 1 && chunkSize <= MAX_CHUNK_SIZE, "CHUNK_SIZE must be 1.." + MAX_CHUNK_SIZE);
        require(maxContentBytes >= 1 && maxContentBytes <= 256 * 1024, "MAX_CONTENT_BYTES must be 1..262144");
        require(maxBodyBytes >= 1, "MAX_BODY_BYTES must be at least 1");
        require(quotaRecipientsPerDay >= 1, "QUOTA_RECIPIENTS_PER_DAY must be at least 1");
        require(quotaOpenJobs >= 1, "QUOTA_OPEN_JOBS must be at least 1");
        allowedFrom = allowedFrom.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Reads the configuration through a lookup such as {@code System::getenv}. */
    public static SubmitConfig from(Function<String, String> env) {
        Settings s = new Settings(env);
        return new SubmitConfig(
                s.required("TABLE_NAME"),
                s.required("QUEUE_URL"),
                s.integer("MAX_RECIPIENTS", 10_000),
                s.integer("CHUNK_SIZE", 50),
                s.integer("MAX_CONTENT_BYTES", 128 * 1024),
                s.integer("MAX_BODY_BYTES", 4 * 1024 * 1024),
                s.get("DEFAULT_FROM", ""),
                Arrays.stream(s.get("ALLOWED_FROM", "").split(","))
                        .map(String::trim)
                        .filter(a -> !a.isEmpty())
                        .collect(Collectors.toSet()),
                Duration.ofDays(s.integer("RETENTION_DAYS", 30)),
                s.integer("QUOTA_RECIPIENTS_PER_DAY", 100_000),
                s.integer("QUOTA_OPEN_JOBS", 20));
    }
}
