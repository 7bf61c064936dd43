package dev.mailbatch.chaos;

import dev.mailbatch.local.emulator.ChildProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The chaos harness's worker process ({@link ChaosWorker}) in its own JVM: started, killed with
 * SIGKILL (no shutdown hook, no finally block runs), started again. Each start is a generation
 * with its own log directory under {@code logDir}.
 */
public final class WorkerProcess implements AutoCloseable {
    private static final String READY = "mailbatch local is running";

    private final Path root;
    private final Map<String, String> env;
    private final List<String> parameters;
    private final Path logDir;
    private Process process;
    private int generation;

    /**
     * @param env its environment over the harness's (AWS_ENDPOINT_URL, STACK_NAME, PROVIDER_URL ...)
     * @param parameters the template parameter overrides of the harness's stack (Name=Value)
     */
    WorkerProcess(Path root, Map<String, String> env, List<String> parameters, Path logDir) {
        this.root = root;
        this.env = env;
        this.parameters = parameters;
        this.logDir = logDir;
    }

    /** Starts the next generation and waits until its worker polls the queue. */
    synchronized void start() throws IOException, InterruptedException {
        generation++;
        Path dir = logDir.resolve("worker-" + generation);
        Files.createDirectories(dir);
        Path out = dir.resolve("console.log");
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC",
                "-Dmailbatch.root=" + root,
                "-cp",
                System.getProperty("java.class.path"),
                ChaosWorker.class.getName()));
        command.addAll(parameters);
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().putAll(env);
        builder.environment().put("LOCAL_LOG_DIR", dir.toString());
        builder.environment()
                .put(
                        "CHAOS_SEED",
                        Long.toString(Long.parseLong(env.getOrDefault("CHAOS_SEED", "0")) * 31 + generation));
        process = builder.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (!Files.readString(out, StandardCharsets.UTF_8).contains(READY)) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                process.destroyForcibly();
                throw new IllegalStateException("the worker process did not start; see " + root.relativize(out) + ":\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    /** SIGKILL, then waits until it is gone. */
    synchronized void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL on Linux
        process.waitFor(30, TimeUnit.SECONDS);
    }

    synchronized int generations() {
        return generation;
    }

    /** The log directories of every generation (their functions.log). */
    List<Path> logDirs() {
        List<Path> dirs = new ArrayList<>();
        for (int g = 1; g <= generations(); g++) {
            dirs.add(logDir.resolve("worker-" + g));
        }
        return dirs;
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            ChildProcesses.stop(process, Duration.ofSeconds(15));
        }
    }
}
