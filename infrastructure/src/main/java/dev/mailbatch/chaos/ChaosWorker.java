package dev.mailbatch.chaos;

import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.RunCommand;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.worker.Faults;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The chaos harness's worker process: a second local runner in its own JVM, attached to the
 * harness's stack on the same emulator, whose worker drains the same queue beside the harness's
 * own. The harness kills it with SIGKILL at random moments and starts it again. Its email
 * provider is the harness's outbox ({@code PROVIDER_URL}, tagged {@code ?via=process}), which
 * outlives it and records every key; its functions reach the emulator as the harness's do
 * ({@code CHAOS_FUNCTIONS_ENDPOINT}, {@code CHAOS_STORE_FAULT_RATE}, {@code CHAOS_SEED}).
 *
 * <p>{@code java dev.mailbatch.chaos.ChaosWorker [TemplateParameter=Value ...]}, with the
 * environment of the run command ({@code AWS_ENDPOINT_URL}, {@code STACK_NAME}, {@code PORT},
 * {@code LOCAL_LOG_DIR}).
 */
public final class ChaosWorker {
    private ChaosWorker() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = RunCommand.parameterOverrides(args);
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        String through = System.getenv("CHAOS_FUNCTIONS_ENDPOINT");
        ChaosStore store = new ChaosStore(
                Double.parseDouble(orDefault(System.getenv("CHAOS_STORE_FAULT_RATE"), "0")),
                Long.parseLong(orDefault(System.getenv("CHAOS_SEED"), "0")));
        LocalRunner.Harness chaos = new LocalRunner.Harness() {
            @Override
            public Faults faults() {
                return Faults.NONE;
            }

            @Override
            public void received(SqsClient sqs, String queueUrl, List<Message> messages) {}

            @Override
            public Map<QueueAttributeName, String> queueOverrides() {
                return ChaosInjector.QUEUE_OVERRIDES;
            }

            @Override
            public int workerTimeoutSeconds() {
                return ChaosInjector.WORKER_TIMEOUT_SECONDS;
            }

            @Override
            public Backend functions(Backend backend) {
                return backend.via(
                        through == null || through.isBlank() ? backend.endpoint() : URI.create(through),
                        List.of(store));
            }
        };
        try {
            LocalRunner.start(new LocalRunner.Options(root, overrides, System::getenv, System.out, chaos));
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.err.println("chaos worker: " + e.getMessage());
            System.exit(1);
            return;
        }
        Thread.currentThread().join(); // until killed
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
