package dev.mailbatch.config;

import static dev.mailbatch.config.Settings.require;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * The SendEmails function's configuration: how it sends, how hard, and how it retries. The names
 * are the environment variables template.yaml sets for it (and only it). The provider token is not
 * one of them: only the name of the SSM parameter that holds it ({@link SecretParameter}).
 *
 * @param providerUrl https, or http to a loopback address (a local provider)
 * @param providerTokenParameter the SSM SecureString parameter holding the provider's bearer token, or ""
 * @param maxSendRate emails per second across every worker instance of the stack
 * @param maxWorkers how many worker instances may run at once (the function's reserved concurrency)
 */
public record WorkerConfig(
        String tableName,
        String queueUrl,
        SenderKind sender,
        URI providerUrl,
        String providerTokenParameter,
        Duration providerTimeout,
        int sendConcurrency,
        Duration retryBase,
        Duration retryMax,
        int maxDeliveries,
        int maxSendRate,
        int maxWorkers) {

    /** Which EmailSender the worker uses. */
    public enum SenderKind {
        HTTP,
        SES
    }

    /** The longest a chunk may spend retrying: well inside the work queue's 14-day retention. */
    public static final Duration MAX_RETRYING = Duration.ofHours(300);

    public WorkerConfig {
        require(sendConcurrency >= 1 && sendConcurrency <= 256, "SEND_CONCURRENCY must be 1..256");
        require(sender != SenderKind.HTTP || providerUrl != null, "PROVIDER_URL is required when SENDER=http");
        require(
                providerUrl == null || isHttpsOrLoopback(providerUrl),
                "PROVIDER_URL must be https (http only to a loopback address)");
        require(
                !retryBase.isNegative() && retryMax.compareTo(retryBase) >= 0 && retryMax.toSeconds() <= 43_200,
                "need 0 <= RETRY_BASE_SECONDS <= RETRY_MAX_SECONDS <= 43200");
        require(maxSendRate >= 1 && maxSendRate <= 100_000, "MAX_SEND_RATE must be 1..100000 (emails per second)");
        require(
                maxWorkers >= 1 && maxWorkers <= 1_000,
                "MAX_WORKERS must be 1..1000 (the worker's reserved concurrency)");
        require(
                maxDeliveries >= 3 && maxDeliveries <= 100,
                "MAX_DELIVERIES must be 3..100 (the queue's maxReceiveCount)");
        require(
                maxDeliveries * retryMax.toSeconds() <= MAX_RETRYING.toSeconds(),
                "MAX_DELIVERIES x RETRY_MAX_SECONDS must be at most 12.5 days: the queue keeps a message 14");
    }

    private static boolean isHttpsOrLoopback(URI url) {
        String host = url.getHost() == null ? "" : url.getHost();
        return "https".equalsIgnoreCase(url.getScheme())
                || ("http".equalsIgnoreCase(url.getScheme())
                        && (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]")));
    }

    /** Reads the configuration through a lookup such as {@code System::getenv}. */
    public static WorkerConfig from(Function<String, String> env) {
        Settings s = new Settings(env);
        String provider = s.get("PROVIDER_URL", "");
        SenderKind sender = switch (s.get("SENDER", "http").toLowerCase(Locale.ROOT)) {
            case "http" -> SenderKind.HTTP;
            case "ses" -> SenderKind.SES;
            default -> throw new IllegalStateException("configuration: SENDER must be http or ses");
        };
        return new WorkerConfig(
                s.required("TABLE_NAME"),
                s.required("QUEUE_URL"),
                sender,
                provider.isEmpty() ? null : URI.create(provider),
                s.get("PROVIDER_TOKEN_PARAMETER", ""),
                Duration.ofMillis(s.integer("PROVIDER_TIMEOUT_MS", 10_000)),
                s.integer("SEND_CONCURRENCY", 16),
                Duration.ofSeconds(s.integer("RETRY_BASE_SECONDS", 10)),
                Duration.ofSeconds(s.integer("RETRY_MAX_SECONDS", 900)),
                s.integer("MAX_DELIVERIES", 8),
                s.integer("MAX_SEND_RATE", 50),
                s.integer("MAX_WORKERS", 5));
    }
}
