package dev.mailbatch.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.job.EmailAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuzzes POST /emails validation: any content type, any bytes, any Idempotency-Key. The parser
 * either returns a request that keeps every promise the worker relies on, or throws an
 * {@link ApiException} with a 4xx status, a code and at least one field; anything else it throws
 * is a finding.
 *
 * <p>In the test command this runs in regression mode: the inputs under
 * {@code src/test/resources/dev/mailbatch/api/BatchRequestParserFuzzTestInputs/} plus Jazzer's
 * own. The README has the command for a ten-minute fuzzing run.
 */
class BatchRequestParserFuzzTest {
    private static final List<String> CONTENT_TYPES = List.of(
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "text/plain",
            "application/jsonx",
            "",
            " application/json ;");
    private static final SubmitConfig CONFIG = SubmitConfig.from(Map.of(
            "TABLE_NAME",
            "t",
            "QUEUE_URL",
            "http://q",
            "PROVIDER_URL",
            "http://p",
            "DEFAULT_FROM",
            "news@mailbatch.example",
            "ALLOWED_FROM",
            "team@mailbatch.example",
            "MAX_RECIPIENTS",
            "50",
            "MAX_BODY_BYTES",
            "65536",
            "MAX_CONTENT_BYTES",
            "4096")::get);
    private static final BatchRequestParser PARSER = new BatchRequestParser(CONFIG);

    @FuzzTest(maxDuration = "10m")
    void parsesOrRefusesWithA4xx(FuzzedDataProvider data) {
        String contentType = data.consumeBoolean() ? data.pickValue(CONTENT_TYPES) : data.consumeString(40);
        String key = data.consumeBoolean() ? data.consumeString(300) : null;
        byte[] body = data.consumeRemainingAsBytes();
        try {
            IdempotencyKeyHeader.validate(key);
        } catch (ApiException e) {
            assertRefusal(e);
            assertThat(e.details().get(0).field()).isEqualTo("Idempotency-Key");
        }
        BatchRequest request;
        try {
            request = PARSER.parse(contentType, body);
        } catch (ApiException e) {
            assertRefusal(e);
            return;
        }
        assertThat(request.recipients()).isNotEmpty().hasSizeLessThanOrEqualTo(CONFIG.maxRecipients());
        Set<String> keys = new HashSet<>();
        for (EmailAddress r : request.recipients()) {
            assertThat(keys.add(r.key())).as("unique: %s", r).isTrue();
            assertThat(EmailAddress.parse(r.address()).isValid())
                    .as("re-parses: %s", r)
                    .isTrue();
        }
        assertThat(request.subject()).isNotBlank().doesNotContain("\r", "\n");
        assertThat(request.text() != null || request.html() != null).isTrue();
        assertThat(request.from()).isNotBlank();
        assertThat(request.fingerprint()).hasSize(64);
    }

    private static void assertRefusal(ApiException e) {
        assertThat(e.status()).isBetween(400, 499);
        assertThat(e.code()).isNotBlank();
        assertThat(e.details())
                .isNotEmpty()
                .allSatisfy(d -> assertThat(d.field()).isNotBlank());
    }
}
