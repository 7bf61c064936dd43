package dev.mailbatch.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.job.EmailAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchRequestParserTest {
    private final BatchRequestParser parser = new BatchRequestParser(SubmitConfig.from(Map.of(
            "TABLE_NAME",
            "t",
            "QUEUE_URL",
            "q",
            "PROVIDER_URL",
            "http://p",
            "DEFAULT_FROM",
            "news@mailbatch.example",
            "ALLOWED_FROM",
            "team@mailbatch.example",
            "MAX_RECIPIENTS",
            "100",
            "MAX_CONTENT_BYTES",
            "1000")::get));

    private BatchRequest parse(String json) {
        return parser.parse("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private ApiException reject(String contentType, String json) {
        return catchThrowableOfType(
                ApiException.class, () -> parser.parse(contentType, json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aGoodRequestIsParsedAndDeduplicatedKeepingTheFirstSpelling() {
        BatchRequest r = parse("{\"emails\":[\"A@example.com\",\"b@example.com\",\"a@EXAMPLE.com\",\"b@example.com\"],"
                + "\"subject\":\"Hi\",\"text\":\"t\",\"html\":\"<p>h</p>\",\"from\":\"Team@mailbatch.example\"}");
        assertThat(r.recipients()).extracting(EmailAddress::address).containsExactly("A@example.com", "b@example.com");
        assertThat(r.duplicatesRemoved()).isEqualTo(2);
        assertThat(r.subject()).isEqualTo("Hi");
        assertThat(r.text()).isEqualTo("t");
        assertThat(r.html()).isEqualTo("<p>h</p>");
        assertThat(r.from()).isEqualTo("Team@mailbatch.example");
    }

    @Test
    void theDefaultSenderIsUsedWhenNoneIsNamedAndEmptyBodiesBecomeNull() {
        BatchRequest r =
                parse("{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"text\":\"\",\"html\":\"<b>x</b>\"}");
        assertThat(r.from()).isEqualTo("news@mailbatch.example");
        assertThat(r.text()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"})
    void jsonContentTypesAreAccepted(String contentType) {
        assertThat(parser.parse(
                                contentType,
                                "{\"emails\":[\"a@example.com\"],\"subject\":\"s\",\"text\":\"t\"}"
                                        .getBytes(StandardCharsets.UTF_8))
                        .recipients())
                .hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"text/json", "application/jsonp", "application/x-www-form-urlencoded", "multipart/form-data", ""
            })
    void otherContentTypesAre415(String contentType) {
        ApiException e = reject(contentType, "{}");
        assertThat(e.status()).isEqualTo(415);
    }

    @Test
    void everyFieldAtFaultIsNamedAtOnce() {
        ApiException e =
                reject("application/json", "{\"emails\":[\"ok@example.com\",\"bad\",7],\"subject\":\"\",\"x\":1}");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.details())
                .extracting(ApiException.FieldError::field)
                .contains("x", "subject", "text", "emails[1]", "emails[2]");
    }

    @Test
    void tooManyRecipientsIs413BeforeAnyAddressIsChecked() {
        String many = IntStream.range(0, 101).mapToObj(i -> "\"bad" + i + "\"").collect(Collectors.joining(","));
        ApiException e = reject("application/json", "{\"emails\":[" + many + "],\"subject\":\"s\",\"text\":\"t\"}");
        assertThat(e.status()).isEqualTo(413);
        assertThat(e.details())
                .singleElement()
                .extracting(ApiException.FieldError::field)
                .isEqualTo("emails");
    }

    @Test
    void theListOfErrorsIsCapped() {
        String bad = IntStream.range(0, 60).mapToObj(i -> "\"bad" + i + "\"").collect(Collectors.joining(","));
        ApiException e = reject("application/json", "{\"emails\":[" + bad + "],\"subject\":\"s\",\"text\":\"t\"}");
        assertThat(e.details()).hasSize(BatchRequestParser.MAX_DETAILS + 1);
        assertThat(e.details().get(BatchRequestParser.MAX_DETAILS).message()).contains("40 more");
    }

    @Test
    void contentSizeCountsUtf8Bytes() {
        String html = "é".repeat(499); // 998 bytes, 499 chars: with a 1-byte subject 999 <= 1000, with 3 bytes 1001
        assertThat(parse("{\"emails\":[\"a@example.com\"],\"subject\":\"s\",\"html\":\"" + html + "\"}")
                        .html())
                .hasSize(499);
        ApiException e = reject(
                "application/json", "{\"emails\":[\"a@example.com\"],\"subject\":\"sss\",\"html\":\"" + html + "\"}");
        assertThat(e.status()).isEqualTo(413);
        assertThat(e.details().get(0).field()).isEqualTo("html");
    }

    @Test
    void aNamedSenderMustBeAllowed() {
        assertThat(reject(
                                "application/json",
                                "{\"emails\":[\"a@example.com\"],\"subject\":\"s\",\"text\":\"t\",\"from\":\"x@mailbatch.example\"}")
                        .details())
                .extracting(ApiException.FieldError::field)
                .containsExactly("from");
        assertThat(parse(
                                "{\"emails\":[\"a@example.com\"],\"subject\":\"s\",\"text\":\"t\",\"from\":\"news@mailbatch.example\"}")
                        .from())
                .isEqualTo("news@mailbatch.example");
    }

    @Test
    void withoutADefaultSenderFromIsRequired() {
        BatchRequestParser strict = new BatchRequestParser(
                SubmitConfig.from(Map.of("TABLE_NAME", "t", "QUEUE_URL", "q", "PROVIDER_URL", "http://p")::get));
        assertThatThrownBy(() -> strict.parse(
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"s\",\"text\":\"t\"}"
                                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        ApiException.class,
                        e -> assertThat(e.details())
                                .extracting(ApiException.FieldError::field)
                                .containsExactly("from"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "null", "[]", "1", "\"s\"", "{", "{\"a\":}", "{\"emails\":[]}garbage", "\u0000"})
    void malformedBodiesAre400(String body) {
        ApiException e = reject("application/json", body);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.details()).isNotEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "U+{0}")
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {"0000", "0009", "000A", "000D", "001F", "007F", "0080", "0085", "009F", "2028", "2029"})
    void aSubjectWithAControlCharacterIsRefused(String hex) {
        String c = new String(Character.toChars(Integer.parseInt(hex, 16)));
        String json = "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi" + jsonEscape(c) + "there\",\"text\":\"t\"}";
        ApiException e = reject("application/json", json);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.details()).extracting(ApiException.FieldError::field).containsExactly("subject");
    }

    @org.junit.jupiter.api.Test
    void aSubjectWithOtherUnicodeIsKept() {
        assertThat(parse("{\"emails\":[\"a@example.com\"],\"subject\":\"Grüße \u00a0 ✓\",\"text\":\"t\"}")
                        .subject())
                .isEqualTo("Grüße \u00a0 ✓");
    }

    /**
     * Regression (issue 13): the subject's limit counted UTF-16 units, so 998 characters outside
     * the Basic Multilingual Plane (1,996 units) were refused, while the contract (JSON Schema's
     * maxLength counts characters) allows them.
     */
    @org.junit.jupiter.api.Test
    void aSubjectsLimitCountsCharactersNotUtf16Units() {
        BatchRequestParser roomy = new BatchRequestParser(SubmitConfig.from(
                Map.of("TABLE_NAME", "t", "QUEUE_URL", "q", "DEFAULT_FROM", "news@mailbatch.example")::get));
        String emoji = "\uD83D\uDCE7"; // U+1F4E7, one character, two UTF-16 units
        String fits = "{\"emails\":[\"a@example.com\"],\"subject\":\"" + emoji.repeat(998) + "\",\"text\":\"t\"}";
        assertThat(roomy.parse("application/json", fits.getBytes(StandardCharsets.UTF_8))
                        .subject())
                .hasSize(1996);
        String over = "{\"emails\":[\"a@example.com\"],\"subject\":\"" + emoji.repeat(999) + "\",\"text\":\"t\"}";
        ApiException e = catchThrowableOfType(
                ApiException.class, () -> roomy.parse("application/json", over.getBytes(StandardCharsets.UTF_8)));
        assertThat(e.details()).extracting(ApiException.FieldError::field).containsExactly("subject");
    }

    private static String jsonEscape(String c) {
        return String.format("\\u%04x", (int) c.charAt(0));
    }
}
