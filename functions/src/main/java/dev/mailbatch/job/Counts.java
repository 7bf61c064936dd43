package dev.mailbatch.job;

/**
 * How many of a job's recipients are done, by outcome. The job item holds these counters; they
 * move only together with the recipient records that justify them (see {@link Transition}).
 */
public record Counts(long sent, long failed, long cancelled) {
    public static final Counts ZERO = new Counts(0, 0, 0);

    /** Recipients with an outcome: sent, failed or cancelled. */
    public long done() {
        return sent + failed + cancelled;
    }

    /** Whether any counter is not zero (a change of counts that is worth writing). */
    public boolean isZero() {
        return sent == 0 && failed == 0 && cancelled == 0;
    }

    public Counts plus(Counts other) {
        return new Counts(sent + other.sent, failed + other.failed, cancelled + other.cancelled);
    }

    /** The change of counts when one recipient's record goes from {@code before} (null: none) to {@code after}. */
    public static Counts moved(RecipientStatus before, RecipientStatus after) {
        return of(after).minus(before == null ? ZERO : of(before));
    }

    private Counts minus(Counts other) {
        return new Counts(sent - other.sent, failed - other.failed, cancelled - other.cancelled);
    }

    private static Counts of(RecipientStatus status) {
        return switch (status) {
            case SENT -> new Counts(1, 0, 0);
            case FAILED -> new Counts(0, 1, 0);
            case CANCELLED -> new Counts(0, 0, 1);
            case PENDING -> ZERO;
        };
    }
}
