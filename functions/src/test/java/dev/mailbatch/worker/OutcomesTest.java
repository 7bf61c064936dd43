package dev.mailbatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Outcome;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.mail.SendResult;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The worker's outcome logic: what a record becomes after an attempt, given what it is now. */
class OutcomesTest {
    private static final Instant AT = Instant.parse("2026-11-26T12:00:00Z");
    private static final EmailAddress ADA = EmailAddress.ofNormalized("ada@example.com");

    private static Recipient record(RecipientStatus status, int attempts, boolean retryable) {
        return new Recipient("ada@example.com", status, attempts, null, null, null, retryable);
    }

    private static Outcome after(Recipient current, SendResult result) {
        return Outcomes.after(current, new Outcomes.Attempt(ADA, result), AT, 3);
    }

    @Test
    void aSendThatWentOutIsReportedSentEvenOverACancel() {
        Outcome outcome = after(record(RecipientStatus.CANCELLED, 0, false), new SendResult.Sent("m-1"));
        assertThat(outcome.status()).isEqualTo(RecipientStatus.SENT);
        assertThat(outcome.providerMessageId()).isEqualTo("m-1");
        // but a cancelled recipient is not retried on a failure, nor is anything else done changed
        assertThat(after(record(RecipientStatus.CANCELLED, 0, false), new SendResult.TransientFailure("x", null)))
                .isNull();
        assertThat(after(record(RecipientStatus.SENT, 1, false), new SendResult.Sent("m-2")))
                .isNull();
        assertThat(after(record(RecipientStatus.FAILED, 1, false), new SendResult.Sent("m-3")))
                .isNull();
    }

    @Test
    void outcomesOfAnOpenRecord() {
        assertThat(after(null, new SendResult.Sent("m")).status()).isEqualTo(RecipientStatus.SENT);
        assertThat(after(null, new SendResult.PermanentFailure("no")).status()).isEqualTo(RecipientStatus.FAILED);
        assertThat(after(null, new SendResult.TransientFailure("busy", null)).status())
                .isEqualTo(RecipientStatus.PENDING);
        assertThat(after(null, null).status()).isEqualTo(RecipientStatus.CANCELLED);
        Outcome gaveUp = after(record(RecipientStatus.FAILED, 2, true), new SendResult.TransientFailure("busy", null));
        assertThat(gaveUp.status()).isEqualTo(RecipientStatus.FAILED);
        assertThat(gaveUp.retryable()).isTrue();
        assertThat(after(record(RecipientStatus.FAILED, 2, true), null)).isNull();
    }

    @Test
    void everyProviderCallOfTheDeliveryIsCounted() {
        SendResult busy = new SendResult.TransientFailure("busy", null);
        assertThat(Outcomes.after(null, new Outcomes.Attempt(ADA, busy, 3), AT, 1)
                        .attempts())
                .isEqualTo(3);
        assertThat(Outcomes.after(null, new Outcomes.Attempt(ADA, new SendResult.Sent("m"), 2), AT, 1)
                        .attempts())
                .isEqualTo(2);
        assertThat(after(null, null).attempts()).as("cancelled before any call").isZero();
        Outcome cancelledMidRetries = Outcomes.after(null, new Outcomes.Attempt(ADA, busy, 2), AT, 1);
        assertThat(cancelledMidRetries.status())
                .as("a call that failed may have gone out: retried, not cancelled")
                .isEqualTo(RecipientStatus.PENDING);
    }

    @Test
    void onlyARecipientAnEarlierDeliveryMayHaveSentIsUnresolved() {
        assertThat(Outcomes.mayHaveBeenSent(null, 1))
                .as("first delivery, no record")
                .isFalse();
        assertThat(Outcomes.mayHaveBeenSent(null, 2))
                .as("a delivery died after sending?")
                .isTrue();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.PENDING, 1, false), 1))
                .isTrue();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.PENDING, 0, false), 2))
                .isFalse();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.SENT, 1, false), 2))
                .isFalse();
    }

    /**
     * Issue 11: a job cancelled while one chunk's recipients were marked FAILED first (its last
     * deliveries) and another chunk still pending kept those FAILED though none was attempted.
     */
    @Test
    void aRecipientMarkedFailedFirstWithoutAnAttemptCountsAsNeverSent() {
        assertThat(Outcomes.neverSent(null)).isTrue();
        assertThat(Outcomes.neverSent(record(RecipientStatus.PENDING, 1, false)))
                .isTrue();
        assertThat(Outcomes.neverSent(record(RecipientStatus.FAILED, 0, true))).isTrue();
        assertThat(Outcomes.neverSent(record(RecipientStatus.FAILED, 2, true))).isFalse();
        assertThat(Outcomes.neverSent(record(RecipientStatus.FAILED, 0, false))).isFalse();
        assertThat(Outcomes.neverSent(record(RecipientStatus.SENT, 1, false))).isFalse();
    }

    @Test
    void theDeliveryKeyIsStablePerJobAndMailboxAndCarriesNoAddress() {
        String key = Outcomes.deliveryKey("job-1", ADA);
        assertThat(key)
                .startsWith("mb-job-1-")
                .hasSize("mb-job-1-".length() + 32)
                .doesNotContain("ada");
        assertThat(Outcomes.deliveryKey("job-1", EmailAddress.ofNormalized("ADA@example.com")))
                .isEqualTo(key);
        assertThat(Outcomes.deliveryKey("job-2", ADA)).isNotEqualTo(key);
        assertThat(Outcomes.deliveryKey("job-1", EmailAddress.ofNormalized("bob@example.com")))
                .isNotEqualTo(key);
    }

    @Test
    void aReasonKeepsTheErrorTheRecordCarriedBefore() {
        Recipient failedBefore = new Recipient("ada@example.com", RecipientStatus.FAILED, 1, "busy", null, null, true);
        assertThat(Outcomes.withPrevious("cancelled", failedBefore)).isEqualTo("cancelled: busy");
        assertThat(Outcomes.withPrevious("cancelled", record(RecipientStatus.PENDING, 0, false)))
                .isEqualTo("cancelled");
        assertThat(Outcomes.withPrevious("cancelled", null)).isEqualTo("cancelled");
    }
}
