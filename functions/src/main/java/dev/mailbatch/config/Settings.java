package dev.mailbatch.config;

import java.util.function.Function;

/**
 * A function's environment variables, read through a lookup such as {@code System::getenv}:
 * blank is unset, values are trimmed, and every problem is an {@link IllegalStateException}
 * naming the variable, so a misconfigured function fails at cold start with a clear message.
 */
final class Settings {
    private final Function<String, String> env;

    Settings(Function<String, String> env) {
        this.env = env;
    }

    String get(String name, String fallback) {
        String v = env.apply(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    String required(String name) {
        String v = get(name, "");
        require(!v.isEmpty(), name + " is not set");
        return v;
    }

    int integer(String name, int fallback) {
        String v = get(name, "");
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("configuration: " + name + " must be a whole number, got '" + v + "'");
        }
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException("configuration: " + message);
        }
    }
}
