package dev.mailbatch.local.lambda;

import dev.mailbatch.local.emulator.ChildProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One packaged function run as Lambda's java runtime runs it, without Docker: the Lambda Runtime
 * Interface Emulator ({@code aws-lambda-rie}, built by infrastructure/bin/ensure-tools) starts a
 * JVM with the Java runtime interface client ({@code aws-lambda-java-runtime-interface-client}
 * 2.10.1, in infrastructure/target/lambda-runtime/), which loads the handler from the function's
 * {@code sam build} directory, reads events from the emulator's Runtime API and deserialises them
 * with Lambda's own serialisation library. The JVM gets the flags of Lambda's java runtime
 * ({@link #JVM_FLAGS}); the environment, the function's configuration.
 */
public final class LambdaRuntime implements AutoCloseable {
    /**
     * What Lambda's java 17+ runtimes start the JVM with (tiered compilation stops at C1, the
     * serial collector, class data sharing), the heap sized to the function's memory.
     */
    static final List<String> JVM_FLAGS = List.of(
            "-XX:+TieredCompilation",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-Djava.net.preferIPv4Stack=true");

    private static final String RUNTIME_CLIENT = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final URI invocations;
    private final long startedNanos;

    private LambdaRuntime(Process process, URI invocations, long startedNanos) {
        this.process = process;
        this.invocations = invocations;
        this.startedNanos = startedNanos;
    }

    /**
     * Starts the emulator for a function; the JVM starts when the first event arrives, as in a
     * cold start.
     *
     * @param classpath the function's code: its {@code sam build} directory and its lib/*.jar
     * @param handler {@code class::method}
     * @param environment the function's environment (its configuration, the endpoint, credentials)
     */
    public static LambdaRuntime start(
            Path root, List<Path> classpath, String handler, int memoryMb, Map<String, String> environment, Path log)
            throws IOException {
        Path rie = rie(root);
        List<Path> runtime;
        try (Stream<Path> jars = Files.list(root.resolve("infrastructure/target/lambda-runtime"))) {
            runtime = jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "no infrastructure/target/lambda-runtime/: build the infrastructure module");
        }
        List<Path> all = new ArrayList<>(classpath);
        all.addAll(runtime);
        int port = ChildProcesses.freePort();
        int runtimeApi = ChildProcesses.freePort();
        List<String> command = new ArrayList<>(List.of(
                rie.toString(),
                "--runtime-interface-emulator-address",
                "127.0.0.1:" + port,
                "--runtime-api-address",
                "127.0.0.1:" + runtimeApi,
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JVM_FLAGS);
        command.add("-XX:MaxHeapSize=" + (memoryMb * 85 / 100) + "m");
        command.add("-cp");
        command.add(String.join(":", all.stream().map(Path::toString).toList()));
        command.add(RUNTIME_CLIENT);
        command.add(handler);
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/bin:/bin");
        builder.environment().put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(memoryMb));
        builder.environment().put("AWS_REGION", "us-east-1");
        builder.environment().put("AWS_DEFAULT_REGION", "us-east-1");
        builder.environment().put("AWS_ACCESS_KEY_ID", "test");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "test");
        builder.environment().putAll(environment);
        long started = System.nanoTime();
        Process process = builder.start();
        return new LambdaRuntime(
                process,
                URI.create("http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations"),
                started);
    }

    /** The emulator built by infrastructure/bin/ensure-tools. */
    static Path rie(Path root) throws IOException {
        try (Stream<Path> dirs = Files.list(root.resolve(".tools"))) {
            Optional<Path> found = dirs.filter(d -> d.getFileName().toString().startsWith("aws-lambda-rie-"))
                    .map(d -> d.resolve("aws-lambda-rie"))
                    .filter(Files::isExecutable)
                    .findFirst();
            return found.orElseThrow(() ->
                    new IllegalStateException("no aws-lambda-rie in .tools/: run infrastructure/bin/ensure-tools"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalStateException("no .tools/: run infrastructure/bin/ensure-tools");
        }
    }

    /** What one invocation answered, and when (nanoseconds since the emulator started). */
    public record Answer(int status, String body, long atNanos) {}

    /** Invokes the function with an event (JSON), waiting for the emulator to come up first. */
    public Answer invoke(String event, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(invocations)
                                .timeout(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))
                                .POST(HttpRequest.BodyPublishers.ofString(event))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                return new Answer(response.statusCode(), response.body(), System.nanoTime() - startedNanos);
            } catch (java.net.ConnectException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("aws-lambda-rie did not come up", notYet);
                }
                Thread.sleep(5);
            }
        }
    }

    /** The resident memory of the function's JVM (the emulator's child), in KiB; 0 before it runs. */
    public long rssKb() {
        return process.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst()
                .map(p -> {
                    try {
                        return Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status")).stream()
                                .filter(line -> line.startsWith("VmRSS:"))
                                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")))
                                .findFirst()
                                .orElse(0);
                    } catch (IOException gone) {
                        return 0L;
                    }
                })
                .orElse(0L);
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        ChildProcesses.stop(process, Duration.ofSeconds(5));
    }
}
