package dev.mailbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.api.Json;
import dev.mailbatch.worker.Faults;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The chaos harness: the whole local stack (moto, the real handlers, the outbox) under the
 * faults at-least-once delivery brings, then an audit of what reached the provider against what
 * the API reports. The faults: the outbox fails a share of calls transiently (503) and accepts a
 * share of emails but loses the answer; a share of the SQS messages the worker receives is
 * delivered a second time; the worker is killed mid-batch a number of times, at the points where
 * dying leaves the most half-done (after reading, after an email reached the provider, between
 * the sends and the record, between the record and the acknowledgement).
 *
 * <p>{@code infrastructure/bin/chaos [--jobs=200] [--recipients=50] [--failure-rate=0.3]
 * [--loss-rate=0.05] [--duplicate-rate=0.05] [--kills=20] [--seed=N]}; exits 0 only when the
 * audit finds nothing lost, nothing delivered twice, every job finished and every counter exact.
 */
public final class ChaosHarness {

    /** What to inflict. */
    public record Scenario(
            int jobs,
            int recipients,
            double failureRate,
            double lossRate,
            double duplicateRate,
            int kills,
            long seed,
            int maxDeliveries,
            Duration deadline) {

        public static Scenario defaults() {
            return new Scenario(200, 50, 0.30, 0.05, 0.05, 20, System.nanoTime(), 15, Duration.ofMinutes(20));
        }

        static Scenario parse(String[] args) {
            Scenario s = defaults();
            for (String arg : args) {
                String[] kv = arg.replaceFirst("^--", "").split("=", 2);
                if (kv.length != 2) {
                    throw new IllegalArgumentException("expected --name=value, got " + arg);
                }
                String v = kv[1];
                s = switch (kv[0]) {
                    case "jobs" ->
                        new Scenario(
                                Integer.parseInt(v),
                                s.recipients,
                                s.failureRate,
                                s.lossRate,
                                s.duplicateRate,
                                s.kills,
                                s.seed,
                                s.maxDeliveries,
                                s.deadline);
                    case "recipients" ->
                        new Scenario(
                                s.jobs,
                                Integer.parseInt(v),
                                s.failureRate,
                                s.lossRate,
                                s.duplicateRate,
                                s.kills,
                                s.seed,
                                s.maxDeliveries,
                                s.deadline);
                    case "failure-rate" ->
                        new Scenario(
                                s.jobs,
                                s.recipients,
                                Double.parseDouble(v),
                                s.lossRate,
                                s.duplicateRate,
                                s.kills,
                                s.seed,
                                s.maxDeliveries,
                                s.deadline);
                    case "loss-rate" ->
                        new Scenario(
                                s.jobs,
                                s.recipients,
                                s.failureRate,
                                Double.parseDouble(v),
                                s.duplicateRate,
                                s.kills,
                                s.seed,
                                s.maxDeliveries,
                                s.deadline);
                    case "duplicate-rate" ->
                        new Scenario(
                                s.jobs,
                                s.recipients,
                                s.failureRate,
                                s.lossRate,
                                Double.parseDouble(v),
                                s.kills,
                                s.seed,
                                s.maxDeliveries,
                                s.deadline);
                    case "kills" ->
                        new Scenario(
                                s.jobs,
                                s.recipients,
                                s.failureRate,
                                s.lossRate,
                                s.duplicateRate,
                                Integer.parseInt(v),
                                s.seed,
                                s.maxDeliveries,
                                s.deadline);
                    case "seed" ->
                        new Scenario(
                                s.jobs,
                                s.recipients,
                                s.failureRate,
                                s.lossRate,
                                s.duplicateRate,
                                s.kills,
                                Long.parseLong(v),
                                s.maxDeliveries,
                                s.deadline);
                    case "max-deliveries" ->
                        new Scenario(
                                s.jobs,
                                s.recipients,
                                s.failureRate,
                                s.lossRate,
                                s.duplicateRate,
                                s.kills,
                                s.seed,
                                Integer.parseInt(v),
                                s.deadline);
                    default -> throw new IllegalArgumentException("unknown option --" + kv[0]);
                };
            }
            return s;
        }
    }

    /**
     * What the audit found.
     *
     * @param lost recipients neither delivered nor reported FAILED or CANCELLED, or reported SENT
     *     without having been delivered
     * @param duplicateDeliveries emails delivered to a recipient of a job beyond the first
     *     (the provider delivers one email per Idempotency-Key, so this counts recipients that
     *     reached it under more than one key)
     * @param nonTerminal jobs not finished (state not terminal, or recipients still pending)
     * @param counterMismatches jobs whose counters disagree with their recipient records, with
     *     their total, or with what the provider delivered
     */
    public record Report(
            int jobs,
            long emails,
            long providerCalls,
            long delivered,
            long repeatedKeys,
            long lost,
            long duplicateDeliveries,
            long nonTerminal,
            long counterMismatches,
            long failedRecipients,
            Map<String, Integer> kills,
            long duplicatesInjected,
            long transientFailures,
            long lostResponses,
            int deadLettered,
            Map<String, Integer> states,
            Duration elapsed) {

        public boolean clean() {
            return lost == 0 && duplicateDeliveries == 0 && nonTerminal == 0 && counterMismatches == 0;
        }

        public String table(Scenario s) {
            StringBuilder t = new StringBuilder();
            t.append(String.format(
                    "mailbatch chaos: %d jobs x %d recipients, seed %d%n", s.jobs(), s.recipients(), s.seed()));
            row(t, "jobs", jobs, "");
            row(t, "emails", emails, "recipients submitted");
            row(t, "provider calls", providerCalls, "every POST to the outbox");
            row(t, "emails delivered", delivered, "distinct emails the provider accepted");
            row(
                    t,
                    "repeat calls, same key",
                    repeatedKeys,
                    "retries of accepted emails; the provider deduplicated them");
            t.append("  ---------------------------------------------------------------------\n");
            row(t, "lost", lost, "required 0");
            row(t, "duplicate deliveries", duplicateDeliveries, "required 0 (counted per job and recipient)");
            row(t, "non-terminal jobs", nonTerminal, "required 0");
            row(t, "counter mismatches", counterMismatches, "required 0 (counters vs records vs provider)");
            t.append("  ---------------------------------------------------------------------\n");
            row(
                    t,
                    "worker kills",
                    kills.values().stream().mapToInt(Integer::intValue).sum(),
                    kills.toString());
            row(t, "messages delivered twice", duplicatesInjected, "copies put back on the queue");
            row(t, "transient failures", transientFailures, "503s from the outbox");
            row(t, "lost responses", lostResponses, "accepted, then the connection closed");
            row(t, "failed recipients", failedRecipients, "gave up after " + s.maxDeliveries() + " deliveries");
            row(t, "dead-lettered messages", deadLettered, "");
            t.append(String.format("  %-26s %s%n", "job states", states));
            t.append(String.format("  %-26s %.1f s%n", "time", elapsed.toMillis() / 1000.0));
            t.append(
                    clean()
                            ? "chaos: PASS - nothing lost, nothing sent twice, every job finished, every counter exact\n"
                            : "chaos: FAIL\n");
            return t.toString();
        }

        private static void row(StringBuilder t, String name, long value, String note) {
            t.append(String.format("  %-26s %8d   %s%n", name, value, note));
        }
    }

    /** An injected worker death: an Error, which no handler code catches, like a process dying mid-line. */
    static final class WorkerKilled extends Error {
        WorkerKilled(String point) {
            super("worker killed at " + point + " (chaos)", null, false, false);
        }
    }

    /** The faults, scheduled up front from the seed so that a run can be repeated. */
    static final class Injector implements LocalRunner.Chaos {
        private static final List<String> POINTS =
                List.of(Faults.BEFORE_SEND, Faults.AFTER_EMAIL, Faults.BEFORE_RECORD, Faults.AFTER_RECORD);
        private final Map<String, Set<Long>> schedule = new HashMap<>();
        private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> killed = new ConcurrentHashMap<>();
        private final Random random;
        private final double duplicateRate;
        private final AtomicLong duplicates = new AtomicLong();

        Injector(Scenario s) {
            this.random = new Random(s.seed());
            this.duplicateRate = s.duplicateRate();
            long chunks = (long) s.jobs() * Math.max(1, (s.recipients() + 49) / 50);
            for (int k = 0; k < s.kills(); k++) {
                String point = POINTS.get(k % POINTS.size());
                // Spread over the first pass: the k-th call of that point, early enough to happen.
                long range =
                        point.equals(Faults.AFTER_EMAIL) ? (long) s.jobs() * s.recipients() * 3 / 4 : chunks * 3 / 4;
                Set<Long> at = schedule.computeIfAbsent(point, p -> new TreeSet<>());
                long call;
                do {
                    call = 1 + (long) (random.nextDouble() * Math.max(1, range));
                } while (!at.add(call) && at.size() < range);
            }
            POINTS.forEach(p -> {
                calls.put(p, new AtomicLong());
                killed.put(p, new AtomicInteger());
            });
        }

        @Override
        public Faults faults() {
            return point -> {
                long n = calls.get(point).incrementAndGet();
                if (schedule.getOrDefault(point, Set.of()).contains(n)) {
                    killed.get(point).incrementAndGet();
                    throw new WorkerKilled(point);
                }
            };
        }

        @Override
        public void received(SqsClient sqs, String queueUrl, List<Message> messages) {
            for (Message m : messages) {
                boolean twice;
                synchronized (random) {
                    twice = random.nextDouble() < duplicateRate;
                }
                if (twice) {
                    sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(m.body()));
                    duplicates.incrementAndGet();
                }
            }
        }

        @Override
        public Map<QueueAttributeName, String> queueOverrides() {
            // A killed batch comes back after this, not after the template's 6 x 60 s.
            return Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "30");
        }

        Map<String, Integer> kills() {
            Map<String, Integer> out = new LinkedHashMap<>();
            POINTS.forEach(p -> out.put(p, killed.get(p).get()));
            return out;
        }
    }

    private ChaosHarness() {}

    /**
     * Runs the scenario on a fresh local stack and audits the result.
     *
     * @param extraEnv environment over the harness's own (AWS_ENDPOINT_URL to use a running emulator, STACK_NAME)
     */
    public static Report run(Path root, Scenario s, Map<String, String> extraEnv, PrintStream console)
            throws IOException, InterruptedException {
        Path logDir = root.resolve("infrastructure/target/chaos");
        Files.createDirectories(logDir);
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("STACK_NAME", "mailbatch-chaos");
        env.put("OUTBOX_FAILURE_RATE", Double.toString(s.failureRate()));
        env.put("OUTBOX_FAILURE_STATUS", "503");
        env.put("OUTBOX_LOSS_RATE", Double.toString(s.lossRate()));
        env.put("OUTBOX_LATENCY_MS", "2");
        env.putAll(extraEnv);
        Map<String, String> parameters = Map.of(
                "MaxDeliveries",
                Integer.toString(s.maxDeliveries()),
                "RetryBaseSeconds",
                "1",
                "RetryMaxSeconds",
                "4",
                "WorkerBatchSize",
                "5",
                "WorkerMaxConcurrency",
                "4");
        Injector injector = new Injector(s);
        Instant start = Instant.now();
        try (OutputStream runnerLog = Files.newOutputStream(logDir.resolve("runner.log"));
                PrintStream runnerConsole = new PrintStream(runnerLog, true, StandardCharsets.UTF_8);
                LocalRunner runner = LocalRunner.start(
                        new LocalRunner.Options(root, parameters, env::get, runnerConsole, injector))) {
            console.printf(
                    "chaos: local stack up at %s (runner log: infrastructure/target/chaos/runner.log)%n",
                    runner.baseUrl());
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            Map<String, List<String>> jobs = submitAll(http, runner.baseUrl(), s);
            console.printf(
                    "chaos: %d jobs submitted; waiting for them to finish (deadline %d min)%n",
                    jobs.size(), s.deadline().toMinutes());
            Map<String, JsonNode> finalStatus =
                    awaitFinished(http, runner.baseUrl(), jobs.keySet(), runner, s.deadline(), console);
            return audit(http, runner, jobs, finalStatus, injector, Duration.between(start, Instant.now()));
        }
    }

    private static Map<String, List<String>> submitAll(HttpClient http, URI base, Scenario s)
            throws InterruptedException {
        Map<String, List<String>> jobs = new ConcurrentHashMap<>();
        try (ExecutorService callers = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int j = 0; j < s.jobs(); j++) {
                int job = j;
                done.add(callers.submit(() -> {
                    List<String> to = new ArrayList<>();
                    for (int r = 0; r < s.recipients(); r++) {
                        to.add("j" + job + "-r" + r + "@chaos.example");
                    }
                    String body = Json.write(Map.of("emails", to, "subject", "chaos " + job, "text", "hello"));
                    for (int tries = 1; ; tries++) {
                        HttpResponse<String> response = send(
                                http,
                                HttpRequest.newBuilder(base.resolve("/emails"))
                                        .header("Content-Type", "application/json")
                                        .header("Idempotency-Key", "chaos-" + s.seed() + "-" + job)
                                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                        if (response.statusCode() == 202) {
                            jobs.put(readJson(response.body()).path("jobId").asText(), to);
                            return null;
                        }
                        if (tries >= 5) {
                            throw new IllegalStateException("submit of job " + job + " answered "
                                    + response.statusCode() + " " + response.body());
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return jobs;
    }

    private static Map<String, JsonNode> awaitFinished(
            HttpClient http, URI base, Set<String> ids, LocalRunner runner, Duration deadline, PrintStream console)
            throws InterruptedException {
        Instant end = Instant.now().plus(deadline);
        Instant nextReport = Instant.now().plusSeconds(15);
        Map<String, JsonNode> finished = new HashMap<>();
        while (true) {
            for (String id : ids) {
                if (!finished.containsKey(id)) {
                    JsonNode status = readJson(send(
                                    http,
                                    HttpRequest.newBuilder(base.resolve("/emails/" + id))
                                            .GET())
                            .body());
                    if (status.path("pending").asLong(-1) == 0) {
                        finished.put(id, status);
                    }
                }
            }
            boolean quiet = backlog(runner) == 0;
            if ((finished.size() == ids.size() && quiet) || Instant.now().isAfter(end)) {
                // Read every job once more: a duplicate delivered after a job finished must not have changed it.
                Map<String, JsonNode> last = new HashMap<>();
                for (String id : ids) {
                    last.put(
                            id,
                            readJson(send(
                                            http,
                                            HttpRequest.newBuilder(base.resolve("/emails/" + id))
                                                    .GET())
                                    .body()));
                }
                return last;
            }
            if (Instant.now().isAfter(nextReport)) {
                console.printf(
                        "chaos: %d of %d jobs finished; %d messages on the queue; outbox: %d emails%n",
                        finished.size(),
                        ids.size(),
                        backlog(runner),
                        runner.outbox().emails().size());
                nextReport = Instant.now().plusSeconds(15);
            }
            Thread.sleep(500); // poll interval
        }
    }

    private static Report audit(
            HttpClient http,
            LocalRunner runner,
            Map<String, List<String>> jobs,
            Map<String, JsonNode> status,
            Injector injector,
            Duration elapsed) {
        Outbox outbox = runner.outbox();
        // What the provider delivered, by job and recipient.
        Map<String, Map<String, Integer>> delivered = new HashMap<>();
        for (Outbox.Email email : outbox.emails()) {
            String key = email.idempotencyKey() == null ? "" : email.idempotencyKey();
            String jobId = key.length() > 39 ? key.substring(3, 39) : "?";
            delivered
                    .computeIfAbsent(jobId, k -> new HashMap<>())
                    .merge(email.message().path("to").asText(), 1, Integer::sum);
        }
        long lost = 0;
        long duplicates = 0;
        long nonTerminal = 0;
        long mismatches = 0;
        long failedRecipients = 0;
        Map<String, Integer> states = new java.util.TreeMap<>();
        for (Map.Entry<String, List<String>> job : jobs.entrySet()) {
            String id = job.getKey();
            JsonNode s = status.get(id);
            states.merge(s.path("state").asText(), 1, Integer::sum);
            Map<String, JsonNode> records = recipients(http, runner.baseUrl(), id);
            Map<String, Integer> got = delivered.getOrDefault(id, Map.of());
            Set<String> terminal = Set.of("SUCCEEDED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED");
            if (!terminal.contains(s.path("state").asText())
                    || s.path("pending").asLong() != 0) {
                nonTerminal++;
            }
            Map<String, Integer> byStatus = new HashMap<>();
            boolean mismatch = false;
            for (String address : job.getValue()) {
                JsonNode record = records.get(address);
                String recorded =
                        record == null ? "NONE" : record.path("status").asText();
                byStatus.merge(recorded, 1, Integer::sum);
                int times = got.getOrDefault(address, 0);
                duplicates += Math.max(0, times - 1);
                if (times == 0 && !recorded.equals("FAILED") && !recorded.equals("CANCELLED")) {
                    lost++;
                }
                if (recorded.equals("FAILED")) {
                    failedRecipients++;
                }
                if ((times > 0) != recorded.equals("SENT")) {
                    mismatch = true; // delivered but not recorded SENT, or recorded SENT but not delivered
                }
            }
            long sent = s.path("sent").asLong();
            long failed = s.path("failed").asLong();
            long cancelled = s.path("cancelled").asLong();
            long pending = s.path("pending").asLong();
            if (sent + failed + cancelled + pending != s.path("total").asLong()
                    || s.path("total").asLong() != job.getValue().size()
                    || sent != byStatus.getOrDefault("SENT", 0)
                    || failed != byStatus.getOrDefault("FAILED", 0)
                    || cancelled != byStatus.getOrDefault("CANCELLED", 0)
                    || sent != got.size()) {
                mismatch = true;
            }
            if (mismatch) {
                mismatches++;
            }
        }
        int deadLettered = depth(runner.backend().sqs(), runner.resources().dlqUrl());
        return new Report(
                jobs.size(),
                jobs.values().stream().mapToLong(List::size).sum(),
                outbox.calls(),
                outbox.emails().size(),
                outbox.repeatedKeys(),
                lost,
                duplicates,
                nonTerminal,
                mismatches,
                failedRecipients,
                injector.kills(),
                injector.duplicates.get(),
                outbox.injectedFailures(),
                outbox.lostResponses(),
                deadLettered,
                states,
                elapsed);
    }

    /** Every recipient record of a job, page by page. */
    private static Map<String, JsonNode> recipients(HttpClient http, URI base, String jobId) {
        Map<String, JsonNode> records = new HashMap<>();
        String cursor = null;
        do {
            String path = "/emails/" + jobId + "/recipients?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            JsonNode page = readJson(
                    send(http, HttpRequest.newBuilder(base.resolve(path)).GET()).body());
            for (JsonNode item : page.path("items")) {
                records.put(item.path("email").asText(), item);
            }
            cursor = page.path("nextCursor").isTextual()
                    ? page.path("nextCursor").asText()
                    : null;
        } while (cursor != null);
        return records;
    }

    private static int backlog(LocalRunner runner) {
        Map<QueueAttributeName, String> a = runner.backend()
                .sqs()
                .getQueueAttributes(r -> r.queueUrl(runner.resources().queueUrl())
                        .attributeNames(
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    private static int depth(SqsClient sqs, String url) {
        return Integer.parseInt(sqs.getQueueAttributes(
                        r -> r.queueUrl(url).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                .attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("local API call failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static JsonNode readJson(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }

    /** {@code infrastructure/bin/chaos [--jobs=N] ...}: prints the table; exit 0 only if the audit is clean. */
    public static void main(String[] args) throws Exception {
        Scenario scenario;
        try {
            scenario = Scenario.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage());
            System.err.println("usage: chaos [--jobs=200] [--recipients=50] [--failure-rate=0.3] [--loss-rate=0.05] "
                    + "[--duplicate-rate=0.05] [--kills=20] [--seed=N] [--max-deliveries=15]");
            System.exit(2);
            return;
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        System.out.printf(
                "chaos: outbox fails %.0f%% of calls (503) and loses %.0f%% of answers; %.0f%% of messages delivered twice; "
                        + "%d worker kills%n",
                scenario.failureRate() * 100,
                scenario.lossRate() * 100,
                scenario.duplicateRate() * 100,
                scenario.kills());
        Report report = run(root, scenario, Map.of(), System.out);
        System.out.print(report.table(scenario));
        System.exit(report.clean() ? 0 : 1);
    }
}
