package dev.mailbatch.job;

/** Where one recipient of a job stands. */
public enum RecipientStatus {
    /** Not yet done: never attempted, or attempted with a transient failure and awaiting retry. */
    PENDING,
    SENT,
    /** Permanently failed; never retried. */
    FAILED;

    public boolean isTerminal() {
        return this != PENDING;
    }
}
