package dev.mailbatch.job;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one owner has under way, for the per-owner quotas: the jobs not known to be finished, and
 * the recipients submitted per hour over the last day. Read and written as one item, with a
 * version, in the same transaction as each new job, so two submits can never both take the last
 * of a quota.
 *
 * @param version the item's version (0: no item yet)
 * @param openJobs ids of the owner's jobs that were not finished when last looked at
 * @param hours recipients submitted, by hour ({@code yyyyMMddHH}, UTC)
 */
public record Usage(long version, List<String> openJobs, Map<String, Long> hours) {
    /** The window the recipients quota counts over. */
    public static final Duration WINDOW = Duration.ofHours(24);

    private static final DateTimeFormatter HOUR =
            DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    public static final Usage NONE = new Usage(0, List.of(), Map.of());

    public Usage {
        openJobs = List.copyOf(openJobs);
        hours = Map.copyOf(hours);
    }

    /**
     * Recipients submitted in the window ending now, counted by whole hours: the current hour and
     * the 24 before it (so the count errs on the side of the limit, never past it).
     */
    public long recipientsInWindow(Instant now) {
        String oldest = HOUR.format(now.minus(WINDOW));
        return hours.entrySet().stream()
                .filter(h -> h.getKey().compareTo(oldest) >= 0)
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    /**
     * How long until {@code more} recipients fit under {@code limit}: when enough of the oldest
     * hours have left the window (at least a second; zero if they fit now).
     */
    public Duration waitFor(long more, long limit, Instant now) {
        long used = recipientsInWindow(now);
        if (used + more <= limit) {
            return Duration.ZERO;
        }
        for (Map.Entry<String, Long> hour : new TreeMap<>(hours).entrySet()) {
            used -= hour.getValue();
            if (used + more <= limit) {
                Instant leaves = HOUR.parse(hour.getKey(), Instant::from)
                        .plus(Duration.ofHours(1))
                        .plus(WINDOW);
                return Duration.between(now, leaves)
                        .truncatedTo(ChronoUnit.SECONDS)
                        .plusSeconds(1);
            }
        }
        return WINDOW.plusHours(1); // more than the limit itself: the caller hears so in the message
    }

    /** Only {@code stillOpen} of the open jobs, as they were found to be now. */
    public Usage withOpenJobs(List<String> stillOpen) {
        return new Usage(version, stillOpen, hours);
    }

    /** After a new job of {@code recipients} is submitted now: the next version, old hours dropped. */
    public Usage plus(String jobId, long recipients, Instant now) {
        String oldest = HOUR.format(now.minus(WINDOW));
        Map<String, Long> kept = new TreeMap<>();
        hours.forEach((hour, n) -> {
            if (hour.compareTo(oldest) >= 0) {
                kept.put(hour, n);
            }
        });
        kept.merge(HOUR.format(now), recipients, Long::sum);
        List<String> open = new ArrayList<>(openJobs);
        open.add(jobId);
        return new Usage(version + 1, open, kept);
    }
}
