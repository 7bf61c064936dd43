package dev.mailbatch.store;

import static dev.mailbatch.store.Items.PK;
import static dev.mailbatch.store.Items.SK;
import static dev.mailbatch.store.Items.instant;
import static dev.mailbatch.store.Items.n;
import static dev.mailbatch.store.Items.num;
import static dev.mailbatch.store.Items.s;
import static dev.mailbatch.store.Items.str;
import static dev.mailbatch.store.Items.time;

import dev.mailbatch.job.Content;
import dev.mailbatch.job.Counts;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.Lifecycle;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The job item: a {@link Job} to and from its attributes. */
final class JobItems {
    private JobItems() {}

    static Map<String, AttributeValue> toItem(Job job) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(Items.jobPk(job.id())));
        item.put(SK, s("JOB"));
        item.put("owner", s(job.owner()));
        item.put("total", n(job.total()));
        item.put("chunks", n(job.chunks()));
        item.put("sent", n(job.counts().sent()));
        item.put("failed", n(job.counts().failed()));
        item.put("cancelled", n(job.counts().cancelled()));
        item.put("duplicatesRemoved", n(job.duplicatesRemoved()));
        item.put("createdAt", time(job.lifecycle().createdAt()));
        item.put("updatedAt", time(job.lifecycle().updatedAt()));
        item.put("expiresAt", n(job.expiresAt().getEpochSecond()));
        if (job.title() != null) {
            item.put("title", s(job.title()));
        }
        return item;
    }

    /** The content's own item, written once with the job and never again. */
    static Map<String, AttributeValue> toContentItem(Job job, Content content) {
        Map<String, AttributeValue> item = new HashMap<>(Items.contentKey(job.id()));
        item.put("expiresAt", n(job.expiresAt().getEpochSecond()));
        item.put("from", s(content.from()));
        item.put("subject", s(content.subject()));
        if (content.text() != null) {
            item.put("text", s(content.text()));
        }
        if (content.html() != null) {
            item.put("html", s(content.html()));
        }
        return item;
    }

    static Content fromContentItem(Map<String, AttributeValue> item) {
        return new Content(str(item, "from"), str(item, "subject"), str(item, "text"), str(item, "html"));
    }

    static Job fromItem(String id, Map<String, AttributeValue> item) {
        return new Job(
                id,
                str(item, "owner"),
                num(item, "total"),
                (int) num(item, "chunks"),
                new Counts(num(item, "sent"), num(item, "failed"), num(item, "cancelled")),
                new Lifecycle(
                        instant(item, "createdAt"),
                        instant(item, "updatedAt"),
                        instant(item, "startedAt"),
                        instant(item, "enqueuedAt"),
                        instant(item, "cancelledAt"),
                        instant(item, "abandonedAt")),
                str(item, "reason"),
                (int) num(item, "duplicatesRemoved"),
                Instant.ofEpochSecond(num(item, "expiresAt")),
                str(item, "title"));
    }
}
