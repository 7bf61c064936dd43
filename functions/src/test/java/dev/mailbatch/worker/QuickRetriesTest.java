package dev.mailbatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.mail.SendResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which transient failures are tried again within a delivery, and after how long. */
class QuickRetriesTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final Instant LATER = NOW.plusSeconds(60);
    private static final SendResult.TransientFailure BUSY = new SendResult.TransientFailure("503", null);

    @Test
    void waitsDoubleFrom25MsUpToTheLastOfSixCalls() {
        QuickRetries retries = new QuickRetries(100, () -> 1.0); // the most the jitter allows
        List<Long> waits = new ArrayList<>();
        for (int calls = 1; calls <= QuickRetries.MAX_CALLS; calls++) {
            Duration wait = retries.next(calls, BUSY, NOW, LATER);
            waits.add(wait == null ? null : wait.toMillis());
        }
        assertThat(waits).containsExactly(25L, 50L, 100L, 200L, 400L, null);
    }

    @Test
    void theJitterSpreadsTheWaitFromZeroToTheCeiling() {
        assertThat(new QuickRetries(100, () -> 0.0).next(3, BUSY, NOW, LATER)).isZero();
        assertThat(new QuickRetries(100, () -> 0.5).next(3, BUSY, NOW, LATER)).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void aRetryAfterWithinTheCapIsWaitedALongerOneIsLeftToTheQueue() {
        QuickRetries retries = new QuickRetries(100, () -> 0.0);
        assertThat(retries.next(1, new SendResult.TransientFailure("429", Duration.ofMillis(700)), NOW, LATER))
                .isEqualTo(Duration.ofMillis(700));
        assertThat(retries.next(1, new SendResult.TransientFailure("429", Duration.ofSeconds(2), true), NOW, LATER))
                .isNull();
    }

    @Test
    void noRetryThatWouldEndAfterTheDeliveryMustRecord() {
        QuickRetries retries = new QuickRetries(100, () -> 1.0);
        assertThat(retries.next(2, BUSY, NOW, NOW.plusMillis(50))).isNull();
        assertThat(retries.next(2, BUSY, NOW, NOW.plusMillis(51))).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void retriesStopWhileHalfTheBudgetIsSpentAndResumeAsSendsSucceed() {
        QuickRetries retries = new QuickRetries(10, () -> 1.0);
        for (int i = 0; i < 4; i++) {
            retries.record(BUSY);
        }
        assertThat(retries.next(1, BUSY, NOW, LATER)).as("6 of 10 left").isNotNull();
        retries.record(BUSY);
        assertThat(retries.next(1, BUSY, NOW, LATER)).as("5 of 10 left").isNull();
        retries.record(new SendResult.PermanentFailure("bad address")); // an answer: the provider is up
        assertThat(retries.next(1, BUSY, NOW, LATER)).isNotNull();
        for (int i = 0; i < 50; i++) {
            retries.record(new SendResult.Sent("m"));
        }
        for (int i = 0; i < 4; i++) {
            retries.record(BUSY);
        }
        assertThat(retries.next(1, BUSY, NOW, LATER))
                .as("refills only up to the budget")
                .isNotNull();
        retries.record(BUSY);
        assertThat(retries.next(1, BUSY, NOW, LATER)).isNull();
    }

    @Test
    void withoutABudgetNothingIsRetried() {
        assertThat(QuickRetries.NONE.next(1, BUSY, NOW, LATER)).isNull();
    }
}
