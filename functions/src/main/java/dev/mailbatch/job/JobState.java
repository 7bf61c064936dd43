package dev.mailbatch.job;

/**
 * A job's state. It is derived from the counters on every read, never stored, so that it can
 * not disagree with them: the counters are updated atomically with the recipient records.
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
    /** Reserved: cancelling a job comes with a later release. */
    CANCELLED;

    public boolean isTerminal() {
        return this != PENDING && this != IN_PROGRESS;
    }

    /**
     * @param started whether a worker has picked up any of the job's work
     */
    public static JobState derive(boolean cancelled, boolean started, long total, long sent, long failed) {
        if (cancelled) {
            return CANCELLED;
        }
        if (sent + failed >= total) {
            return failed == 0 ? SUCCEEDED : sent == 0 ? FAILED : COMPLETED_WITH_FAILURES;
        }
        return started || sent + failed > 0 ? IN_PROGRESS : PENDING;
    }
}
