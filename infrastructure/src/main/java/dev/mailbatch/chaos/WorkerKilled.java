package dev.mailbatch.chaos;

/** An injected worker death: an Error, which no handler code catches, like a process dying mid-line. */
public final class WorkerKilled extends Error {
    WorkerKilled(String point) {
        super("worker killed at " + point + " (chaos)", null, false, false);
    }
}
