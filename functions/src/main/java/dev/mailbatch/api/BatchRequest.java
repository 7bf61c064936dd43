package dev.mailbatch.api;

import dev.mailbatch.job.EmailAddress;
import java.util.List;

/** A validated POST /emails: unique recipients in the order given, and the content. */
public record BatchRequest(List<EmailAddress> recipients, int duplicatesRemoved,
                           String subject, String text, String html, String from) {
}
