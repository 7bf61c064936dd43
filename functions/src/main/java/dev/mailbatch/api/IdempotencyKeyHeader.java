package dev.mailbatch.api;

/**
 * The API's {@code Idempotency-Key} request header: 1 to 255 printable ASCII characters, not all
 * spaces. (Not to be confused with the key claims that store it, or with the per-recipient
 * delivery key the worker sends to the provider.)
 */
public final class IdempotencyKeyHeader {
    public static final String NAME = "idempotency-key";
    public static final int MAX_CHARS = 255;

    private IdempotencyKeyHeader() {}

    /** @return the key, or null if the header is absent; throws a 400 naming the header if it is malformed */
    public static String validate(String value) {
        if (value == null) {
            return null;
        }
        if (value.isEmpty()
                || value.length() > MAX_CHARS
                || !value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)
                || value.isBlank()) {
            throw ApiException.invalid(
                    "Idempotency-Key", "must be 1 to " + MAX_CHARS + " printable ASCII characters, not all spaces");
        }
        return value;
    }
}
