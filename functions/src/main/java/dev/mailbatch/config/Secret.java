package dev.mailbatch.config;

/**
 * A value that must never be printed: {@link #toString()} says only whether it is set, so a
 * record holding one (a configuration, say) can be logged whole.
 */
public final class Secret {
    private final String value;

    public Secret(String value) {
        this.value = value == null ? "" : value;
    }

    /** The value itself, for the one place that sends it (an Authorization header, say). */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public String toString() {
        return value.isEmpty() ? "Secret[unset]" : "Secret[****]";
    }
}
