package dev.mailbatch.api;

import java.util.List;

/** A request the API answers with a 4xx: the status, a stable code and the fields at fault. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final List<FieldError> details;

    public ApiException(int status, String code, String message, List<FieldError> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(
                400, "INVALID_REQUEST", "The request is invalid.", List.of(new FieldError(field, message)));
    }

    public static ApiException notFound() {
        return new ApiException(404, "NOT_FOUND", "No job has that id.", List.of());
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

    /** One field at fault: a JSON path such as {@code emails[3]} and what is wrong with it. */
    public record FieldError(String field, String message) {}
}
