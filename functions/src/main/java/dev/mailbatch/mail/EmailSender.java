package dev.mailbatch.mail;

import java.time.Duration;

/**
 * Sends one email. Implementations never throw for a provider's answer or an I/O fault: they
 * classify it as a {@link SendResult}. They are called from many threads at once.
 */
public interface EmailSender {
    SendResult send(OutgoingEmail email);

    /**
     * Sends one email, the call bounded by {@code timeout} (the time the delivery has left): a call
     * is never cut off by anything but its own timeout, so an answer that arrives in time is never
     * lost to the caller. Senders with a client of their own bound the call by it; the default
     * leaves that to {@link #send(OutgoingEmail)}.
     */
    default SendResult send(OutgoingEmail email, Duration timeout) {
        return send(email);
    }
}
