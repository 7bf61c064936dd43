package dev.mailbatch.mail;

/**
 * Sends one email. Implementations never throw for a provider's answer or an I/O fault: they
 * classify it as a {@link SendResult}. They are called from many threads at once.
 */
public interface EmailSender {
    SendResult send(OutgoingEmail email);
}
