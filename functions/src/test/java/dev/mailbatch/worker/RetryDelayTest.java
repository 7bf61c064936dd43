package dev.mailbatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryDelayTest {
    private static final Duration BASE = Duration.ofSeconds(10);
    private static final Duration MAX = Duration.ofSeconds(900);

    @ParameterizedTest(name = "receive {0}: between {1} and {2} s")
    @CsvSource({"1, 5, 10", "2, 10, 20", "3, 20, 40", "5, 80, 160", "7, 320, 640", "8, 450, 900", "30, 450, 900"})
    void growsExponentiallyWithJitterUpToTheCap(int receiveCount, long low, long high) {
        assertThat(RetryDelay.compute(receiveCount, null, BASE, MAX, () -> 0.0)).isEqualTo(Duration.ofSeconds(low));
        assertThat(RetryDelay.compute(receiveCount, null, BASE, MAX, () -> 1.0)).isEqualTo(Duration.ofSeconds(high));
    }

    @Test
    void neverShorterThanTheProvidersRetryAfterNorLongerThanTheCap() {
        assertThat(RetryDelay.compute(1, Duration.ofSeconds(600), BASE, MAX, () -> 0.5))
                .isEqualTo(Duration.ofSeconds(600));
        // Regression (issue 11): a Retry-After past RetryMaxSeconds used to be honoured up to 12 h,
        // so a message could outlive the queue's retention before its last deliveries.
        assertThat(RetryDelay.compute(1, Duration.ofSeconds(3600), BASE, MAX, () -> 0.5))
                .isEqualTo(MAX);
        assertThat(RetryDelay.compute(1, Duration.ofDays(2), BASE, Duration.ofDays(1), () -> 0.5))
                .isEqualTo(Duration.ofHours(12));
        assertThat(RetryDelay.compute(1, Duration.ZERO, Duration.ZERO, Duration.ZERO, () -> 0.5))
                .isEqualTo(Duration.ZERO);
    }
}
