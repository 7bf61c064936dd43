package dev.mailbatch.store;

import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.RECIPIENT_PREFIX;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.STATUS_KEY;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The recipients listing's cursor: the query's last evaluated key, as base64url JSON. A cursor is
 * taken back only for the job and status it was handed out for.
 */
final class Cursors {
    private static final TypeReference<Map<String, Object>> PLAIN = new TypeReference<>() {};

    private Cursors() {}

    static String encode(Map<String, AttributeValue> key) {
        Map<String, String> plain = new TreeMap<>();
        key.forEach((k, v) -> plain.put(k, v.s()));
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Json.write(plain).getBytes(StandardCharsets.UTF_8));
    }

    /** @param statusKey the listing's status index key, or null when it lists every status */
    static Map<String, AttributeValue> decode(String cursor, String jobPk, String statusKey) {
        Map<String, Object> plain;
        try {
            plain = Json.MAPPER.readValue(Base64.getUrlDecoder().decode(cursor), PLAIN);
        } catch (IllegalArgumentException | IOException e) {
            throw new InvalidCursorException();
        }
        Set<String> expectedKeys = statusKey == null ? Set.of(PK, SK) : Set.of(PK, SK, STATUS_KEY);
        if (plain == null
                || !plain.keySet().equals(expectedKeys)
                || !plain.values().stream().allMatch(v -> v instanceof String)
                || !jobPk.equals(plain.get(PK))
                || !((String) plain.get(SK)).startsWith(RECIPIENT_PREFIX)
                || (statusKey != null && !statusKey.equals(plain.get(STATUS_KEY)))) {
            throw new InvalidCursorException();
        }
        Map<String, AttributeValue> key = new LinkedHashMap<>();
        plain.forEach((k, v) -> key.put(k, Items.s((String) v)));
        return key;
    }
}
