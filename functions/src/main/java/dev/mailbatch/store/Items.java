package dev.mailbatch.store;

import java.time.Instant;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The one table's layout and the attribute conversions every item kind shares.
 *
 * <pre>
 * pk            sk          item kind (its class)
 * JOB#{id}      JOB         a job: owner, total, counters, lifecycle, expiresAt         (JobStore)
 * JOB#{id}      CONTENT     what is sent (from, subject, text, html): written once with
 *                           the job, never again, so the counters' writes stay small    (JobStore)
 * JOB#{id}#C#{n} CHUNK     chunk n's recipient records (those a worker has attempted
 *                           or settled), in one map, with a version that every write
 *                           is conditional on; a partition key of its own, so a job's
 *                           chunks spread over partitions                               (RecipientStore)
 * IDEM#{o}#{key} IDEM       a caller's claimed Idempotency-Key ({o}: a digest of the
 *                           owner): the job its first request made, and that request's
 *                           fingerprint                                                 (KeyClaimStore)
 * OWNER#{o}     USAGE       an owner's usage against the quotas                         (UsageStore)
 * RATE[#n]      SEND        the stack's send-rate token buckets (one per 500/s of the
 *                           rate, at most 16, each its own partition key)               (RateStore)
 * </pre>
 *
 * Chunks hold recipients in address order, and a job's chunks follow each other in that order,
 * so reading chunks 0, 1, 2, … lists a job's recipients in address order.
 */
final class Items {
    static final String PK = "pk";
    static final String SK = "sk";
    static final String CHUNK_PREFIX = "C#";
    static final String CHUNK_SK = "CHUNK";

    private Items() {}

    static Map<String, AttributeValue> jobKey(String jobId) {
        return Map.of(PK, s(jobPk(jobId)), SK, s("JOB"));
    }

    static Map<String, AttributeValue> contentKey(String jobId) {
        return Map.of(PK, s(jobPk(jobId)), SK, s("CONTENT"));
    }

    static String jobPk(String jobId) {
        return "JOB#" + jobId;
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    static AttributeValue time(Instant value) {
        return AttributeValue.fromS(value.toString());
    }

    static String str(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    static long num(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    }

    static Instant instant(Map<String, AttributeValue> item, String name) {
        String v = str(item, name);
        return v == null ? null : Instant.parse(v);
    }

    static boolean exists(Map<String, AttributeValue> item) {
        return item != null && !item.isEmpty();
    }

    static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
