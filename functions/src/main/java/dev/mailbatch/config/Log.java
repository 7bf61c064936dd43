package dev.mailbatch.config;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Structured logs: one JSON object per line with top-level fields a log query can filter on
 * ({@code service}, {@code requestId}, {@code jobId}, {@code messageId}, ...), never a sentence
 * with {@code key=value} inside it.
 *
 * <p>In Lambda the lines go to standard output. With the functions' {@code LogFormat: JSON},
 * Lambda passes a line that is a JSON object through as it is, while what {@code LambdaLogger}
 * writes becomes a string inside a {@code message} field: checked under the real runtime
 * (aws-lambda-rie and the Java runtime interface client, {@code AWS_LAMBDA_LOG_FORMAT=JSON}).
 * A dependency-free writer rather than log4j2 and Powertools: the same output without their
 * start-up cost on every cold start (README § Observability).
 */
public final class Log {
    /** The levels the functions use, in Lambda's words. */
    public enum Level {
        DEBUG,
        INFO,
        WARN,
        ERROR
    }

    private final String service;
    private final Consumer<String> sink;
    private final Level threshold;

    /**
     * @param service the function's short name (SubmitBatch, JobStatus, CancelJob, SendEmails)
     * @param sink where each line goes: standard output in Lambda ({@link Wiring#lambda})
     */
    public Log(String service, Consumer<String> sink) {
        this(service, sink, Level.INFO);
    }

    /** @param threshold lines below it are not written */
    public Log(String service, Consumer<String> sink, Level threshold) {
        this.service = service;
        this.sink = sink;
        this.threshold = threshold;
    }

    /**
     * A function's log, its threshold the template's {@code LogLevel} ({@code LOG_LEVEL}; INFO if
     * unset). Lambda's own application log level stays at TRACE: a line without a level, such as a
     * metrics line ({@link Metrics}), is INFO to Lambda, and a higher level there would drop it.
     */
    public static Log of(String service, Wiring wiring) {
        String level = new Settings(wiring.env()).get("LOG_LEVEL", "INFO");
        try {
            return new Log(service, wiring.logs(), Level.valueOf(level.trim().toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("configuration: LOG_LEVEL must be DEBUG, INFO, WARN or ERROR");
        }
    }

    public Line info(Context context, String message) {
        return new Line(Level.INFO, context, message);
    }

    public Line warn(Context context, String message) {
        return new Line(Level.WARN, context, message);
    }

    public Line error(Context context, String message) {
        return new Line(Level.ERROR, context, message);
    }

    /** One log line being built: its fields, then {@link #write}. */
    public final class Line {
        private final ObjectNode json = Json.MAPPER.createObjectNode();
        private final Level level;

        private Line(Level level, Context context, String message) {
            this.level = level;
            json.put("timestamp", Instant.now().toString());
            json.put("level", level.name());
            json.put("service", service);
            json.put("requestId", context == null ? null : context.getAwsRequestId());
            json.put("message", message);
            String trace = traceId();
            if (trace != null) {
                json.put("xrayTraceId", trace);
            }
        }

        public Line with(String field, String value) {
            json.put(field, value);
            return this;
        }

        public Line with(String field, long value) {
            json.put(field, value);
            return this;
        }

        public Line with(String field, boolean value) {
            json.put(field, value);
            return this;
        }

        public void write() {
            if (level.compareTo(threshold) >= 0) {
                sink.accept(json.toString());
            }
        }
    }

    /**
     * The invocation's X-Ray trace id (Root=...), which the Java runtime keeps in a system property
     * while active tracing is on; null otherwise.
     */
    static String traceId() {
        String header = System.getProperty("com.amazonaws.xray.traceHeader");
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            if (part.startsWith("Root=")) {
                return part.substring("Root=".length());
            }
        }
        return null;
    }
}
