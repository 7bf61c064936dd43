package dev.mailbatch.api;

import dev.mailbatch.job.RecipientStatus;
import java.util.Map;
import java.util.Set;

/**
 * The query of GET /emails/{jobId}/recipients, checked: a status (or all), a page size and a
 * cursor (or the first page).
 */
record RecipientQuery(RecipientStatus status, int limit, String cursor) {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    static final Set<String> PARAMETERS = Set.of("status", "limit", "cursor");
    private static final int MAX_CURSOR_CHARS = 2048;

    /** @param query the query parameters, none of them unknown; a 400 naming the first one that is malformed */
    static RecipientQuery parse(Map<String, String> query) {
        RecipientStatus status = null;
        if (query.containsKey("status")) {
            try {
                status = RecipientStatus.valueOf(query.get("status"));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw ApiException.invalid("status", "must be one of PENDING, SENT, FAILED, CANCELLED");
            }
        }
        int limit = DEFAULT_LIMIT;
        if (query.containsKey("limit")) {
            String raw = query.get("limit");
            if (raw == null
                    || !raw.matches("\\d{1,4}")
                    || Integer.parseInt(raw) < 1
                    || Integer.parseInt(raw) > MAX_LIMIT) {
                throw ApiException.invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
            }
            limit = Integer.parseInt(raw);
        }
        String cursor = query.get("cursor");
        if (query.containsKey("cursor") && (cursor == null || cursor.isEmpty() || cursor.length() > MAX_CURSOR_CHARS)) {
            throw ApiException.invalid("cursor", "is not a cursor this API returned");
        }
        return new RecipientQuery(status, limit, cursor);
    }
}
