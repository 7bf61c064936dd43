package dev.mailbatch.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.job.ChunkRecords;
import dev.mailbatch.job.Claim;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The chunk item: what a worker writes is what it reads back, in as few bytes as it can be. */
class RecipientItemsTest {
    private static final Instant AT = Instant.parse("2026-11-26T12:00:00.123Z");
    private static final Instant EXPIRES = AT.plusSeconds(86_400);

    @Test
    void recordsComeBackAsTheyWereWritten() {
        EmailAddress ada = EmailAddress.ofNormalized("Ada@Example.com");
        EmailAddress bob = EmailAddress.ofNormalized("bob@example.com");
        Recipient sent =
                RecipientItems.apply(null, Outcome.sent(ada, AT, "msg-1").fromCalls(2));
        Recipient gaveUp = RecipientItems.apply(null, Outcome.gaveUp(bob, AT, "delivery 8: 503", true));
        Map<String, AttributeValue> item =
                RecipientItems.toItem("job-1", 7, 3, Map.of(ada.key(), sent, bob.key(), gaveUp), EXPIRES);

        ChunkRecords read = RecipientItems.fromItem(item);

        assertThat(read.version()).isEqualTo(3);
        assertThat(RecipientItems.chunkOf(item)).isEqualTo(7);
        assertThat(read.get(ada.key()))
                .isEqualTo(new Recipient("Ada@Example.com", RecipientStatus.SENT, 2, null, AT, "msg-1", false));
        assertThat(read.get(bob.key()))
                .isEqualTo(new Recipient(
                        "bob@example.com", RecipientStatus.FAILED, 1, "delivery 8: 503", null, null, true));
        assertThat(item.get("expiresAt").n()).isEqualTo(Long.toString(EXPIRES.getEpochSecond()));
    }

    @Test
    void aLaterOutcomeAddsItsCallsAndKeepsWhenItWasSent() {
        EmailAddress ada = EmailAddress.ofNormalized("ada@example.com");
        Recipient retried =
                RecipientItems.apply(null, Outcome.retry(ada, AT, "503").fromCalls(3));
        Recipient sent = RecipientItems.apply(retried, Outcome.sent(ada, AT.plusSeconds(10), "msg-2"));
        assertThat(sent.attempts()).isEqualTo(4);
        assertThat(sent.error()).as("a success clears the error").isNull();
        Recipient cancelledLater = RecipientItems.apply(sent, Outcome.cancelled(ada, AT.plusSeconds(20)));
        assertThat(cancelledLater.sentAt()).isEqualTo(AT.plusSeconds(10));
        assertThat(cancelledLater.providerMessageId()).isEqualTo("msg-2");
    }

    @Test
    void aClaimIsKeptToTheMillisecondAndAnyOutcomeEndsIt() {
        EmailAddress ada = EmailAddress.ofNormalized("ada@example.com");
        Claim claim = new Claim("k3x9", AT.plusSeconds(65));
        Recipient claimed = RecipientItems.apply(null, Outcome.claim(ada, null, AT, claim));
        ChunkRecords read =
                RecipientItems.fromItem(RecipientItems.toItem("job-1", 0, 1, Map.of(ada.key(), claimed), EXPIRES));
        assertThat(read.get(ada.key()).claim()).isEqualTo(claim);
        assertThat(read.get(ada.key()).status()).isEqualTo(RecipientStatus.PENDING);
        assertThat(read.get(ada.key()).attempts()).isZero();
        Recipient sent = RecipientItems.apply(read.get(ada.key()), Outcome.sent(ada, AT.plusSeconds(1), "m"));
        assertThat(sent.claimed()).isFalse();
        assertThat(RecipientItems.fromItem(RecipientItems.toItem("job-1", 0, 2, Map.of(ada.key(), sent), EXPIRES))
                        .get(ada.key())
                        .claim())
                .isNull();
    }

    @Test
    void noChunkSharesThePartitionKeyOfItsJobOrOfAnotherChunk() {
        assertThat(RecipientItems.chunkKey("j", 1).get("pk"))
                .isNotEqualTo(RecipientItems.chunkKey("j", 2).get("pk"))
                .isNotEqualTo(Items.jobKey("j").get("pk"));
    }
}
