package dev.mailbatch.job;

/** Where one recipient of a job stands. */
public enum RecipientStatus {
    /** Not yet done: never attempted, or attempted with a transient failure and awaiting retry. */
    PENDING,
    SENT,
    /**
     * Failed: permanently (never retried), or {@link Recipient#retryable() retryable} when it ran
     * out of deliveries on transient failures (a redriven message tries it again).
     */
    FAILED,
    /** The job was cancelled before this recipient was attempted; never sent. */
    CANCELLED
}
