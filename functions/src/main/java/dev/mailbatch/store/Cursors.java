package dev.mailbatch.store;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mailbatch.config.Json;
import dev.mailbatch.job.RecipientStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The recipients listing's cursor: where the next page starts (a chunk, and the last recipient
 * key listed in it), with the job and status it was handed out for, as base64url JSON. A cursor
 * is taken back only for that job and status.
 */
final class Cursors {
    private static final TypeReference<Map<String, Object>> PLAIN = new TypeReference<>() {};
    private static final Set<String> NAMES = Set.of("job", "status", "chunk", "after");

    private Cursors() {}

    /**
     * @param chunk the chunk the next page starts in
     * @param after the last recipient key listed from that chunk, or null to start at its first
     */
    record Position(int chunk, String after) {
        static final Position START = new Position(0, null);
    }

    static String encode(String jobId, RecipientStatus status, Position position) {
        Map<String, Object> plain = new TreeMap<>();
        plain.put("job", jobId);
        plain.put("status", status == null ? "" : status.name());
        plain.put("chunk", position.chunk());
        if (position.after() != null) {
            plain.put("after", position.after());
        }
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Json.write(plain).getBytes(StandardCharsets.UTF_8));
    }

    /** @param status the listing's status, or null when it lists every status */
    static Position decode(String cursor, String jobId, RecipientStatus status) {
        Map<String, Object> plain;
        try {
            plain = Json.MAPPER.readValue(Base64.getUrlDecoder().decode(cursor), PLAIN);
        } catch (IllegalArgumentException | IOException e) {
            throw new InvalidCursorException();
        }
        if (plain == null
                || !NAMES.containsAll(plain.keySet())
                || !jobId.equals(plain.get("job"))
                || !Objects.equals(status == null ? "" : status.name(), plain.get("status"))
                || !(plain.get("chunk") instanceof Integer chunk)
                || chunk < 0
                || (plain.containsKey("after") && !(plain.get("after") instanceof String))) {
            throw new InvalidCursorException();
        }
        return new Position(chunk, (String) plain.get("after"));
    }
}
