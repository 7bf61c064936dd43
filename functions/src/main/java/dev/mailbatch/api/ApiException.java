package dev.mailbatch.api;

import java.util.List;

/**
 * A request the API answers with an error: the status, a stable code, the fields at fault, and
 * when a retry may succeed, the seconds to wait (Retry-After).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final List<FieldError> details;
    private final String retryAfterSeconds;

    public ApiException(int status, String code, String message, List<FieldError> details) {
        this(status, code, message, details, null);
    }

    private ApiException(int status, String code, String message, List<FieldError> details, String retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
        this.retryAfterSeconds = retryAfter;
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(
                400, "INVALID_REQUEST", "The request is invalid.", List.of(new FieldError(field, message)));
    }

    public static ApiException notFound() {
        return new ApiException(404, "NOT_FOUND", "No job has that id.", List.of());
    }

    /** The same error, telling the caller to retry after {@code seconds}. */
    public ApiException retryAfter(String seconds) {
        return new ApiException(status, code, getMessage(), details, seconds);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldError> details() {
        return details;
    }

    /** Seconds to wait before retrying (the Retry-After header), or null. */
    public String retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** One field at fault: a JSON path such as {@code emails[3]} and what is wrong with it. */
    public record FieldError(String field, String message) {}
}
