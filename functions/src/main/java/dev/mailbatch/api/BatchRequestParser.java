package dev.mailbatch.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.api.ApiException.FieldError;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.job.EmailAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns the body of POST /emails into a {@link BatchRequest}, or an {@link ApiException}
 * naming every field at fault. Pure: no I/O, so it is tested (and fuzzed) on its own.
 */
public final class BatchRequestParser {
    public static final int MAX_SUBJECT_CHARS = 998;
    /** At most this many per-field errors are listed; a list of 10,000 bad addresses says so once. */
    static final int MAX_DETAILS = 20;

    private static final Set<String> FIELDS = Set.of("emails", "subject", "text", "html", "from");

    private final SubmitConfig config;

    public BatchRequestParser(SubmitConfig config) {
        this.config = config;
    }

    /**
     * @param contentType the Content-Type header, or null
     * @param body the raw body bytes (already base64-decoded)
     */
    public BatchRequest parse(String contentType, byte[] body) {
        JsonNode root = readObject(contentType, body);
        List<FieldError> errors = new ArrayList<>();
        checkFieldNames(root, errors);
        String subject = string(root, "subject", errors);
        String text = string(root, "text", errors);
        String html = string(root, "html", errors);
        String from = from(root, errors);
        if (subject == null && errors.stream().noneMatch(e -> e.field().equals("subject"))) {
            errors.add(new FieldError("subject", "is required"));
        } else if (subject != null) {
            if (subject.isBlank()) {
                errors.add(new FieldError("subject", "must not be blank"));
            } else if (subject.codePointCount(0, subject.length())
                    > MAX_SUBJECT_CHARS) { // characters, not UTF-16 units
                errors.add(new FieldError("subject", "must be at most " + MAX_SUBJECT_CHARS + " characters"));
            } else if (subject.chars().anyMatch(BatchRequestParser::isControl)) {
                errors.add(new FieldError("subject", "must not contain control characters or line breaks"));
            }
        }
        if (isEmpty(text)
                && isEmpty(html)
                && errors.stream()
                        .noneMatch(e -> e.field().equals("text") || e.field().equals("html"))) {
            errors.add(new FieldError("text", "text or html is required"));
        }

        Recipients recipients = recipients(root.get("emails"), errors);
        if (!errors.isEmpty()) {
            throw new ApiException(400, "INVALID_REQUEST", "The request is invalid.", cap(errors));
        }
        int contentBytes = utf8(subject) + utf8(text) + utf8(html);
        if (contentBytes > config.maxContentBytes()) {
            String field = utf8(html) >= utf8(text) ? "html" : "text";
            throw new ApiException(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    "subject, text and html together are larger than " + config.maxContentBytes() + " bytes.",
                    List.of(new FieldError(
                            field,
                            "subject + text + html must be at most " + config.maxContentBytes() + " bytes (UTF-8)")));
        }
        return new BatchRequest(
                recipients.unique,
                recipients.duplicates,
                subject,
                isEmpty(text) ? null : text,
                isEmpty(html) ? null : html,
                from);
    }

    /** The body as a JSON object, or a 415, 413 or 400 saying why it is not one. */
    private JsonNode readObject(String contentType, byte[] body) {
        if (!isJson(contentType)) {
            throw new ApiException(
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "The body must be JSON, sent with Content-Type: application/json.",
                    List.of(new FieldError("content-type", "must be application/json")));
        }
        if (body.length > config.maxBodyBytes()) {
            throw new ApiException(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    "The body is larger than " + config.maxBodyBytes() + " bytes.",
                    List.of(new FieldError("body", "must be at most " + config.maxBodyBytes() + " bytes")));
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(
                    400,
                    "INVALID_JSON",
                    "The body is not valid JSON.",
                    List.of(new FieldError("body", "is not valid JSON")));
        } catch (java.io.IOException e) {
            throw new ApiException(
                    400,
                    "INVALID_JSON",
                    "The body is not valid JSON.",
                    List.of(new FieldError("body", "could not be read as JSON")));
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid("body", "must be a JSON object");
        }
        return root;
    }

    private static void checkFieldNames(JsonNode root, List<FieldError> errors) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.isBlank() || name.length() > 100 || name.chars().anyMatch(Character::isISOControl)) {
                // found by the fuzz test: a field error must name a field a person can read
                errors.add(new FieldError(
                        "body", "has a field whose name is blank, longer than 100 characters or unprintable"));
            } else if (!FIELDS.contains(name)) {
                errors.add(new FieldError(name, "is not a known field"));
            }
        }
    }

    private record Recipients(List<EmailAddress> unique, int duplicates) {}

    private Recipients recipients(JsonNode emails, List<FieldError> errors) {
        if (emails == null || emails.isNull()) {
            errors.add(new FieldError("emails", "is required"));
            return new Recipients(List.of(), 0);
        }
        if (!emails.isArray()) {
            errors.add(new FieldError("emails", "must be an array of email addresses"));
            return new Recipients(List.of(), 0);
        }
        if (emails.isEmpty()) {
            errors.add(new FieldError("emails", "must contain at least one address"));
            return new Recipients(List.of(), 0);
        }
        if (emails.size() > config.maxRecipients()) {
            throw new ApiException(
                    413,
                    "TOO_MANY_RECIPIENTS",
                    "A batch takes at most " + config.maxRecipients() + " addresses.",
                    List.of(new FieldError(
                            "emails",
                            "must contain at most " + config.maxRecipients() + " addresses, got " + emails.size())));
        }
        List<EmailAddress> unique = new ArrayList<>(emails.size());
        Set<String> seen = new HashSet<>();
        int duplicates = 0;
        for (int i = 0; i < emails.size(); i++) {
            JsonNode node = emails.get(i);
            String field = "emails[" + i + "]";
            if (!node.isTextual()) {
                errors.add(new FieldError(field, "must be a string"));
                continue;
            }
            EmailAddress.Result parsed = EmailAddress.parse(node.textValue());
            if (!parsed.isValid()) {
                errors.add(new FieldError(field, parsed.error()));
            } else if (seen.add(parsed.value().key())) {
                unique.add(parsed.value());
            } else {
                duplicates++;
            }
        }
        return new Recipients(unique, duplicates);
    }

    private String from(JsonNode root, List<FieldError> errors) {
        String requested = string(root, "from", errors);
        if (requested == null) {
            if (errors.stream().anyMatch(e -> e.field().equals("from"))) {
                return null;
            }
            if (config.defaultFrom().isEmpty()) {
                errors.add(new FieldError("from", "is required: no default sender is configured"));
            }
            return config.defaultFrom();
        }
        EmailAddress.Result parsed = EmailAddress.parse(requested);
        if (!parsed.isValid()) {
            errors.add(new FieldError("from", parsed.error()));
            return null;
        }
        String key = parsed.value().key();
        if (!config.allowedFrom().contains(key)
                && !key.equals(config.defaultFrom().toLowerCase(Locale.ROOT))) {
            errors.add(new FieldError("from", "is not an allowed sender address"));
            return null;
        }
        return parsed.value().address();
    }

    private static String string(JsonNode root, String field, List<FieldError> errors) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        return node.textValue();
    }

    private static List<FieldError> cap(List<FieldError> errors) {
        if (errors.size() <= MAX_DETAILS) {
            return errors;
        }
        List<FieldError> capped = new ArrayList<>(errors.subList(0, MAX_DETAILS));
        capped.add(new FieldError("emails", (errors.size() - MAX_DETAILS) + " more errors not listed"));
        return capped;
    }

    /**
     * A character no header-bound field may hold: C0 controls (CR and LF among them), DEL, C1
     * controls, and the Unicode line and paragraph separators.
     */
    static boolean isControl(int c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029;
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json");
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }

    private static int utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }
}
