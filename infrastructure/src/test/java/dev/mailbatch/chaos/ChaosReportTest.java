package dev.mailbatch.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChaosReportTest {
    private static final ChaosScenario ALL_FAULTS =
            new ChaosScenario(10, 10, 0.3, 0.05, 0.05, 4, 2, 0.02, 3, 1, 1L, 15, Duration.ofMinutes(1));

    private static ChaosReport report(long conflicts, Map<ChaosStore.Kind, Long> storeFaults) {
        Map<String, Integer> kills = new LinkedHashMap<>();
        ChaosInjector.KILL_POINTS.forEach(p -> kills.put(p, 1));
        Map<Toxiproxy.Fault, Integer> network = new EnumMap<>(Toxiproxy.Fault.class);
        for (Toxiproxy.Fault f : Toxiproxy.Fault.values()) {
            network.put(f, 1);
        }
        return new ChaosReport(
                10,
                100,
                150,
                100,
                20,
                0,
                0,
                0,
                0,
                0,
                kills,
                5,
                30,
                5,
                conflicts,
                2,
                1,
                storeFaults,
                7,
                network,
                1,
                1,
                10,
                0,
                Map.of("SUCCEEDED", 8, "CANCELLED", 2),
                Duration.ofSeconds(1),
                2,
                2,
                3,
                1,
                List.of());
    }

    private static Map<ChaosStore.Kind, Long> everyStoreFault() {
        Map<ChaosStore.Kind, Long> faults = new EnumMap<>(ChaosStore.Kind.class);
        for (ChaosStore.Kind k : ChaosStore.Kind.values()) {
            faults.put(k, 3L);
        }
        return faults;
    }

    @Test
    void aRunPassesOnlyWhenEveryFaultItListsHappened() {
        ChaosReport everything = report(4, everyStoreFault());
        assertThat(everything.faultsNotSeen(ALL_FAULTS)).isEmpty();
        assertThat(everything.passed(ALL_FAULTS)).isTrue();
        assertThat(everything.table(ALL_FAULTS)).contains("chaos: PASS");
    }

    @Test
    void aFaultThatNeverCameFailsTheRunByName() {
        // Regression (issue 22): a default run printed "409 in progress 0" and still said PASS.
        Map<ChaosStore.Kind, Long> noConflict = everyStoreFault();
        noConflict.put(ChaosStore.Kind.CONFLICT, 0L);
        ChaosReport report = report(0, noConflict);
        assertThat(report.clean()).isTrue();
        assertThat(report.faultsNotSeen(ALL_FAULTS)).containsExactly("409 in progress", "store fault conflict");
        assertThat(report.passed(ALL_FAULTS)).isFalse();
        assertThat(report.table(ALL_FAULTS))
                .contains("chaos: FAIL - these faults never happened, so the zeros do not cover them:"
                        + " 409 in progress, store fault conflict");
    }

    @Test
    void aFaultTheScenarioLeavesOffIsNotAsked() {
        ChaosScenario noLoss =
                new ChaosScenario(10, 10, 0.3, 0.0, 0.05, 4, 2, 0.02, 3, 1, 1L, 15, Duration.ofMinutes(1));
        assertThat(report(0, everyStoreFault()).faultsNotSeen(noLoss)).isEmpty();
    }
}
