package dev.mailbatch.local.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * The local email provider: the HTTP sender posts each email here. It keeps every email it
 * accepts with its Idempotency-Key; a second delivery with a key it has seen is acknowledged
 * with the first one's id and counted as a duplicate delivery, not as a new email (what real
 * providers do). The sink settings make it slow or failing, to watch retries happen, or make it
 * lose responses: the email is accepted, the connection closes without an answer, and the
 * sender cannot know it was sent (the case an Idempotency-Key exists for).
 *
 * <p>This class is the outbox's face and its vocabulary (the sink, an email, a reply, a query);
 * the work is done by {@link SinkControl} (latency, the hold gate, changes of the sink),
 * {@link KeysInProgress} (the 409 to a key in progress) and {@link EmailStore} (the emails, the
 * counts, the listing). The HTTP endpoints are {@code LocalServer}'s.
 */
public final class Outbox {
    /**
     * How the provider behaves: latency before each answer, a share of calls that fail with
     * {@code failureStatus}, a share of accepted emails whose answer is lost, and whether it holds
     * every request (after its latency, before it is accepted or failed) until {@code hold} is
     * set false again: a gate a test opens, so "still sending" is a state it can count on.
     */
    public record Sink(int latencyMs, double failureRate, int failureStatus, double lossRate, boolean hold) {
        public Sink(int latencyMs, double failureRate, int failureStatus, double lossRate) {
            this(latencyMs, failureRate, failureStatus, lossRate, false);
        }

        public Sink {
            if (latencyMs < 0 || latencyMs > 60_000) {
                throw new IllegalArgumentException("latencyMs: must be 0..60000");
            }
            if (!(failureRate >= 0 && failureRate <= 1)) {
                throw new IllegalArgumentException("failureRate: must be 0..1");
            }
            if (failureStatus < 400 || failureStatus > 599) {
                throw new IllegalArgumentException("failureStatus: must be 400..599");
            }
            if (!(lossRate >= 0 && lossRate <= 1)) {
                throw new IllegalArgumentException("lossRate: must be 0..1");
            }
        }

        /**
         * From OUTBOX_LATENCY_MS, OUTBOX_FAILURE_RATE, OUTBOX_FAILURE_STATUS, OUTBOX_LOSS_RATE
         * (defaults 0, 0, 503, 0).
         */
        public static Sink fromEnvironment(Function<String, String> env) {
            try {
                return new Sink(
                        Integer.parseInt(orDefault(env.apply("OUTBOX_LATENCY_MS"), "0")),
                        Double.parseDouble(orDefault(env.apply("OUTBOX_FAILURE_RATE"), "0")),
                        Integer.parseInt(orDefault(env.apply("OUTBOX_FAILURE_STATUS"), "503")),
                        Double.parseDouble(orDefault(env.apply("OUTBOX_LOSS_RATE"), "0")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "OUTBOX_LATENCY_MS, OUTBOX_FAILURE_RATE, OUTBOX_FAILURE_STATUS, OUTBOX_LOSS_RATE: "
                                + e.getMessage());
            }
        }

        private static String orDefault(String v, String fallback) {
            return v == null || v.isBlank() ? fallback : v.trim();
        }

        public ObjectNode toJson() {
            return Json.MAPPER
                    .createObjectNode()
                    .put("latencyMs", latencyMs)
                    .put("failureRate", failureRate)
                    .put("failureStatus", failureStatus)
                    .put("lossRate", lossRate)
                    .put("hold", hold);
        }
    }

    /** One email the provider accepted. */
    public record Email(String id, String idempotencyKey, JsonNode message, Instant acceptedAt) {}

    /** A reply to one HTTP call on the outbox; {@code lost}: close the connection instead of answering. */
    public record Reply(int status, String json, boolean lost) {
        Reply(int status, String json) {
            this(status, json, false);
        }
    }

    /**
     * What to list: the emails whose recipient or subject contains {@code text} (any case; empty:
     * all), of one job (null: any), newest first, at most {@code limit}, older than the email a
     * cursor names (null: from the newest).
     */
    public record Query(String text, String job, int limit, String cursor) {
        /** The most one page holds. */
        public static final int MAX_LIMIT = 1000;

        public Query {
            text = text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT);
            job = job == null || job.isBlank() ? null : job.strip();
            if (limit < 0 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit: must be 0..1000");
            }
            if (cursor != null && !cursor.matches("local-[1-9][0-9]{0,8}")) {
                throw new IllegalArgumentException("cursor: not a cursor this outbox gave");
            }
        }

        /** The newest {@code limit} emails. */
        public static Query newest(int limit) {
            return new Query("", null, limit, null);
        }

        boolean matches(Email email) {
            if (job != null && !job.equals(jobOf(email.idempotencyKey()))) {
                return false;
            }
            return text.isEmpty()
                    || email.message()
                            .path("to")
                            .asText()
                            .toLowerCase(java.util.Locale.ROOT)
                            .contains(text)
                    || email.message()
                            .path("subject")
                            .asText()
                            .toLowerCase(java.util.Locale.ROOT)
                            .contains(text);
        }
    }

    /** The job a delivery key names ({@code mb-<job id>-<digest>}, as the worker makes them), or null. */
    static String jobOf(String idempotencyKey) {
        if (idempotencyKey == null || !idempotencyKey.startsWith("mb-")) {
            return null;
        }
        int last = idempotencyKey.lastIndexOf('-');
        return last > 3 ? idempotencyKey.substring(3, last) : null;
    }

    private final SinkControl control;
    private final KeysInProgress inProgress = new KeysInProgress();
    private final EmailStore store = new EmailStore();

    public Outbox(Sink sink) {
        this.control = new SinkControl(sink);
    }

    public Sink sink() {
        return control.sink();
    }

    /** POST of one email, as the HTTP sender sends it. */
    public Reply deliver(String idempotencyKey, byte[] body) throws InterruptedException {
        return deliver(idempotencyKey, body, null);
    }

    /**
     * POST of one email from a sender that names itself ({@code ?via=} on the provider URL: the
     * chaos harness's worker process), so that what each sender delivered can be counted.
     */
    public Reply deliver(String idempotencyKey, byte[] body, String via) throws InterruptedException {
        if (!inProgress.take(idempotencyKey)) {
            store.conflict();
            return new Reply(409, "{\"error\":\"a request with this Idempotency-Key is in progress\"}");
        }
        Reply reply = null;
        try {
            reply = handle(idempotencyKey, body, via);
            return reply;
        } finally {
            inProgress.free(idempotencyKey, reply != null && reply.lost());
        }
    }

    private Reply handle(String idempotencyKey, byte[] body, String via) throws InterruptedException {
        Sink now = control.pass(idempotencyKey); // as it is when the gate opens
        JsonNode message;
        try {
            message = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return new Reply(400, "{\"error\":\"body is not JSON\"}");
        }
        if (message == null
                || !message.path("to").isTextual()
                || !message.path("from").isTextual()) {
            return new Reply(422, "{\"error\":\"from and to are required\"}");
        }
        if (now.failureRate() > 0 && ThreadLocalRandom.current().nextDouble() < now.failureRate()) {
            store.injectedFailure();
            return new Reply(now.failureStatus(), "{\"error\":\"injected failure (PUT /_local/sink to change)\"}");
        }
        return store.accept(idempotencyKey, message, via, now.lossRate());
    }

    /** Requests waiting at the gate now ({@link Sink#hold}). */
    public int held() {
        return control.held();
    }

    /** The counts, the sink, and the newest emails first (at most {@code limit}). */
    public ObjectNode list(int limit) {
        return list(Query.newest(limit));
    }

    /**
     * The counts, the sink, how many emails match, and one page of them, newest first, with the
     * cursor of the next (older) page or null.
     */
    public ObjectNode list(Query query) {
        return store.list(query, control.sink(), control.held(query.job()));
    }

    /** Every accepted email, oldest first. */
    public List<Email> emails() {
        return store.emails();
    }

    /** Calls answered so far: accepted (first or repeat) plus injected failures. */
    public long calls() {
        return store.calls();
    }

    /** New emails accepted from a sender that named itself ({@code ?via=}). */
    public long acceptedVia(String via) {
        return store.acceptedVia(via);
    }

    public long repeatedKeys() {
        return store.repeatedKeys();
    }

    public long lostResponses() {
        return store.lostResponses();
    }

    /** 409s: a request came while another with its Idempotency-Key was still being handled. */
    public long conflicts() {
        return store.conflicts();
    }

    public long injectedFailures() {
        return store.injectedFailures();
    }

    public void clear() {
        store.clear();
    }

    /** Changes the sink; fields left out keep their values; a request held at the gate goes on if it ends the hold. */
    public Sink update(JsonNode change) {
        return control.update(change);
    }
}
