package dev.mailbatch.it.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.LocalRuns;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The smoke script a team runs against a deployed stack ({@code infrastructure/bin/smoke}, issue
 * 24), run here against the local stack: two jobs of one caller to their end, a third cancelled,
 * and another caller who sees none of them.
 */
@ExtendWith(BackendExtension.class)
class SmokeIT {
    private static final Path ROOT =
            Path.of(System.getProperty("mailbatch.root", "..")).toAbsolutePath().normalize();

    @Test
    void theSmokeScriptPassesAgainstTheLocalStack(Backend backend) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        // 100 ms per email: the third job is still sending when its cancel comes
        try (LocalRunner runner =
                LocalRuns.start(backend, "smoke", Map.of(), Map.of("OUTBOX_LATENCY_MS", "100"), console)) {
            Process smoke = new ProcessBuilder(List.of(
                            "python3",
                            ROOT.resolve("infrastructure/bin/smoke").toString(),
                            runner.baseUrl().toString(),
                            LocalRuns.token(runner, "smoke-alice"),
                            LocalRuns.token(runner, "smoke-bob"),
                            "--timeout",
                            "120"))
                    .redirectErrorStream(true)
                    .start();
            assertThat(smoke.waitFor(180, TimeUnit.SECONDS)).isTrue();
            String out = new String(smoke.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.print(out);
            assertThat(smoke.exitValue()).as(out).isZero();
            assertThat(out)
                    .contains("ok    submit 1: 202")
                    .contains("ended SUCCEEDED")
                    .contains("ok    cancel job")
                    .contains("another caller reads job")
                    .doesNotContain("FAIL")
                    .containsPattern("smoke: (\\d+) of \\1 checks passed");
        }
    }
}
