package dev.mailbatch.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    private static Job job(long total, Counts counts, Lifecycle lifecycle) {
        return new Job("j1", "alice", total, 1, counts, lifecycle, null, 0, T0.plusSeconds(86_400), "Hello");
    }

    @Test
    void aSubmittedJobIsPendingWithNothingDoneAndNothingElseReached() {
        Job job = Job.submitted("j1", "alice", 3, 1, 2, T0, T0.plusSeconds(60), "Hello");

        assertThat(job.counts()).isEqualTo(Counts.ZERO);
        assertThat(job.lifecycle()).isEqualTo(new Lifecycle(T0, T0, null, null, null, null));
        assertThat(job.state()).isEqualTo(JobState.PENDING);
        assertThat(job.pending()).isEqualTo(3);
        assertThat(job.duplicatesRemoved()).isEqualTo(2);
        assertThat(job.isEnqueued()).isFalse();
        assertThat(job.isAbandoned()).isFalse();
        assertThat(job.isCancelRequested()).isFalse();
        assertThat(job.finishedAt()).isNull();
        assertThat(job.title()).isEqualTo("Hello");
    }

    @Test
    void aLongSubjectIsKeptAsItsFirst200CharactersWithAnEllipsis() {
        String emoji = "\uD83D\uDCE7"; // one character, two UTF-16 units: never cut in half
        String atTheLimit = "x".repeat(199) + emoji;
        assertThat(Job.titleOf(atTheLimit)).isEqualTo(atTheLimit);
        String over = "x".repeat(198) + emoji + emoji + "tail";
        assertThat(Job.titleOf(over)).isEqualTo("x".repeat(198) + emoji + "…");
        assertThat(Job.titleOf(over).codePointCount(0, Job.titleOf(over).length()))
                .isEqualTo(Job.TITLE_LENGTH);
        assertThat(Job.titleOf(null)).isNull();
    }

    @Test
    void onlyItsOwnerOwnsAJob() {
        Job job = job(1, Counts.ZERO, Lifecycle.created(T0));
        assertThat(job.isOwnedBy("alice")).isTrue();
        assertThat(job.isOwnedBy("bob")).isFalse();
        assertThat(job.isOwnedBy(null)).isFalse();
        Job ownerless = new Job("j", null, 1, 1, Counts.ZERO, Lifecycle.created(T0), null, 0, T0, null);
        assertThat(ownerless.isOwnedBy(null)).isFalse();
    }

    @Test
    void lifecycleStepsAreReadFromTheirTimestamps() {
        Job job = job(2, Counts.ZERO, new Lifecycle(T0, T0, T0, T0, T0, T0));
        assertThat(job.isEnqueued()).isTrue();
        assertThat(job.isAbandoned()).isTrue();
        assertThat(job.isCancelRequested()).isTrue();
        assertThat(job.state()).isEqualTo(JobState.CANCELLED);
        assertThat(job(2, Counts.ZERO, new Lifecycle(T0, T0, T0, null, null, null))
                        .state())
                .isEqualTo(JobState.IN_PROGRESS);
    }

    @Test
    void pendingNeverGoesBelowZeroAndAFinishedJobFinishedAtItsLastUpdate() {
        Instant last = T0.plusSeconds(5);
        Lifecycle lifecycle = new Lifecycle(T0, last, T0, T0, null, null);
        assertThat(job(5, new Counts(2, 1, 0), lifecycle).pending()).isEqualTo(2);
        assertThat(job(5, new Counts(2, 1, 0), lifecycle).finishedAt()).isNull();
        assertThat(job(3, new Counts(2, 1, 0), lifecycle).finishedAt()).isEqualTo(last);
        assertThat(job(2, new Counts(2, 1, 0), lifecycle).pending()).isZero();
    }

    @Test
    void aJobIsOrphanedOnlyWhenNeitherEnqueuedNorAbandonedByTheSubmitDeadline() {
        Instant deadline = T0.plus(Job.SUBMIT_DEADLINE);
        Job fresh = job(1, Counts.ZERO, Lifecycle.created(T0));
        assertThat(fresh.isOrphaned(deadline.minusMillis(1))).isFalse();
        assertThat(fresh.isOrphaned(deadline)).isTrue();
        assertThat(job(1, Counts.ZERO, new Lifecycle(T0, T0, null, T0, null, null))
                        .isOrphaned(deadline))
                .isFalse();
        assertThat(job(1, Counts.ZERO, new Lifecycle(T0, T0, null, null, null, T0))
                        .isOrphaned(deadline))
                .isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        // before, after, sent, failed, cancelled
        ", SENT, 1, 0, 0",
        ", FAILED, 0, 1, 0",
        ", CANCELLED, 0, 0, 1",
        ", PENDING, 0, 0, 0",
        "FAILED, SENT, 1, -1, 0",
        "SENT, CANCELLED, -1, 0, 1",
        "CANCELLED, FAILED, 0, 1, -1",
        "SENT, SENT, 0, 0, 0",
    })
    void countsMoveWithTheRecipientRecord(RecipientStatus before, RecipientStatus after, long s, long f, long c) {
        assertThat(Counts.moved(before, after)).isEqualTo(new Counts(s, f, c));
    }

    @Test
    void countsAddUpAndKnowWhenTheyAreZero() {
        Counts a = new Counts(1, 2, 3);
        assertThat(a.plus(new Counts(10, 20, 30))).isEqualTo(new Counts(11, 22, 33));
        assertThat(a.done()).isEqualTo(6);
        assertThat(Counts.ZERO.isZero()).isTrue();
        assertThat(new Counts(1, 0, 0).isZero()).isFalse();
        assertThat(new Counts(0, 1, 0).isZero()).isFalse();
        assertThat(new Counts(0, 0, 1).isZero()).isFalse();
    }

    @Test
    void digestIsTheHexOfTheFirstBytesOfSha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assertThat(Digest.sha256Hex("abc", 4)).isEqualTo("ba7816bf");
        assertThat(Digest.sha256Hex("abc", 99))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
