package dev.mailbatch.job;

import java.time.Instant;

/**
 * A delivery's claim on a recipient it is about to send: whose ({@code holder}, a token drawn per
 * delivery: two deliveries of one invocation share their deadline, never their token) and until
 * when it holds (the delivery's invocation must have ended by then).
 */
public record Claim(String holder, Instant until) {
    public Claim {
        if (holder == null || holder.isBlank() || until == null) {
            throw new IllegalArgumentException("a claim has a holder and an end");
        }
    }

    /** Whether the claim still holds at {@code now}: its holder may be sending now. */
    public boolean holdsAt(Instant now) {
        return until.isAfter(now);
    }

    /** Whether this is {@code other}'s own claim (the same delivery's). */
    public boolean isBy(Claim other) {
        return other != null && holder.equals(other.holder);
    }

    /** The same holder's claim, ending at {@code at}: it says the email may have gone out, and holds no longer. */
    public Claim endedAt(Instant at) {
        return new Claim(holder, at);
    }
}
