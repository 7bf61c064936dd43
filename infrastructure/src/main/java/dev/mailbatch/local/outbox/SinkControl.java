package dev.mailbatch.local.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The sink as it is now and what it does to a request before the outbox looks at it: the latency
 * it waits, then the gate it holds every request at while {@link Outbox.Sink#hold} is set. A
 * change (PUT /_local/sink's body, merged over the sink now) wakes every request at the gate.
 */
final class SinkControl {
    private volatile Outbox.Sink sink;
    /** The keys of the requests waiting at the gate now ("" for none); guarded by {@code gate}. */
    private final List<String> held = new ArrayList<>();

    private final Object gate = new Object();

    SinkControl(Outbox.Sink sink) {
        this.sink = sink;
    }

    Outbox.Sink sink() {
        return sink;
    }

    /**
     * Waits out the sink's latency, then while the sink holds requests.
     *
     * @return the sink as it is when the request goes on
     */
    Outbox.Sink pass(String idempotencyKey) throws InterruptedException {
        Outbox.Sink now = sink;
        if (now.latencyMs() > 0) {
            Thread.sleep(now.latencyMs());
        }
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
        return sink;
    }

    /** Requests waiting at the gate now. */
    int held() {
        synchronized (gate) {
            return held.size();
        }
    }

    /** Requests of one job (null: of any) waiting at the gate now. */
    int held(String job) {
        synchronized (gate) {
            return job == null
                    ? held.size()
                    : (int) held.stream()
                            .filter(k -> job.equals(Outbox.jobOf(k)))
                            .count();
        }
    }

    /** Changes the sink; fields left out keep their values. */
    Outbox.Sink update(JsonNode change) {
        Outbox.Sink current = sink;
        Outbox.Sink next = new Outbox.Sink(
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
