package dev.mailbatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.job.Claim;
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
        assertThat(after(record(RecipientStatus.FAILED, 0, true), null).status())
                .as("marked FAILED first, then kept from its send by a cancel: never sent")
                .isEqualTo(RecipientStatus.CANCELLED);
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

    /** Another delivery's claim, ending at {@code until}. */
    private static Recipient claimed(RecipientStatus status, int attempts, boolean retryable, Instant until) {
        return claimedBy(status, attempts, retryable, new Claim("other", until));
    }

    private static Recipient claimedBy(RecipientStatus status, int attempts, boolean retryable, Claim claim) {
        return new Recipient("ada@example.com", status, attempts, null, null, null, retryable, claim);
    }

    /**
     * Issue 23, hole 3: "may have been sent" was read from SQS's receive count (a record-less
     * recipient counted only on a delivery above 1), so a redriven copy, which starts again at 1,
     * reported as CANCELLED an email an earlier copy had sent. It is read from the record now: a
     * claim is written before every send.
     */
    @Test
    void whetherARecipientMayHaveBeenSentIsReadFromItsRecordOnly() {
        assertThat(Outcomes.mayHaveBeenSent(null))
                .as("never claimed, so never sent")
                .isFalse();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.PENDING, 1, false)))
                .as("an attempt with no answer")
                .isTrue();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.PENDING, 0, false)))
                .isFalse();
        assertThat(Outcomes.mayHaveBeenSent(claimed(RecipientStatus.PENDING, 0, false, AT.minusSeconds(60))))
                .as("claimed by a delivery that died: it may have sent")
                .isTrue();
        assertThat(Outcomes.mayHaveBeenSent(claimed(RecipientStatus.FAILED, 0, true, AT.minusSeconds(60))))
                .as("marked FAILED first and claimed on a last delivery that died")
                .isTrue();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.SENT, 1, false)))
                .isFalse();
        assertThat(Outcomes.mayHaveBeenSent(record(RecipientStatus.FAILED, 2, true)))
                .as("gave up: failed, not unresolved")
                .isFalse();
    }

    /**
     * Issue 11: a job cancelled while one chunk's recipients were marked FAILED first (its last
     * deliveries) and another chunk still pending kept those FAILED though none was attempted.
     */
    @Test
    void aRecipientMarkedFailedFirstWithoutAnAttemptCountsAsNeverSent() {
        assertThat(Outcomes.neverSent(null)).isTrue();
        assertThat(Outcomes.neverSent(record(RecipientStatus.PENDING, 0, false)))
                .isTrue();
        assertThat(Outcomes.neverSent(record(RecipientStatus.PENDING, 1, false)))
                .isFalse();
        assertThat(Outcomes.neverSent(record(RecipientStatus.FAILED, 0, true))).isTrue();
        assertThat(Outcomes.neverSent(record(RecipientStatus.FAILED, 2, true))).isFalse();
        assertThat(Outcomes.neverSent(record(RecipientStatus.FAILED, 0, false))).isFalse();
        assertThat(Outcomes.neverSent(record(RecipientStatus.SENT, 1, false))).isFalse();
        assertThat(Outcomes.neverSent(claimed(RecipientStatus.PENDING, 0, false, AT.plusSeconds(5))))
                .as("claimed: a send may be under way")
                .isFalse();
    }

    @Test
    void aClaimKeepsTheRecordAndMarksItUntilTheDeliveryEnds() {
        Claim mine = new Claim("mine", AT.plusSeconds(60));
        Outcome first = Outcomes.claim(ADA, null, AT, mine, null);
        assertThat(first.status()).isEqualTo(RecipientStatus.PENDING);
        assertThat(first.attempts()).isZero();
        assertThat(first.claim()).isEqualTo(mine);

        Recipient retrying = new Recipient("ada@example.com", RecipientStatus.PENDING, 2, "503", null, null, false);
        Outcome again = Outcomes.claim(ADA, retrying, AT, mine, null);
        assertThat(again.error())
                .as("the last error stays until an outcome replaces it")
                .isEqualTo("503");
        assertThat(again.isClaim()).isTrue();

        assertThat(Outcomes.claim(ADA, claimed(RecipientStatus.PENDING, 0, false, AT.plusSeconds(1)), AT, mine, null))
                .as("another delivery's claim still holds")
                .isNull();
        assertThat(Outcomes.claim(ADA, claimed(RecipientStatus.PENDING, 0, false, AT), AT, mine, null))
                .as("a claim that ended (its holder died) is taken over")
                .isNotNull();
        assertThat(Outcomes.claim(ADA, record(RecipientStatus.SENT, 1, false), AT, mine, null))
                .isNull();

        Outcome lastDelivery = Outcomes.claim(ADA, null, AT, mine, "not sent by delivery 8 of 8");
        assertThat(lastDelivery.status()).isEqualTo(RecipientStatus.FAILED);
        assertThat(lastDelivery.retryable()).isTrue();
        assertThat(lastDelivery.claim()).isEqualTo(mine);
    }

    @Test
    void aDeliveryKnowsItsOwnClaimWhenItsWriteLandedAndTheAnswerWasLost() {
        Claim mine = new Claim("mine", AT.plusSeconds(60));
        Outcome again = Outcomes.claim(ADA, claimedBy(RecipientStatus.PENDING, 0, false, mine), AT, mine, null);
        assertThat(again).as("its own claim, not another delivery's").isNotNull();
        assertThat(again.claim()).isEqualTo(mine);
    }

    /**
     * Found by SesIT in the full suite: two deliveries of one chunk in one invocation have the same
     * deadline, and a claim that was known by its end time alone was taken for the other's own:
     * both sent. A claim is known by its holder's token.
     */
    @Test
    void aClaimWithTheSameEndButAnotherHolderIsAnotherDeliverys() {
        Instant until = AT.plusSeconds(60);
        assertThat(Outcomes.claim(
                        ADA,
                        claimedBy(RecipientStatus.PENDING, 0, false, new Claim("other", until)),
                        AT,
                        new Claim("mine", until),
                        null))
                .isNull();
        assertThat(Outcomes.endClaim(
                        ADA,
                        claimedBy(RecipientStatus.PENDING, 0, false, new Claim("other", until)),
                        AT,
                        new Claim("mine", until)))
                .isNull();
    }

    @Test
    void aSendThatNeverStartedForWantOfTimeReleasesTheClaimAndChangesNothingElse() {
        Instant until = AT.plusSeconds(60);
        Outcomes.Attempt late = new Outcomes.Attempt(ADA, null, 0, true);
        assertThat(late.notStarted()).isTrue();
        Outcome released = Outcomes.after(claimed(RecipientStatus.PENDING, 0, false, until), late, AT, 3);
        assertThat(released.status()).isEqualTo(RecipientStatus.PENDING);
        assertThat(released.claim()).isNull();
        assertThat(released.attempts()).isZero();
        assertThat(Outcomes.after(null, late, AT, 3)).isNull();
        Outcomes.Attempt triedThenLate =
                new Outcomes.Attempt(ADA, new SendResult.TransientFailure("503", null), 2, true);
        assertThat(triedThenLate.notStarted())
                .as("a call was made: its result counts")
                .isFalse();
        assertThat(Outcomes.after(null, triedThenLate, AT, 3).status()).isEqualTo(RecipientStatus.PENDING);
    }

    @Test
    void aClaimEndsOnlyIfItIsStillThisDeliverys() {
        Claim mine = new Claim("mine", AT.plusSeconds(60));
        Outcome ended = Outcomes.endClaim(ADA, claimedBy(RecipientStatus.PENDING, 0, false, mine), AT, mine);
        assertThat(ended.claim()).as("still claimed: it may have gone out").isEqualTo(new Claim("mine", AT));
        assertThat(Outcomes.endClaim(ADA, claimed(RecipientStatus.PENDING, 0, false, AT.plusSeconds(60)), AT, mine))
                .isNull();
        assertThat(Outcomes.endClaim(ADA, record(RecipientStatus.SENT, 1, false), AT, mine))
                .isNull();
    }

    @Test
    void markedFailedFirstARecipientAnEarlierClaimMayHaveSentStaysClaimed() {
        Instant died = AT.minusSeconds(30);
        Outcome marked = Outcomes.failFirst(ADA, claimed(RecipientStatus.PENDING, 0, false, died), AT, "last");
        assertThat(marked.status()).isEqualTo(RecipientStatus.FAILED);
        assertThat(marked.claim()).isEqualTo(new Claim("other", died));
        assertThat(Outcomes.failFirst(ADA, null, AT, "last").claim()).isNull();
        assertThat(Outcomes.failFirst(ADA, null, AT, null)).isNull();
        assertThat(Outcomes.failFirst(ADA, record(RecipientStatus.FAILED, 1, true), AT, "last"))
                .isNull();
    }

    @Test
    void aClaimedRecipientTheCancelKeptFromItsSendIsCancelledOrReleased() {
        Instant until = AT.plusSeconds(60);
        Outcome neverTried = after(claimed(RecipientStatus.PENDING, 0, false, until), null);
        assertThat(neverTried.status()).isEqualTo(RecipientStatus.CANCELLED);
        Outcome markedFirst = after(claimed(RecipientStatus.FAILED, 0, true, until), null);
        assertThat(markedFirst.status()).isEqualTo(RecipientStatus.CANCELLED);
        Outcome triedBefore = after(claimed(RecipientStatus.PENDING, 2, false, until), null);
        assertThat(triedBefore.status()).as("an earlier call may have gone out").isEqualTo(RecipientStatus.PENDING);
        assertThat(triedBefore.claim()).isNull();
        assertThat(after(record(RecipientStatus.PENDING, 2, false), null))
                .as("nothing to release")
                .isNull();
        assertThat(after(claimed(RecipientStatus.PENDING, 0, false, until), new SendResult.Sent("m"))
                        .claim())
                .as("an outcome ends the claim")
                .isNull();
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
