package dev.mailbatch.store;

/** DynamoDB or SQS could not do what was asked (throttled, unavailable, ...): retryable. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
