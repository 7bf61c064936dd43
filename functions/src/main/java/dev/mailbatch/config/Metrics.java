package dev.mailbatch.config;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * CloudWatch metrics in the embedded metric format (EMF): a function adds to them while it runs
 * and {@link #flush}es once per invocation, one log line that CloudWatch turns into metrics of
 * the namespace {@value #NAMESPACE}, dimension {@code service}. No API call and no permission:
 * the line goes where the logs go ({@link Log}).
 *
 * <p>A count is summed until the flush; a value such as a latency is kept one by one, at most
 * {@value #MAX_VALUES} a line (EMF's limit), so CloudWatch has its percentiles.
 */
public final class Metrics {
    public static final String NAMESPACE = "mailbatch";
    static final int MAX_VALUES = 100;

    /** The units the functions use, in CloudWatch's words. */
    public enum Unit {
        COUNT("Count"),
        MILLISECONDS("Milliseconds"),
        SECONDS("Seconds");

        private final String cloudWatch;

        Unit(String cloudWatch) {
            this.cloudWatch = cloudWatch;
        }
    }

    private record Kept(Unit unit, boolean summed, List<Double> values) {}

    private final String service;
    private final Consumer<String> sink;
    private final Clock clock;
    private final Map<String, Kept> kept = new LinkedHashMap<>();

    public Metrics(String service, Consumer<String> sink, Clock clock) {
        this.service = service;
        this.sink = sink;
        this.clock = clock;
    }

    /** Adds {@code n} to a count. */
    public synchronized void count(String name, long n) {
        if (n == 0) {
            return;
        }
        Kept k = kept.computeIfAbsent(name, x -> new Kept(Unit.COUNT, true, new ArrayList<>(List.of(0.0))));
        k.values().set(0, k.values().getFirst() + n);
    }

    /** Keeps one value of a distribution (a latency, a duration). */
    public synchronized void value(String name, Unit unit, double value) {
        kept.computeIfAbsent(name, x -> new Kept(unit, false, new ArrayList<>()))
                .values()
                .add(value);
    }

    /** Writes what was added since the last flush (nothing if nothing was), and starts again. */
    public void flush() {
        Map<String, Kept> now;
        synchronized (this) {
            if (kept.isEmpty()) {
                return;
            }
            now = new LinkedHashMap<>(kept);
            kept.clear();
        }
        int lines = now.values().stream()
                .mapToInt(k -> (k.values().size() + MAX_VALUES - 1) / MAX_VALUES)
                .max()
                .orElse(1);
        for (int line = 0; line < lines; line++) {
            ObjectNode json = Json.MAPPER.createObjectNode();
            ObjectNode aws = json.putObject("_aws");
            aws.put("Timestamp", clock.millis());
            ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
            directive.put("Namespace", NAMESPACE);
            directive.putArray("Dimensions").addArray().add("service");
            ArrayNode definitions = directive.putArray("Metrics");
            json.put("service", service);
            for (Map.Entry<String, Kept> e : now.entrySet()) {
                List<Double> values = e.getValue().values();
                int from = line * MAX_VALUES;
                if (from >= values.size()) {
                    continue;
                }
                definitions
                        .addObject()
                        .put("Name", e.getKey())
                        .put("Unit", e.getValue().unit().cloudWatch);
                List<Double> part = values.subList(from, Math.min(values.size(), from + MAX_VALUES));
                if (e.getValue().summed() || part.size() == 1) {
                    json.put(e.getKey(), part.getFirst());
                } else {
                    ArrayNode array = json.putArray(e.getKey());
                    part.forEach(array::add);
                }
            }
            sink.accept(json.toString());
        }
    }
}
