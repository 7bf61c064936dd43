package dev.mailbatch.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpProviderSenderTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 202, 204, 299})
    void twoHundredsAreSent(int status) {
        assertThat(HttpProviderSender.classify(status, "{\"id\":\"m-1\"}", Optional.empty(), NOW))
                .isEqualTo(new SendResult.Sent("m-1"));
    }

    @org.junit.jupiter.api.Test
    void keepsAMessageIdUnderEitherNameAndToleratesBodiesWithout() {
        assertThat(HttpProviderSender.classify(200, "{\"messageId\":\"m-2\"}", Optional.empty(), NOW))
                .isEqualTo(new SendResult.Sent("m-2"));
        assertThat(HttpProviderSender.classify(200, "OK", Optional.empty(), NOW))
                .isEqualTo(new SendResult.Sent(null));
        assertThat(HttpProviderSender.classify(202, "", Optional.empty(), NOW)).isEqualTo(new SendResult.Sent(null));
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 199, 300, 301, 399, 408, 429, 500, 502, 503, 504, 599})
    void throttlingTimeoutsAndFaultsAreTransient(int status) {
        assertThat(HttpProviderSender.classify(status, "busy", Optional.empty(), NOW))
                .isInstanceOf(SendResult.TransientFailure.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 413, 422, 499})
    void otherClientErrorsArePermanentAndSayWhy(int status) {
        SendResult result =
                HttpProviderSender.classify(status, "{\"error\": \"bad\nrecipient\"}", Optional.empty(), NOW);
        assertThat(result).isInstanceOf(SendResult.PermanentFailure.class);
        assertThat(((SendResult.PermanentFailure) result).reason())
                .contains(Integer.toString(status))
                .contains("bad recipient");
    }

    @org.junit.jupiter.api.Test
    void honoursRetryAfterInSecondsOrAsADate() {
        SendResult seconds = HttpProviderSender.classify(429, "", Optional.of("120"), NOW);
        assertThat(((SendResult.TransientFailure) seconds).retryAfter()).isEqualTo(Duration.ofSeconds(120));
        SendResult date = HttpProviderSender.classify(503, "", Optional.of("Wed, 25 Nov 2026 12:01:30 GMT"), NOW);
        assertThat(((SendResult.TransientFailure) date).retryAfter()).isEqualTo(Duration.ofSeconds(90));
        SendResult past = HttpProviderSender.classify(503, "", Optional.of("Wed, 25 Nov 2026 11:00:00 GMT"), NOW);
        assertThat(((SendResult.TransientFailure) past).retryAfter()).isEqualTo(Duration.ZERO);
        SendResult junk = HttpProviderSender.classify(503, "", Optional.of("soon"), NOW);
        assertThat(((SendResult.TransientFailure) junk).retryAfter()).isNull();
    }

    @org.junit.jupiter.api.Test
    void longProviderBodiesAreCut() {
        SendResult result = HttpProviderSender.classify(400, "x".repeat(5000), Optional.empty(), NOW);
        assertThat(((SendResult.PermanentFailure) result).reason()).hasSizeLessThan(260);
    }

    @org.junit.jupiter.api.Test
    void whatACallerSeesOfAProviderAnswerIsShortAndSanitised() {
        String answer = "{\"error\":\"rejected bob@example.com for arn:aws:ses:us-east-1:123456789012:identity/x"
                + " (account 123456789012, Authorization: Bearer eyJhbGciOi.abc.def)\u2028next\u0000line\"}";
        String seen = ProviderText.sanitised(answer);
        assertThat(seen)
                .doesNotContain("bob@example.com", "123456789012", "eyJhbGciOi", "\u2028", "\u0000")
                .contains("[address]", "[arn]", "[account]", "Bearer [token]");
        assertThat(ProviderText.sanitised("x".repeat(500))).hasSize(ProviderText.MAX_CHARS + 3);
        SendResult refused = HttpProviderSender.classify(422, answer, Optional.empty(), NOW);
        assertThat(((SendResult.PermanentFailure) refused).reason())
                .startsWith("provider answered 422: ")
                .doesNotContain("bob@example.com");
    }

    /** Regression (issue 11, defect 2): 409 to a keyed request means "in progress", not "refused". */
    @org.junit.jupiter.api.Test
    void aConflictOnTheIdempotencyKeyIsTransient() {
        SendResult result = HttpProviderSender.classify(409, "{\"error\":\"in progress\"}", Optional.of("2"), NOW);
        assertThat(result).isInstanceOf(SendResult.TransientFailure.class);
        assertThat(((SendResult.TransientFailure) result).retryAfter()).isEqualTo(java.time.Duration.ofSeconds(2));
    }

    @Test
    void onlyA429IsThrottling() {
        assertThat(HttpProviderSender.classify(429, "", Optional.empty(), NOW))
                .isEqualTo(new SendResult.TransientFailure("provider answered 429", null, true));
        assertThat(HttpProviderSender.classify(503, "", Optional.empty(), NOW))
                .isEqualTo(new SendResult.TransientFailure("provider answered 503", null, false));
    }
}
