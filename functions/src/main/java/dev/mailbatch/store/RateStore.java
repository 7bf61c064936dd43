package dev.mailbatch.store;

import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.exists;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * The stack's send rate: one token bucket item ({@code RATE} / {@code SEND}) that every worker
 * instance takes its sends from, with a conditional write on the state it read, so the rate holds
 * however many workers run. Tokens are kept in thousandths; a provider's "slow down" pauses the
 * bucket for everyone.
 */
public final class RateStore {
    private static final Map<String, AttributeValue> KEY = Map.of(PK, s("RATE"), SK, s("SEND"));
    /**
     * Races lost in a row before a take gives up. Twenty was too few: ten workers taking at once
     * lost that many, and the chunk failed.
     */
    private static final int MAX_RACES = 200;

    private final DynamoDbClient dynamo;
    private final String table;

    public RateStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /**
     * What a take came to: tokens granted (0 or more), and if none, how long to wait before the
     * next one can be.
     */
    public record Grant(int tokens, Duration retryIn) {}

    /**
     * Takes up to {@code want} tokens from a bucket of {@code capacity} that refills at
     * {@code perSecond}. A race lost to another worker is tried again at once (a pause would hold
     * up every send of this worker, which waits for these tokens), up to {@link #MAX_RACES} in a
     * row.
     */
    public Grant take(int want, double perSecond, double capacity, Instant now) {
        for (int tries = 1; ; tries++) {
            Map<String, AttributeValue> item = read();
            long atMillis = exists(item) ? num(item, "atMillis") : 0;
            double tokens = exists(item)
                    ? Math.min(
                            capacity,
                            num(item, "milliTokens") / 1000.0
                                    + Math.max(0, now.toEpochMilli() - atMillis) * perSecond / 1000.0)
                    : capacity;
            long pausedUntil = exists(item) ? num(item, "pausedUntil") : 0;
            if (pausedUntil > now.toEpochMilli()) {
                return new Grant(0, Duration.ofMillis(pausedUntil - now.toEpochMilli()));
            }
            int granted = (int) Math.min(want, Math.floor(tokens));
            if (granted == 0) {
                return new Grant(
                        0,
                        Duration.ofMillis((long) Math.ceil((1 - tokens) * 1000 / perSecond))
                                .plusMillis(1));
            }
            if (write(item, Math.round((tokens - granted) * 1000), now.toEpochMilli(), pausedUntil)) {
                return new Grant(granted, Duration.ZERO);
            }
            if (tries >= MAX_RACES) {
                throw new StoreException("the send rate's bucket kept changing", null);
            }
        }
    }

    /** Nobody sends before {@code until} (a provider asked to slow down); a later pause wins. */
    public void pauseUntil(Instant until) {
        for (int tries = 1; tries <= 20; tries++) {
            Map<String, AttributeValue> item = read();
            long current = exists(item) ? num(item, "pausedUntil") : 0;
            if (current >= until.toEpochMilli()) {
                return;
            }
            long milliTokens = exists(item) ? num(item, "milliTokens") : 0;
            long at = exists(item) ? num(item, "atMillis") : until.toEpochMilli();
            if (write(item, milliTokens, at, until.toEpochMilli())) {
                return;
            }
        }
    }

    private Map<String, AttributeValue> read() {
        try {
            return dynamo.getItem(r -> r.tableName(table).key(KEY).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read the send rate", e);
        }
    }

    /** Writes the bucket if it is still as {@code seen}; false when another worker changed it first. */
    private boolean write(Map<String, AttributeValue> seen, long milliTokens, long atMillis, long pausedUntil) {
        Map<String, AttributeValue> item = new HashMap<>(KEY);
        item.put("milliTokens", n(milliTokens));
        item.put("atMillis", n(atMillis));
        item.put("pausedUntil", n(pausedUntil));
        item.put("version", n((exists(seen) ? num(seen, "version") : 0) + 1));
        try {
            dynamo.putItem(r -> r.tableName(table)
                    .item(item)
                    .conditionExpression(exists(seen) ? "version = :v" : "attribute_not_exists(pk)")
                    .expressionAttributeValues(exists(seen) ? Map.of(":v", n(num(seen, "version"))) : null));
            return true;
        } catch (ConditionalCheckFailedException lost) {
            return false;
        } catch (SdkException e) {
            throw new StoreException("could not take from the send rate", e);
        }
    }
}
