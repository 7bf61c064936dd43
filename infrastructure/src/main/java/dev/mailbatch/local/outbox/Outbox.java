package dev.mailbatch.local.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The local email provider: the HTTP sender posts each email here. It keeps every email it
 * accepts with its Idempotency-Key; a second delivery with a key it has seen is acknowledged
 * with the first one's id and counted as a duplicate delivery, not as a new email (what real
 * providers do). The sink settings make it slow or failing, to watch retries happen, or make it
 * lose responses: the email is accepted, the connection closes without an answer, and the
 * sender cannot know it was sent (the case an Idempotency-Key exists for).
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

    private final Map<String, Email> byKey = new LinkedHashMap<>();
    private final List<Email> emails = new ArrayList<>();
    private volatile Sink sink;
    private long deliveries;
    private long duplicates;
    private long injectedFailures;
    private long lostResponses;
    private long conflicts;
    private final Map<String, Long> acceptedVia = new java.util.HashMap<>();
    /** Keys of requests being handled now: a second request with one gets 409, as real providers answer. */
    private final java.util.Set<String> inProgress = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The keys of the requests waiting at the gate now ({@link Sink#hold}; "" for none); guarded by {@code gate}. */
    private final List<String> held = new ArrayList<>();

    private final Object gate = new Object();

    /**
     * How long a provider keeps working on a request whose answer it lost (the client saw the
     * connection close; the server had not finished): a retry with the same key within it is
     * answered 409, as Resend and Stripe answer a key still in progress. Longer than the worker's
     * first quick retry (at most 25 ms), so a lost answer retried at once meets it.
     */
    static final java.time.Duration LOST_ANSWER_LINGER = java.time.Duration.ofMillis(100);

    public Outbox(Sink sink) {
        this.sink = sink;
    }

    public Sink sink() {
        return sink;
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
        String inFlight = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey;
        if (inFlight != null && !inProgress.add(inFlight)) {
            synchronized (this) {
                conflicts++;
            }
            return new Reply(409, "{\"error\":\"a request with this Idempotency-Key is in progress\"}");
        }
        Reply reply = null;
        try {
            reply = handle(idempotencyKey, body, via);
            return reply;
        } finally {
            if (inFlight != null) {
                if (reply != null && reply.lost()) {
                    CompletableFuture.delayedExecutor(LOST_ANSWER_LINGER.toMillis(), TimeUnit.MILLISECONDS)
                            .execute(() -> inProgress.remove(inFlight));
                } else {
                    inProgress.remove(inFlight);
                }
            }
        }
    }

    /** Waits while the sink holds requests; a change of the sink wakes every waiting one. */
    private void passGate(String idempotencyKey) throws InterruptedException {
        String key = idempotencyKey == null ? "" : idempotencyKey;
        synchronized (gate) {
            held.add(key);
            try {
                while (sink.hold()) {
                    gate.wait();
                }
            } finally {
                held.remove(key);
            }
        }
    }

    /** Requests waiting at the gate now. */
    public int held() {
        synchronized (gate) {
            return held.size();
        }
    }

    /** Requests of one job (null: of any) waiting at the gate now. */
    int held(String job) {
        synchronized (gate) {
            return job == null
                    ? held.size()
                    : (int) held.stream().filter(k -> job.equals(jobOf(k))).count();
        }
    }

    private Reply handle(String idempotencyKey, byte[] body, String via) throws InterruptedException {
        Sink now = sink;
        if (now.latencyMs() > 0) {
            Thread.sleep(now.latencyMs());
        }
        passGate(idempotencyKey);
        now = sink; // as it is when the gate opens
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
            synchronized (this) {
                injectedFailures++;
            }
            return new Reply(now.failureStatus(), "{\"error\":\"injected failure (PUT /_local/sink to change)\"}");
        }
        synchronized (this) {
            deliveries++;
            String key = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey;
            Email seen = key == null ? null : byKey.get(key);
            if (seen != null) {
                duplicates++;
                return new Reply(
                        200,
                        Json.MAPPER
                                .createObjectNode()
                                .put("id", seen.id())
                                .put("duplicate", true)
                                .toString());
            }
            Email email = new Email("local-" + (emails.size() + 1), key, message, Instant.now());
            emails.add(email);
            if (via != null) {
                acceptedVia.merge(via, 1L, Long::sum);
            }
            if (key != null) {
                byKey.put(key, email);
            }
            boolean lost = now.lossRate() > 0 && ThreadLocalRandom.current().nextDouble() < now.lossRate();
            if (lost) {
                lostResponses++;
            }
            return new Reply(
                    200, Json.MAPPER.createObjectNode().put("id", email.id()).toString(), lost);
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

    /** The counts, the sink, and the newest emails first (at most {@code limit}). */
    public ObjectNode list(int limit) {
        return list(Query.newest(limit));
    }

    /**
     * The counts, the sink, how many emails match, and one page of them, newest first, with the
     * cursor of the next (older) page or null.
     */
    public synchronized ObjectNode list(Query query) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("emails", emails.size());
        out.put("deliveries", deliveries);
        out.put("duplicateDeliveries", duplicates);
        out.put("injectedFailures", injectedFailures);
        out.put("conflicts", conflicts);
        out.put("lostResponses", lostResponses);
        out.put("held", held(query.job()));
        out.set("sink", sink.toJson());
        int below = query.cursor() == null
                ? emails.size()
                : Math.min(emails.size(), Integer.parseInt(query.cursor().substring("local-".length())) - 1);
        int matching = 0;
        for (Email e : emails) {
            if (query.matches(e)) {
                matching++;
            }
        }
        out.put("matching", matching);
        ArrayNode items = out.putArray("items");
        String next = null;
        for (int i = below - 1; i >= 0; i--) {
            Email e = emails.get(i);
            if (!query.matches(e)) {
                continue;
            }
            if (items.size() == query.limit()) {
                next = items.isEmpty()
                        ? null
                        : items.get(items.size() - 1).path("id").asText();
                break;
            }
            ObjectNode item = items.addObject()
                    .put("id", e.id())
                    .put("idempotencyKey", e.idempotencyKey())
                    .put("jobId", jobOf(e.idempotencyKey()))
                    .put("acceptedAt", e.acceptedAt().toString());
            e.message().fields().forEachRemaining(f -> item.set(f.getKey(), f.getValue()));
        }
        out.put("nextCursor", next);
        return out;
    }

    /** Every accepted email, oldest first. */
    public synchronized List<Email> emails() {
        return List.copyOf(emails);
    }

    /** Calls answered so far: accepted (first or repeat) plus injected failures. */
    public synchronized long calls() {
        return deliveries + injectedFailures;
    }

    /** New emails accepted from a sender that named itself ({@code ?via=}). */
    public synchronized long acceptedVia(String via) {
        return acceptedVia.getOrDefault(via, 0L);
    }

    public synchronized long repeatedKeys() {
        return duplicates;
    }

    public synchronized long lostResponses() {
        return lostResponses;
    }

    /** 409s: a request came while another with its Idempotency-Key was still being handled. */
    public synchronized long conflicts() {
        return conflicts;
    }

    public synchronized long injectedFailures() {
        return injectedFailures;
    }

    public synchronized void clear() {
        emails.clear();
        byKey.clear();
        acceptedVia.clear();
        deliveries = 0;
        duplicates = 0;
        injectedFailures = 0;
        conflicts = 0;
        lostResponses = 0;
    }

    /** Changes the sink; fields left out keep their values. */
    public Sink update(JsonNode change) {
        Sink current = sink;
        Sink next = new Sink(
                change.has("latencyMs") ? integer(change, "latencyMs") : current.latencyMs(),
                change.has("failureRate") ? number(change, "failureRate") : current.failureRate(),
                change.has("failureStatus") ? integer(change, "failureStatus") : current.failureStatus(),
                change.has("lossRate") ? number(change, "lossRate") : current.lossRate(),
                change.has("hold") ? bool(change, "hold") : current.hold());
        synchronized (gate) {
            sink = next;
            gate.notifyAll();
        }
        return next;
    }

    private static int integer(JsonNode node, String field) {
        if (!node.path(field).canConvertToExactIntegral() || !node.path(field).canConvertToInt()) {
            throw new IllegalArgumentException(field + ": must be a whole number");
        }
        return node.path(field).intValue();
    }

    private static boolean bool(JsonNode node, String field) {
        if (!node.path(field).isBoolean()) {
            throw new IllegalArgumentException(field + ": must be true or false");
        }
        return node.path(field).booleanValue();
    }

    private static double number(JsonNode node, String field) {
        if (!node.path(field).isNumber()) {
            throw new IllegalArgumentException(field + ": must be a number");
        }
        return node.path(field).doubleValue();
    }
}
