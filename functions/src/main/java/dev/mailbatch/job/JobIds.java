package dev.mailbatch.job;

import java.util.UUID;
import java.util.regex.Pattern;

/** Job ids: random (version 4) UUIDs, 122 bits from a SecureRandom, so they can't be guessed. */
public final class JobIds {
    private static final Pattern FORMAT =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

    private JobIds() {}

    public static String next() {
        return UUID.randomUUID().toString();
    }

    /** Whether a string has the shape of a job id (an id of another shape names no job). */
    public static boolean isWellFormed(String id) {
        return id != null && FORMAT.matcher(id).matches();
    }
}
