package dev.mailbatch.local.eventsource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Lambda's SQS event source mapping, running: as many pollers as the mapping's
 * MaximumConcurrency, each one an execution environment with its own handler instance (as
 * Lambda has), receiving with the mapping's batch size and batching window, invoking, and
 * deleting what the response does not name. One log line per batch.
 */
public final class EventSourceMapping implements AutoCloseable {
    /** Long-poll wait of an idle poller; short, so that stopping is quick. */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(2);
    /** How long {@link #close} waits for the pollers (an idle one returns within IDLE_WAIT). */
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final List<SqsEventSource> environments;
    private final Duration window;
    private final Consumer<String> log;
    private final List<Thread> pollers = new ArrayList<>();
    private volatile boolean running;

    /**
     * @param environments one event source (with its own handler) per concurrent invocation
     */
    public EventSourceMapping(List<SqsEventSource> environments, Duration window, Consumer<String> log) {
        this.environments = List.copyOf(environments);
        this.window = window;
        this.log = log;
    }

    public void start() {
        running = true;
        for (int i = 0; i < environments.size(); i++) {
            SqsEventSource source = environments.get(i);
            pollers.add(Thread.ofPlatform()
                    .name("event-source-" + (i + 1))
                    .daemon(true)
                    .start(() -> poll(source)));
        }
    }

    private void poll(SqsEventSource source) {
        while (running) {
            try {
                List<Message> messages = source.receive(IDLE_WAIT, window);
                if (messages.isEmpty()) {
                    continue;
                }
                long start = System.nanoTime();
                SqsEventSource.Batch batch = source.invoke(messages);
                source.settle(batch);
                log.accept(describe(batch, (System.nanoTime() - start) / 1_000_000));
            } catch (RuntimeException e) {
                if (running) {
                    log.accept("SendEmails poller: " + e + "; polling again in 1 s");
                    sleep(Duration.ofSeconds(1));
                }
            }
        }
    }

    static String describe(SqsEventSource.Batch batch, long millis) {
        int size = batch.messages().size();
        String messages = size + (size == 1 ? " message" : " messages");
        if (batch.crashed()) {
            return "SendEmails  " + messages + ": invocation " + batch.fault()
                    + " - the whole batch returns after its visibility timeout (" + millis + " ms)";
        }
        int failed = batch.failedIds().size();
        return "SendEmails  " + messages + ": " + (size - failed) + " done, " + failed + " back to the queue (" + millis
                + " ms)";
    }

    /**
     * Stops polling; waits a little for the invocations in flight. Messages of one that has not
     * finished by then come back after their visibility timeout, as after any crash.
     */
    @Override
    public void close() {
        running = false;
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        for (Thread poller : pollers) {
            try {
                poller.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
