package dev.mailbatch.config;

import java.security.SecureRandom;

/**
 * The functions' one source of randomness for jitter and spreading load (retry delays, back-offs,
 * which send-rate bucket to start from). SnapStart resumes many execution environments from one
 * snapshot, so a generator seeded at init ({@code java.util.Random}, {@code ThreadLocalRandom},
 * whose seeder is a static field) would give every restored environment the same sequence, and
 * their retries would come back in step. {@link SecureRandom}'s default on Linux (NativePRNG)
 * mixes fresh bytes from {@code /dev/urandom} into every draw, so each environment draws its own,
 * with or without a snapshot. A draw costs microseconds; it is made per retry, never per email.
 */
public final class Jitter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Jitter() {}

    /** A double in [0, 1). */
    public static double nextDouble() {
        return RANDOM.nextDouble();
    }

    /** An int in [0, bound). */
    public static int nextInt(int bound) {
        return RANDOM.nextInt(bound);
    }

    /** A long in [0, bound). */
    public static long nextLong(long bound) {
        return RANDOM.nextLong(bound);
    }
}
