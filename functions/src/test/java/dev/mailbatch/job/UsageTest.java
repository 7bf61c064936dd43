package dev.mailbatch.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UsageTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:30:00Z");

    @Test
    void countsTheRecipientsOfTheLastDayByWholeHours() {
        Usage usage = new Usage(3, List.of(), Map.of("2026112612", 5L, "2026112512", 7L, "2026112511", 100L));
        // 12:00 yesterday is still inside the window that ends at 12:30 today (whole hours); 11:00 is not
        assertThat(usage.recipientsInWindow(NOW)).isEqualTo(12);
    }

    @Test
    void aNewJobIsCountedInTheCurrentHourAndOldHoursAreDropped() {
        Usage before = new Usage(3, List.of("a"), Map.of("2026112612", 5L, "2026112410", 9L));
        Usage after = before.plus("b", 4, NOW);
        assertThat(after.version()).isEqualTo(4);
        assertThat(after.openJobs()).containsExactly("a", "b");
        assertThat(after.hours()).isEqualTo(Map.of("2026112612", 9L));
        assertThat(before.hours()).containsKey("2026112410"); // unchanged: a value
    }

    @Test
    void waitsUntilEnoughOfTheOldestHoursLeaveTheWindow() {
        Usage usage = new Usage(1, List.of(), Map.of("2026112513", 6L, "2026112601", 3L));
        assertThat(usage.waitFor(1, 10, NOW)).isZero();
        // 9 used, 3 more needs the 13:00 hour (6) gone: it leaves at 14:00 + 24 h = 14:00 today
        assertThat(usage.waitFor(3, 10, NOW)).isEqualTo(Duration.ofMinutes(90).plusSeconds(1));
        // more than the quota itself never fits
        assertThat(usage.waitFor(11, 10, NOW)).isGreaterThan(Duration.ofHours(24));
    }

    @Test
    void keepsOnlyTheJobsStillOpen() {
        Usage usage = new Usage(2, List.of("a", "b", "c"), Map.of());
        assertThat(usage.withOpenJobs(List.of("b")).openJobs()).containsExactly("b");
        assertThat(Usage.NONE.version()).isZero();
    }

    @Test
    void theWindowsEdgesAreInclusive() {
        // the hour 24 h back is still counted, so it is kept when a new job is added
        Usage edge = new Usage(1, List.of(), Map.of("2026112512", 2L)).plus("a", 1, NOW);
        assertThat(edge.hours()).containsEntry("2026112512", 2L);
        // once the 13:00 hour leaves, 3 + 7 recipients fill the limit of 10 exactly: that is enough
        Usage usage = new Usage(1, List.of(), Map.of("2026112513", 6L, "2026112601", 3L));
        assertThat(usage.waitFor(7, 10, NOW)).isEqualTo(Duration.ofMinutes(90).plusSeconds(1));
    }
}
