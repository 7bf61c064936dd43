package dev.mailbatch.worker;

/**
 * A seam for fault injection: the worker calls {@link #at} at the points where dying would leave
 * the most half-done work. Production code uses {@link #NONE}; the chaos harness throws there to
 * kill a worker mid-batch.
 */
@FunctionalInterface
public interface Faults {
    /** After reading the job and its recipients, before sending anything. */
    String BEFORE_SEND = "before-send";
    /** After one email was handed to the provider, before its outcome is recorded. */
    String AFTER_EMAIL = "after-email";
    /** After the chunk's sends, before their outcomes are recorded. */
    String BEFORE_RECORD = "before-record";
    /** After the outcomes are recorded, before the message is acknowledged. */
    String AFTER_RECORD = "after-record";

    Faults NONE = point -> {};

    void at(String point);
}
