package dev.mailbatch.store;

/** A cursor this API did not hand out for this job and status. */
public final class InvalidCursorException extends RuntimeException {
    InvalidCursorException() {
        super("invalid cursor", null, false, false);
    }
}
