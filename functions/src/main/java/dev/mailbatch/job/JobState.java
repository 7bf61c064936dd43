package dev.mailbatch.job;

/**
 * A job's state. It is derived from the counters (and the cancel request) on every read, never
 * stored, so that it can not disagree with them: the counters are updated atomically with the
 * recipient records.
 */
public enum JobState {
    /** Nothing processed yet. */
    PENDING,
    IN_PROGRESS,
    /** Every recipient sent. */
    SUCCEEDED,
    /** Every recipient done, some failed. */
    COMPLETED_WITH_FAILURES,
    /** Every recipient failed. */
    FAILED,
    /**
     * Cancelled: recipients not yet attempted are never sent. {@code pending} falls to 0 as the
     * workers mark the queued ones CANCELLED.
     */
    CANCELLED;

    public boolean isTerminal() {
        return this != PENDING && this != IN_PROGRESS;
    }

    /**
     * @param cancelRequested whether cancelling the job was asked for
     * @param started whether a worker has picked up any of the job's work
     */
    public static JobState derive(boolean cancelRequested, boolean started, long total, Counts counts) {
        if (cancelRequested || counts.cancelled() > 0) {
            return CANCELLED;
        }
        if (counts.done() >= total) {
            return counts.failed() == 0 ? SUCCEEDED : counts.sent() == 0 ? FAILED : COMPLETED_WITH_FAILURES;
        }
        return started || counts.sent() + counts.failed() > 0 ? IN_PROGRESS : PENDING;
    }
}
