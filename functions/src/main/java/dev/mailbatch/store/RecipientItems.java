package dev.mailbatch.store;

import static dev.mailbatch.store.Items.instant;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.recipientKey;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.str;
import static dev.mailbatch.store.Items.time;

import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.Update;

/** The recipient item: a {@link Recipient} from its attributes, an {@link Outcome} to its conditional update. */
final class RecipientItems {
    private RecipientItems() {}

    /** The write of an outcome, conditional on the record still being {@code before} (null: none yet). */
    static Update update(String table, String jobId, Outcome o, Recipient before, Instant expiresAt) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":email", s(o.recipient().address()));
        values.put(":status", s(o.status().name()));
        values.put(":statusKey", s(statusKey(jobId, o.status())));
        values.put(":retryable", AttributeValue.fromBool(o.retryable()));
        values.put(":inc", n(o.attempts()));
        values.put(":zero", n(0));
        values.put(":expires", n(expiresAt.getEpochSecond()));
        StringBuilder set = new StringBuilder("SET email = :email, #status = :status, statusKey = :statusKey,"
                + " retryable = :retryable, attempts = if_not_exists(attempts, :zero) + :inc, expiresAt = :expires");
        if (o.attempted() || o.status() == RecipientStatus.SENT) {
            values.put(":at", time(o.at()));
        }
        if (o.attempted()) {
            set.append(", lastAttemptAt = :at");
        }
        String remove = "";
        if (o.error() != null) {
            set.append(", #error = :error");
            values.put(":error", s(Items.truncate(o.error(), 500)));
        } else {
            remove = " REMOVE #error";
        }
        if (o.status() == RecipientStatus.SENT) {
            set.append(", sentAt = :at");
            if (o.providerMessageId() != null) {
                set.append(", providerMessageId = :mid");
                values.put(":mid", s(Items.truncate(o.providerMessageId(), 256)));
            }
        }
        return Update.builder()
                .tableName(table)
                .key(recipientKey(jobId, o.recipient().key()))
                .updateExpression(set + remove)
                .conditionExpression(unchangedSince(before, values))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .expressionAttributeNames(Map.of("#status", "status", "#error", "error"))
                .expressionAttributeValues(values)
                .build();
    }

    /** The condition that the record is still {@code before} (null: that there is none yet). */
    private static String unchangedSince(Recipient before, Map<String, AttributeValue> values) {
        if (before == null) {
            return "attribute_not_exists(pk)";
        }
        values.put(":was", s(before.status().name()));
        values.put(":wasRetryable", AttributeValue.fromBool(before.retryable()));
        return before.retryable()
                ? "#status = :was AND retryable = :wasRetryable"
                : "#status = :was AND (retryable = :wasRetryable OR attribute_not_exists(retryable))";
    }

    static String statusKey(String jobId, RecipientStatus status) {
        return jobId + "#" + status.name();
    }

    static Recipient toRecipient(Map<String, AttributeValue> item) {
        AttributeValue retryable = item.get("retryable");
        return new Recipient(
                str(item, "email"),
                RecipientStatus.valueOf(str(item, "status")),
                (int) num(item, "attempts"),
                str(item, "error"),
                instant(item, "sentAt"),
                str(item, "providerMessageId"),
                retryable != null && Boolean.TRUE.equals(retryable.bool()));
    }
}
