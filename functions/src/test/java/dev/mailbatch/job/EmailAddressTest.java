package dev.mailbatch.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EmailAddressTest {

    @ParameterizedTest
    @CsvSource({
        "a@example.com, a@example.com",
        "First.Last+tag@Example.COM, First.Last+tag@example.com",
        "o'brien@example.ie, o'brien@example.ie",
        "\"john doe\"@example.com, \"john doe\"@example.com",
        "x@bücher.example, x@xn--bcher-kva.example",
        "user@sub-domain.example.co.uk, user@sub-domain.example.co.uk",
        "!#$%&'*+-/=?^_`{|}~@example.org, !#$%&'*+-/=?^_`{|}~@example.org",
    })
    void acceptsAndNormalises(String raw, String expected) {
        EmailAddress.Result result = EmailAddress.parse(raw);
        assertThat(result.error()).isNull();
        assertThat(result.value().address()).isEqualTo(expected);
        assertThat(result.value().key()).isEqualTo(expected.toLowerCase());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "plain",
                "@example.com",
                "a@",
                "a@@example.com",
                "a..b@example.com",
                ".a@example.com",
                "a.@example.com",
                "a b@example.com",
                "a@localhost",
                "a@-example.com",
                "a@example-.com",
                "a@exa_mple.com",
                "a@example..com",
                "a@example.com.",
                "a@[192.0.2.1]",
                "a@1.2.3.4",
                "ü@example.com",
                "a\r\n@example.com",
                "a@example.com\r\nBcc: b@example.com",
                "\"unterminated@example.com",
                "a(comment)@example.com"
            })
    void rejects(String raw) {
        EmailAddress.Result result = EmailAddress.parse(raw);
        assertThat(result.isValid()).as(raw).isFalse();
        assertThat(result.error()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(ints = {65, 200})
    void rejectsLongLocalParts(int length) {
        assertThat(EmailAddress.parse("a".repeat(length) + "@example.com").isValid())
                .isFalse();
    }

    @org.junit.jupiter.api.Test
    void rejectsAddressesOver254Octets() {
        String domain = ("d".repeat(60) + ".").repeat(4) + "com"; // 247 chars
        assertThat(EmailAddress.parse("a@" + domain).isValid()).isTrue();
        assertThat(EmailAddress.parse("abcdefghij@" + domain).isValid()).isFalse();
    }

    /** Issue 11: a quoted local part that needs no quotes is the same mailbox, so it is one recipient. */
    @org.junit.jupiter.api.Test
    void aNeedlesslyQuotedLocalPartIsTheSameAddress() {
        EmailAddress quoted = EmailAddress.parse("\"ab\"@X.com").value();
        EmailAddress plain = EmailAddress.parse("ab@x.com").value();
        assertThat(quoted.address()).isEqualTo("ab@x.com");
        assertThat(quoted.key()).isEqualTo(plain.key());
        assertThat(EmailAddress.parse("\"a.b+c\"@x.com").value().address()).isEqualTo("a.b+c@x.com");
        assertThat(EmailAddress.parse("\"a b\"@x.com").value().address()).isEqualTo("\"a b\"@x.com");
        assertThat(EmailAddress.parse("\"a..b\"@x.com").value().address()).isEqualTo("\"a..b\"@x.com");
    }

    /** Boundaries the mutation run (README, "Mutation testing") found untested. */
    @ParameterizedTest
    @CsvSource({
        "azAZ09@example.com, azAZ09@example.com",
        "\"a\"@example.com, a@example.com",
        "\"!a\"@example.com, !a@example.com",
        "\"~ ~\"@example.com, \"~ ~\"@example.com",
        "\" a\"@example.com, \" a\"@example.com",
        "\"a\\\"b\"@example.com, \"a\\\"b\"@example.com",
        "\"a\\\\\"@example.com, \"a\\\\\"@example.com",
        "a@b.c9, a@b.c9",
        "\"a\\ b\"@example.com, \"a\\ b\"@example.com",
        "\"a\\~\"@example.com, \"a\\~\"@example.com",
    })
    void acceptsAtTheBoundaries(String raw, String expected) {
        EmailAddress.Result result = EmailAddress.parse(raw);
        assertThat(result.error()).as(raw).isNull();
        assertThat(result.value().address()).isEqualTo(expected);
        assertThat(result.value().toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\"\"@example.com",
                "\"@example.com",
                "\"a\"b\"@example.com",
                "\"a\\\"@example.com",
                "\"a\u007f\"@example.com",
                "\"a\u001f\"@example.com",
                "\"a\\\u001f\"@example.com",
                "\"a\\\u007f\"@example.com",
                "\"a\\é\"@example.com",
                "\"é\"@example.com"
            })
    void rejectsInvalidQuotedLocalParts(String raw) {
        assertThat(EmailAddress.parse(raw).error()).as(raw).isEqualTo("has an invalid quoted local part");
    }

    @org.junit.jupiter.api.Test
    void eachCheckNamesItsReason() {
        assertThat(EmailAddress.parse("a@").error()).isEqualTo("must look like local-part@domain");
        assertThat(EmailAddress.parse("a@localhost").error()).isEqualTo("has a domain without a dot");
        assertThat(EmailAddress.parse("a@example.com.").error()).isEqualTo("has an invalid domain");
        assertThat(EmailAddress.parse("a@1.2.3.4").error()).isEqualTo("has an invalid domain");
        assertThat(EmailAddress.parse("a@" + "x".repeat(64) + ".com").error()).isEqualTo("has an invalid domain");
        assertThat(EmailAddress.parse("a@" + "x".repeat(63) + ".com").isValid()).isTrue();
        assertThat(EmailAddress.parse("a".repeat(64) + "@example.com").isValid())
                .isTrue();
        assertThat(EmailAddress.parse("a".repeat(65) + "@example.com").error())
                .isEqualTo("has a local part longer than 64 characters");
        // Up to four times the limit the parts are checked (and named); beyond it, the length is.
        assertThat(EmailAddress.parse("a".repeat(1015) + "@").error()).isEqualTo("must look like local-part@domain");
        assertThat(EmailAddress.parse("a".repeat(1016) + "@").error()).isEqualTo("is longer than 254 characters");
    }

    @org.junit.jupiter.api.Test
    void theWholeAddressMayHave254OctetsNotOneMore() {
        String domain = ("d".repeat(60) + ".").repeat(4) + "comx"; // 248 chars
        assertThat(EmailAddress.parse("abcde@" + domain).value().address()).hasSize(254);
        assertThat(EmailAddress.parse("abcdef@" + domain).error()).isEqualTo("is longer than 254 characters");
    }
}
