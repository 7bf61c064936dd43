package dev.mailbatch.local.outbox;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The Idempotency-Keys of the requests the outbox is handling now: a second request with one of
 * them is answered 409, as real providers answer. A key whose answer was lost stays taken a
 * little longer ({@link #LOST_ANSWER_LINGER}).
 */
final class KeysInProgress {
    /**
     * How long a provider keeps working on a request whose answer it lost (the client saw the
     * connection close; the server had not finished): a retry with the same key within it is
     * answered 409, as Resend and Stripe answer a key still in progress. Longer than the worker's
     * first quick retry (at most 25 ms), so a lost answer retried at once meets it.
     */
    static final Duration LOST_ANSWER_LINGER = Duration.ofMillis(100);

    private final Set<String> keys = ConcurrentHashMap.newKeySet();

    /**
     * Takes a key for one request (a missing or blank key: nothing to take).
     *
     * @return false if a request with this key is in progress
     */
    boolean take(String idempotencyKey) {
        return idempotencyKey == null || idempotencyKey.isBlank() || keys.add(idempotencyKey);
    }

    /** Frees a key {@link #take} took: at once, or after the linger if the request's answer was lost. */
    void free(String idempotencyKey, boolean answerLost) {
        if (idempotencyKey == null || idempotencyKey.isBlank()) {
            return;
        }
        if (answerLost) {
            CompletableFuture.delayedExecutor(LOST_ANSWER_LINGER.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> keys.remove(idempotencyKey));
        } else {
            keys.remove(idempotencyKey);
        }
    }
}
