package dev.mailbatch.config;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Everything the functions read from their environment, parsed and checked once at cold start.
 * The names are the environment variables set by template.yaml (and by the local runner).
 */
public record Config(
        String tableName,
        String queueUrl,
        int maxRecipients,
        int chunkSize,
        int maxContentBytes,
        int maxBodyBytes,
        String defaultFrom,
        Set<String> allowedFrom,
        SenderKind sender,
        URI providerUrl,
        String providerToken,
        Duration providerTimeout,
        int sendConcurrency,
        Duration retention,
        Duration retryBase,
        Duration retryMax,
        int maxDeliveries) {

    /** Which EmailSender the worker uses. */
    public enum SenderKind {
        HTTP,
        SES
    }

    /** Every environment variable {@link #from} reads. */
    public static final List<String> VARIABLES = List.of(
            "TABLE_NAME",
            "QUEUE_URL",
            "MAX_RECIPIENTS",
            "CHUNK_SIZE",
            "MAX_CONTENT_BYTES",
            "MAX_BODY_BYTES",
            "DEFAULT_FROM",
            "ALLOWED_FROM",
            "SENDER",
            "PROVIDER_URL",
            "PROVIDER_TOKEN",
            "PROVIDER_TIMEOUT_MS",
            "SEND_CONCURRENCY",
            "RETENTION_DAYS",
            "RETRY_BASE_SECONDS",
            "RETRY_MAX_SECONDS",
            "MAX_DELIVERIES");

    /** DynamoDB's TransactWriteItems takes 100 actions: a chunk's recipients plus the job. */
    public static final int MAX_CHUNK_SIZE = 99;

    public Config {
        require(maxRecipients >= 1, "MAX_RECIPIENTS must be at least 1");
        require(chunkSize >= 1 && chunkSize <= MAX_CHUNK_SIZE, "CHUNK_SIZE must be 1.." + MAX_CHUNK_SIZE);
        require(maxContentBytes >= 1 && maxContentBytes <= 256 * 1024, "MAX_CONTENT_BYTES must be 1..262144");
        require(sendConcurrency >= 1 && sendConcurrency <= 256, "SEND_CONCURRENCY must be 1..256");
        require(sender != SenderKind.HTTP || providerUrl != null, "PROVIDER_URL is required when SENDER=http");
        require(
                !retryBase.isNegative() && retryMax.compareTo(retryBase) >= 0 && retryMax.toSeconds() <= 43_200,
                "need 0 <= RETRY_BASE_SECONDS <= RETRY_MAX_SECONDS <= 43200");
        require(
                maxDeliveries >= 3 && maxDeliveries <= 1000,
                "MAX_DELIVERIES must be 3..1000 (the queue's maxReceiveCount)");
        allowedFrom = allowedFrom.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Reads the configuration through a lookup such as {@code System::getenv}. */
    public static Config from(Function<String, String> env) {
        String provider = get(env, "PROVIDER_URL", "");
        return new Config(
                required(env, "TABLE_NAME"),
                required(env, "QUEUE_URL"),
                integer(env, "MAX_RECIPIENTS", 10_000),
                integer(env, "CHUNK_SIZE", 50),
                integer(env, "MAX_CONTENT_BYTES", 128 * 1024),
                integer(env, "MAX_BODY_BYTES", 4 * 1024 * 1024),
                get(env, "DEFAULT_FROM", ""),
                Arrays.stream(get(env, "ALLOWED_FROM", "").split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .collect(Collectors.toSet()),
                SenderKind.valueOf(get(env, "SENDER", "http").toUpperCase(Locale.ROOT)),
                provider.isEmpty() ? null : URI.create(provider),
                get(env, "PROVIDER_TOKEN", ""),
                Duration.ofMillis(integer(env, "PROVIDER_TIMEOUT_MS", 10_000)),
                integer(env, "SEND_CONCURRENCY", 16),
                Duration.ofDays(integer(env, "RETENTION_DAYS", 30)),
                Duration.ofSeconds(integer(env, "RETRY_BASE_SECONDS", 10)),
                Duration.ofSeconds(integer(env, "RETRY_MAX_SECONDS", 900)),
                integer(env, "MAX_DELIVERIES", 8));
    }

    private static String get(Function<String, String> env, String name, String fallback) {
        String v = env.apply(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static String required(Function<String, String> env, String name) {
        String v = get(env, name, "");
        require(!v.isEmpty(), name + " is not set");
        return v;
    }

    private static int integer(Function<String, String> env, String name, int fallback) {
        String v = get(env, name, "");
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(name + " must be a whole number, got '" + v + "'");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException("configuration: " + message);
        }
    }
}
