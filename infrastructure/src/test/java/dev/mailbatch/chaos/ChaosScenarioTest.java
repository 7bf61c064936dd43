package dev.mailbatch.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChaosScenarioTest {
    /** Regression: with --jobs=20 the default 20 cancels left no job for the outages to cancel, so the run failed. */
    @Test
    void theDefaultCancelsLeaveJobsRunningForTheOutages() {
        assertThat(ChaosScenario.parse(new String[] {"--jobs=20"}).cancels()).isEqualTo(5);
        assertThat(ChaosScenario.parse(new String[] {}).cancels())
                .isEqualTo(ChaosScenario.defaults().cancels());
        assertThat(ChaosScenario.parse(new String[] {"--jobs=20", "--cancels=12"})
                        .cancels())
                .isEqualTo(12);
    }

    @Test
    void cancellingEveryJobWhileOutagesWouldCancelOneIsRefused() {
        assertThatThrownBy(() -> ChaosScenario.parse(new String[] {"--jobs=20", "--cancels=20"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--cancels=20 cancels every one of the 20 jobs");
        assertThat(ChaosScenario.parse(new String[] {"--jobs=20", "--cancels=20", "--outages=0"})
                        .cancels())
                .isEqualTo(20);
    }
}
