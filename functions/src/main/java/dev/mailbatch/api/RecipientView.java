package dev.mailbatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientPage;
import dev.mailbatch.job.RecipientStatus;
import java.util.List;

/**
 * One recipient as GET /emails/{jobId}/recipients shows it.
 *
 * @param retryable for FAILED only (absent otherwise): whether a redrive may still send it
 */
record RecipientView(
        String email,
        String status,
        int attempts,
        String error,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean retryable,
        String sentAt,
        String providerMessageId) {

    static RecipientView of(Recipient r) {
        return new RecipientView(
                r.email(),
                r.status().name(),
                r.attempts(),
                r.error(),
                r.status() == RecipientStatus.FAILED ? r.retryable() : null,
                JobView.iso(r.sentAt()),
                r.providerMessageId());
    }

    /** A page of the listing; nextCursor is null on the last page. */
    record Page(List<RecipientView> items, String nextCursor) {
        static Page of(RecipientPage page) {
            return new Page(page.items().stream().map(RecipientView::of).toList(), page.nextCursor());
        }
    }
}
