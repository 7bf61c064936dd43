package dev.mailbatch.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobStateTest {

    @ParameterizedTest(name = "started={0} total={1} sent={2} failed={3} -> {4}")
    @CsvSource({
        "false, 10, 0, 0, PENDING",
        "true, 10, 0, 0, IN_PROGRESS",
        "false, 10, 1, 0, IN_PROGRESS",
        "false, 10, 1, 1, IN_PROGRESS",
        "false, 10, 0, 1, IN_PROGRESS",
        "true, 10, 4, 5, IN_PROGRESS",
        "true, 10, 10, 0, SUCCEEDED",
        "true, 10, 0, 10, FAILED",
        "true, 10, 9, 1, COMPLETED_WITH_FAILURES",
        "true, 1, 1, 0, SUCCEEDED",
    })
    void derivesFromTheCounters(boolean started, long total, long sent, long failed, JobState expected) {
        assertThat(JobState.derive(false, started, total, new Counts(sent, failed, 0)))
                .isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void cancelledWins() {
        assertThat(JobState.derive(true, true, 10, new Counts(3, 0, 0))).isEqualTo(JobState.CANCELLED);
    }

    @org.junit.jupiter.api.Test
    void anyCancelledRecipientMeansCancelled() {
        assertThat(JobState.derive(false, true, 10, new Counts(7, 0, 3))).isEqualTo(JobState.CANCELLED);
        assertThat(JobState.derive(false, false, 10, new Counts(0, 0, 10))).isEqualTo(JobState.CANCELLED);
    }

    @org.junit.jupiter.api.Test
    void terminalStates() {
        assertThat(JobState.values())
                .filteredOn(JobState::isTerminal)
                .containsExactlyInAnyOrder(
                        JobState.SUCCEEDED, JobState.COMPLETED_WITH_FAILURES, JobState.FAILED, JobState.CANCELLED);
    }
}
