package dev.mailbatch.api;

import dev.mailbatch.config.Json;
import dev.mailbatch.job.Digest;
import dev.mailbatch.job.EmailAddress;
import java.util.Arrays;
import java.util.List;

/** A validated POST /emails: unique recipients in the order given, and the content. */
public record BatchRequest(
        List<EmailAddress> recipients, int duplicatesRemoved, String subject, String text, String html, String from) {

    /**
     * A digest of what the request asks for, after validation and normalisation: two bodies that
     * differ only in JSON spacing, key order or address case have the same fingerprint. An
     * Idempotency-Key may be reused only with the same fingerprint.
     */
    public String fingerprint() {
        List<Object> canonical = Arrays.asList(
                from,
                subject,
                text,
                html,
                duplicatesRemoved,
                recipients.stream().map(EmailAddress::address).toList());
        return Digest.sha256Hex(Json.write(canonical), 32);
    }
}
