package dev.mailbatch.local.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mailbatch.config.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the outbox accepted and counted: every email once per Idempotency-Key (a repeat is
 * acknowledged with the first one's id and counted, not kept), the counts of the calls (deliveries,
 * repeats, injected failures, lost answers, 409s, what each named sender delivered), and the
 * listing of the emails a page at a time, newest first. Every method holds the store's lock.
 */
final class EmailStore {
    private final Map<String, Outbox.Email> byKey = new LinkedHashMap<>();
    private final List<Outbox.Email> emails = new ArrayList<>();
    private final Map<String, Long> acceptedVia = new HashMap<>();
    private long deliveries;
    private long duplicates;
    private long injectedFailures;
    private long lostResponses;
    private long conflicts;

    /**
     * Takes one email: a key seen before answers with the first email's id; a new email is kept,
     * and its answer lost with probability {@code lossRate}.
     */
    synchronized Outbox.Reply accept(String idempotencyKey, JsonNode message, String via, double lossRate) {
        deliveries++;
        String key = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey;
        Outbox.Email seen = key == null ? null : byKey.get(key);
        if (seen != null) {
            duplicates++;
            return new Outbox.Reply(
                    200,
                    Json.MAPPER
                            .createObjectNode()
                            .put("id", seen.id())
                            .put("duplicate", true)
                            .toString());
        }
        Outbox.Email email = new Outbox.Email("local-" + (emails.size() + 1), key, message, Instant.now());
        emails.add(email);
        if (via != null) {
            acceptedVia.merge(via, 1L, Long::sum);
        }
        if (key != null) {
            byKey.put(key, email);
        }
        boolean lost = lossRate > 0 && ThreadLocalRandom.current().nextDouble() < lossRate;
        if (lost) {
            lostResponses++;
        }
        return new Outbox.Reply(
                200, Json.MAPPER.createObjectNode().put("id", email.id()).toString(), lost);
    }

    /** Counts a call the sink failed on purpose. */
    synchronized void injectedFailure() {
        injectedFailures++;
    }

    /** Counts a 409: a request came while another with its Idempotency-Key was still being handled. */
    synchronized void conflict() {
        conflicts++;
    }

    /**
     * The counts, the sink and the requests {@code held} at its gate, how many emails match, and
     * one page of them, newest first, with the cursor of the next (older) page or null.
     */
    synchronized ObjectNode list(Outbox.Query query, Outbox.Sink sink, int held) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("emails", emails.size());
        out.put("deliveries", deliveries);
        out.put("duplicateDeliveries", duplicates);
        out.put("injectedFailures", injectedFailures);
        out.put("conflicts", conflicts);
        out.put("lostResponses", lostResponses);
        out.put("held", held);
        out.set("sink", sink.toJson());
        int below = query.cursor() == null
                ? emails.size()
                : Math.min(emails.size(), Integer.parseInt(query.cursor().substring("local-".length())) - 1);
        int matching = 0;
        for (Outbox.Email e : emails) {
            if (query.matches(e)) {
                matching++;
            }
        }
        out.put("matching", matching);
        ArrayNode items = out.putArray("items");
        String next = null;
        for (int i = below - 1; i >= 0; i--) {
            Outbox.Email e = emails.get(i);
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
                    .put("jobId", Outbox.jobOf(e.idempotencyKey()))
                    .put("acceptedAt", e.acceptedAt().toString());
            e.message().fields().forEachRemaining(f -> item.set(f.getKey(), f.getValue()));
        }
        out.put("nextCursor", next);
        return out;
    }

    synchronized List<Outbox.Email> emails() {
        return List.copyOf(emails);
    }

    synchronized long calls() {
        return deliveries + injectedFailures;
    }

    synchronized long acceptedVia(String via) {
        return acceptedVia.getOrDefault(via, 0L);
    }

    synchronized long repeatedKeys() {
        return duplicates;
    }

    synchronized long lostResponses() {
        return lostResponses;
    }

    synchronized long conflicts() {
        return conflicts;
    }

    synchronized long injectedFailures() {
        return injectedFailures;
    }

    synchronized void clear() {
        emails.clear();
        byKey.clear();
        acceptedVia.clear();
        deliveries = 0;
        duplicates = 0;
        injectedFailures = 0;
        conflicts = 0;
        lostResponses = 0;
    }
}
