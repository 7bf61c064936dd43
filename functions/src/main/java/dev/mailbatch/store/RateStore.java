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
 * The stack's send rate: token buckets that every worker instance takes its sends from, with a
 * conditional write on the state it read, so the rate holds however many workers run. Tokens are
 * kept in thousandths; a provider's "slow down" pauses every bucket for everyone.
 *
 * <p>A high rate is split over {@link #shards} buckets, each with its own partition key
 * ({@code RATE} / {@code SEND}, then {@code RATE#1} … / {@code SEND}) and an equal share of the
 * rate and capacity, so that many workers do not all race on one item; their sum is the rate.
 */
public final class RateStore {
    /** The rate one bucket serves at least before the rate is split over more (at most {@link #MAX_SHARDS}). */
    private static final double PER_SHARD = 500;

    private static final int MAX_SHARDS = 16;
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

    /** How many buckets a rate of {@code perSecond} is split over: 1 up to 500/s, then one per 500/s, at most 16. */
    public static int shards(double perSecond) {
        return (int) Math.max(1, Math.min(MAX_SHARDS, Math.floor(perSecond / PER_SHARD)));
    }

    private static Map<String, AttributeValue> key(int shard) {
        return Map.of(PK, s(shard == 0 ? "RATE" : "RATE#" + shard), SK, s("SEND"));
    }

    /**
     * Takes up to {@code want} tokens from bucket {@code shard}, of {@code capacity}, that refills at
     * {@code perSecond} (the shard's own share). A race lost to another worker is tried again at once (a pause would hold
     * up every send of this worker, which waits for these tokens), up to {@link #MAX_RACES} in a
     * row.
     */
    public Grant take(int shard, int want, double perSecond, double capacity, Instant now) {
        for (int tries = 1; ; tries++) {
            Map<String, AttributeValue> item = read(shard);
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
            if (write(shard, item, Math.round((tokens - granted) * 1000), now.toEpochMilli(), pausedUntil)) {
                return new Grant(granted, Duration.ZERO);
            }
            if (tries >= MAX_RACES) {
                throw new StoreException("the send rate's bucket kept changing", null);
            }
        }
    }

    /** Nobody sends before {@code until} (a provider asked to slow down): every one of the buckets. */
    public void pauseUntil(Instant until, int shards) {
        for (int shard = 0; shard < shards; shard++) {
            pauseUntil(shard, until);
        }
    }

    /** A later pause wins. */
    private void pauseUntil(int shard, Instant until) {
        for (int tries = 1; tries <= 20; tries++) {
            Map<String, AttributeValue> item = read(shard);
            long current = exists(item) ? num(item, "pausedUntil") : 0;
            if (current >= until.toEpochMilli()) {
                return;
            }
            long milliTokens = exists(item) ? num(item, "milliTokens") : 0;
            long at = exists(item) ? num(item, "atMillis") : until.toEpochMilli();
            if (write(shard, item, milliTokens, at, until.toEpochMilli())) {
                return;
            }
        }
    }

    private Map<String, AttributeValue> read(int shard) {
        try {
            return dynamo.getItem(r -> r.tableName(table).key(key(shard)).consistentRead(true))
                    .item();
        } catch (SdkException e) {
            throw new StoreException("could not read the send rate", e);
        }
    }

    /** Writes the bucket if it is still as {@code seen}; false when another worker changed it first. */
    private boolean write(
            int shard, Map<String, AttributeValue> seen, long milliTokens, long atMillis, long pausedUntil) {
        Map<String, AttributeValue> item = new HashMap<>(key(shard));
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
