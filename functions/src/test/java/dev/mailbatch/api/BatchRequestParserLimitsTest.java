package dev.mailbatch.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.mailbatch.api.ApiException.FieldError;
import dev.mailbatch.config.SubmitConfig;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Every limit is inclusive, and each refusal names only what is wrong (boundaries PIT found untested). */
class BatchRequestParserLimitsTest {

    private static BatchRequestParser parser(String... settings) {
        Map<String, String> env = new HashMap<>(
                Map.of("TABLE_NAME", "t", "QUEUE_URL", "q", "PROVIDER_URL", "http://p", "MAX_RECIPIENTS", "30"));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return new BatchRequestParser(SubmitConfig.from(env::get));
    }

    private static final BatchRequestParser SMALL =
            parser("DEFAULT_FROM", "news@mailbatch.example", "MAX_CONTENT_BYTES", "10", "MAX_BODY_BYTES", "200");

    private static BatchRequest parse(BatchRequestParser parser, String json) {
        return parser.parse("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static ApiException reject(BatchRequestParser parser, String json) {
        return catchThrowableOfType(ApiException.class, () -> parse(parser, json));
    }

    private static String body(String subject, String text, String html) {
        return "{\"emails\":[\"a@example.com\"],\"subject\":\"" + subject + "\",\"text\":\"" + text + "\",\"html\":\""
                + html + "\"}";
    }

    @Test
    void contentMayFillItsLimitExactlyAndEveryPartCounts() {
        assertThat(parse(SMALL, body("Hi", "12345678", "")).text()).isEqualTo("12345678");
        assertThat(reject(SMALL, body("Hi", "123456789", "")).status()).isEqualTo(413);
        assertThat(reject(SMALL, body("Hi", "12345", "1234")).status()).isEqualTo(413);
        assertThat(reject(SMALL, body("H", "12345", "12345")).details())
                .containsExactly(new FieldError("html", "subject + text + html must be at most 10 bytes (UTF-8)"));
    }

    @Test
    void theBodyMayFillItsLimitExactly() {
        String json = body("Hi", "t", "");
        String exactly = json + " ".repeat(200 - json.length());
        assertThat(parse(SMALL, exactly).subject()).isEqualTo("Hi");
        assertThat(reject(SMALL, exactly + " ").status()).isEqualTo(413);
    }

    @Test
    void aBatchMayHoldExactlyTheMostRecipients() {
        BatchRequestParser three = parser("DEFAULT_FROM", "news@mailbatch.example", "MAX_RECIPIENTS", "3");
        String emails = "\"a@example.com\",\"b@example.com\",\"c@example.com\"";
        assertThat(parse(three, "{\"emails\":[" + emails + "],\"subject\":\"s\",\"text\":\"t\"}")
                        .recipients())
                .hasSize(3);
        assertThat(reject(three, "{\"emails\":[" + emails + ",\"d@example.com\"],\"subject\":\"s\",\"text\":\"t\"}")
                        .status())
                .isEqualTo(413);
    }

    @Test
    void aSubjectMayHaveExactlyTheMostCharacters() {
        BatchRequestParser roomy = parser("DEFAULT_FROM", "news@mailbatch.example");
        String subject = "s".repeat(BatchRequestParser.MAX_SUBJECT_CHARS);
        assertThat(parse(roomy, body(subject, "t", "")).subject()).isEqualTo(subject);
        assertThat(reject(roomy, body(subject + "s", "t", "")).details())
                .containsExactly(new FieldError("subject", "must be at most 998 characters"));
    }

    @Test
    void aFieldNameOfAHundredCharactersIsNamedOneLongerIsNot() {
        String hundred = "f".repeat(100);
        assertThat(reject(SMALL, "{\"" + hundred + "\":1," + body("s", "t", "").substring(1))
                        .details())
                .containsExactly(new FieldError(hundred, "is not a known field"));
        assertThat(reject(SMALL, "{\"" + hundred + "f\":1," + body("s", "t", "").substring(1))
                        .details())
                .extracting(FieldError::field)
                .containsExactly("body");
    }

    @Test
    void aFieldOfTheWrongTypeIsReportedOnceNotAlsoAsMissing() {
        BatchRequestParser noDefault = parser();
        ApiException e = reject(noDefault, "{\"emails\":[\"a@example.com\"],\"subject\":5,\"from\":5,\"text\":\"t\"}");
        assertThat(e.details())
                .containsExactlyInAnyOrder(
                        new FieldError("subject", "must be a string"), new FieldError("from", "must be a string"));
        assertThat(reject(noDefault, "{\"emails\":[\"a@example.com\"],\"text\":\"t\"}")
                        .details())
                .containsExactlyInAnyOrder(
                        new FieldError("subject", "is required"),
                        new FieldError("from", "is required: no default sender is configured"));
        // an error in another field does not excuse a missing sender
        assertThat(reject(noDefault, "{\"emails\":[\"a@example.com\"],\"subject\":5,\"text\":\"t\"}")
                        .details())
                .containsExactlyInAnyOrder(
                        new FieldError("subject", "must be a string"),
                        new FieldError("from", "is required: no default sender is configured"));
    }

    @Test
    void twentyErrorsAreAllListedTheTwentyFirstIsCounted() {
        assertThat(badAddresses(BatchRequestParser.MAX_DETAILS).details()).hasSize(BatchRequestParser.MAX_DETAILS);
        List<FieldError> capped =
                badAddresses(BatchRequestParser.MAX_DETAILS + 1).details();
        assertThat(capped).hasSize(BatchRequestParser.MAX_DETAILS + 1);
        assertThat(capped.getLast()).isEqualTo(new FieldError("emails", "1 more errors not listed"));
    }

    private static ApiException badAddresses(int n) {
        String emails = IntStream.range(0, n).mapToObj(i -> "\"bad" + i + "\"").collect(Collectors.joining(","));
        return reject(
                parser("DEFAULT_FROM", "news@mailbatch.example"),
                "{\"emails\":[" + emails + "],\"subject\":\"s\",\"text\":\"t\"}");
    }

    @Test
    void aBodyWithoutAContentTypeIs415() {
        ApiException e = catchThrowableOfType(
                ApiException.class, () -> SMALL.parse(null, body("s", "t", "").getBytes(StandardCharsets.UTF_8)));
        assertThat(e.status()).isEqualTo(415);
    }
}
