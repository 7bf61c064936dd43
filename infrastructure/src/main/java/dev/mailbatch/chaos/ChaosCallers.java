package dev.mailbatch.chaos;

import dev.mailbatch.config.Json;
import dev.mailbatch.local.LocalApi;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.eventsource.SqsEventSource;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The callers of one chaos run, through the API as a client would: they submit every job
 * (trying again after a 5xx or a key still in use), cancel the first jobs while they drain and
 * one running job when the outage schedule asks, and wait until every job finished. They count
 * what the audit checks against: the jobs the API cancelled and the submits it made them repeat.
 */
final class ChaosCallers {
    private static final Duration POLL_INTERVAL = Duration.ofSeconds(2); // each poll reads every unfinished job

    private final LocalApi api;
    private final ChaosScenario s;
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicInteger submitsFailed = new AtomicInteger();
    private final AtomicInteger submitsInUse = new AtomicInteger();
    /** Accepted, not cancelled: what {@link #cancelOneRunning} picks from. */
    private final List<String> running = new CopyOnWriteArrayList<>();
    /** The cancels of the first jobs, each waiting for its moment. */
    private final List<Thread> cancelling = new CopyOnWriteArrayList<>();

    ChaosCallers(LocalApi api, ChaosScenario s) {
        this.api = api;
        this.s = s;
    }

    /** A job's subject: its run's seed and its number (how the audit finds a run's emails in SES). */
    static String subject(ChaosScenario s, int job) {
        return "chaos " + s.seed() + " " + job;
    }

    /** Jobs the API cancelled (202). */
    int cancelled() {
        return cancelled.get();
    }

    /** Submits answered with a 5xx or IDEMPOTENCY_KEY_IN_USE, and so tried again. */
    int submitsRepeated() {
        return submitsFailed.get() + submitsInUse.get();
    }

    /**
     * Submits every job as a caller would, counting the answers that made it try again; as soon
     * as one of the first {@code s.cancels()} jobs is accepted, schedules its cancel.
     *
     * @return each job's id and its recipients
     */
    Map<String, List<String>> submitAll() throws InterruptedException {
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
                    String body = Json.write(Map.of("emails", to, "subject", subject(s, job), "text", "hello"));
                    // As a caller retries: a 5xx again with the same key; a 409 IDEMPOTENCY_KEY_IN_USE after its
                    // Retry-After (an earlier try that failed without freeing its key holds it until the
                    // submit deadline of 2 minutes).
                    Instant giveUp = Instant.now().plus(Duration.ofMinutes(4));
                    for (int tries = 1; ; tries++) {
                        HttpResponse<String> response =
                                api.send(HttpRequest.newBuilder(api.base().resolve("/emails"))
                                        .header("Content-Type", "application/json")
                                        .header("Idempotency-Key", "chaos-" + s.seed() + "-" + job)
                                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                        if (response.statusCode() == 202) {
                            String id = LocalApi.readJson(response.body())
                                    .path("jobId")
                                    .asText();
                            jobs.put(id, to);
                            accepted(id, job);
                            return null;
                        }
                        boolean keyInUse =
                                response.statusCode() == 409 && response.body().contains("IDEMPOTENCY_KEY_IN_USE");
                        if (Instant.now().isAfter(giveUp) || (response.statusCode() < 500 && !keyInUse)) {
                            throw new IllegalStateException("submit of job " + job + " answered "
                                    + response.statusCode() + " " + response.body());
                        }
                        if (keyInUse) {
                            submitsInUse.incrementAndGet();
                        } else {
                            submitsFailed.incrementAndGet();
                        }
                        Thread.sleep(keyInUse ? 1000 : Math.min(2000, 200L * tries));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return jobs;
    }

    /** Job number {@code job} was accepted as {@code id}: the first jobs submitted, a caller's second thoughts. */
    private void accepted(String id, int job) {
        if (job < s.cancels()) {
            long after = new Random(s.seed() + job).nextInt(400);
            cancelling.add(Thread.ofVirtual().start(() -> cancelSoon(id, after)));
        } else {
            running.add(id);
        }
    }

    /** Waits until the cancels of the first jobs were sent. */
    void awaitCancels() throws InterruptedException {
        for (Thread t : cancelling) {
            t.join();
        }
    }

    /**
     * Cancels one job that is still running (the outage schedule's cancel), trying them in turn.
     *
     * @return whether the API cancelled one (202)
     */
    boolean cancelOneRunning() {
        for (String id : running) {
            running.remove(id);
            if (api.getJson("/emails/" + id).path("pending").asLong(0) == 0) {
                continue; // finished already
            }
            HttpResponse<String> answer =
                    api.send(HttpRequest.newBuilder(api.base().resolve("/emails/" + id))
                            .method("DELETE", HttpRequest.BodyPublishers.noBody()));
            if (answer.statusCode() == 202) {
                return true;
            }
        }
        return false;
    }

    /**
     * Cancels a job {@code afterMillis} after it was accepted, while it drains, as a caller would
     * (the first {@code s.cancels()} jobs accepted, each at a moment of its own from the seed);
     * counts it if the API cancelled it (a job that finished first answers 409). Issue 12 made the
     * drain fast enough that cancels sent after every submit found the jobs finished.
     */
    private void cancelSoon(String id, long afterMillis) {
        try {
            Thread.sleep(afterMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int tries = 1; tries <= 10; tries++) {
            HttpResponse<String> answer =
                    api.send(HttpRequest.newBuilder(api.base().resolve("/emails/" + id))
                            .method("DELETE", HttpRequest.BodyPublishers.noBody()));
            if (answer.statusCode() == 202) {
                cancelled.incrementAndGet();
            }
            if (answer.statusCode() < 500) {
                break; // 202, or 409: it finished first
            }
            try {
                Thread.sleep(200L * tries); // a 5xx (a store fault): again, as a caller would
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits until every job finished, the queue is empty and every scheduled fault happened. */
    void awaitFinished(Set<String> ids, LocalRunner runner, Instant end, ChaosFaults faults, PrintStream console)
            throws InterruptedException {
        Instant nextReport = Instant.now().plusSeconds(15);
        Set<String> finished = new HashSet<>();
        while (true) {
            for (String id : ids) {
                if (!finished.contains(id)
                        && api.getJson("/emails/" + id).path("pending").asLong(-1) == 0) {
                    finished.add(id);
                }
            }
            if ((finished.size() == ids.size() && backlog(runner) == 0 && faults.done())
                    || Instant.now().isAfter(end)) {
                return;
            }
            if (Instant.now().isAfter(nextReport)) {
                console.printf(
                        "chaos: %d of %d jobs finished; %d messages on the queue; outbox: %d emails; %s%n",
                        finished.size(),
                        ids.size(),
                        backlog(runner),
                        runner.outbox().emails().size(),
                        faults.progress());
                nextReport = Instant.now().plusSeconds(15);
            }
            Thread.sleep(POLL_INTERVAL);
        }
    }

    private static int backlog(LocalRunner runner) {
        return SqsEventSource.backlog(runner.backend().sqs(), runner.resources().queueUrl());
    }
}
