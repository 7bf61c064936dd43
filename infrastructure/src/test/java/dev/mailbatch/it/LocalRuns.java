package dev.mailbatch.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.store.Backoff;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** The ITs' way to start a whole local stack on the emulator they share, and to sign in to it. */
public final class LocalRuns {
    private LocalRuns() {}

    /** Every answer of the API checked against docs/openapi.yaml ({@link Contract}). */
    static final LocalRunner.Harness CONTRACT = new LocalRunner.Harness() {
        @Override
        public void answered(String method, String routePath, dev.mailbatch.local.apigateway.ApiGateway.Answer answer) {
            Map<String, String> headers = new HashMap<>();
            answer.headers().forEach((name, values) -> headers.put(name, String.join(",", values)));
            Contract.SPEC.record(
                    method, routePath, answer.status(), headers, new String(answer.body(), StandardCharsets.UTF_8));
        }
    };

    /**
     * @param name a prefix for the stack's queue and table names
     * @param parameters template parameter overrides
     * @param env environment over the runner's (the functions' variables)
     * @param console where the runner's lines go
     */
    public static LocalRunner start(
            Backend backend, String name, Map<String, String> parameters, Map<String, String> env, OutputStream console)
            throws IOException, InterruptedException {
        return startStack(backend, name + "-" + UUID.randomUUID().toString().substring(0, 8), parameters, env, console);
    }

    /** The same, for a stack of that exact name: a second runner attaches to the first's resources. */
    public static LocalRunner startStack(
            Backend backend,
            String stack,
            Map<String, String> parameters,
            Map<String, String> env,
            OutputStream console)
            throws IOException, InterruptedException {
        return startStack(backend, stack, parameters, env, console, CONTRACT);
    }

    /** The same, with a harness of the test's own. */
    public static LocalRunner startStack(
            Backend backend,
            String stack,
            Map<String, String> parameters,
            Map<String, String> env,
            OutputStream console,
            LocalRunner.Harness harness)
            throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("mailbatch.root", ".."))
                .toAbsolutePath()
                .normalize();
        Map<String, String> all = new HashMap<>(env);
        all.put("AWS_ENDPOINT_URL", backend.endpoint().toString());
        all.put("PORT", "0");
        all.put("STACK_NAME", stack);
        return LocalRunner.start(new LocalRunner.Options(
                root, parameters, all::get, new PrintStream(console, true, StandardCharsets.UTF_8), harness));
    }

    /** A token of the run's own issuer for {@code subject}, as infrastructure/bin/token gets one. */
    public static String token(LocalRunner runner, String subject) throws IOException, InterruptedException {
        HttpResponse<String> minted = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(runner.baseUrl().resolve("/_local/token"))
                                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER
                                        .createObjectNode()
                                        .put("sub", subject)
                                        .toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (minted.statusCode() != 200) {
            throw new IllegalStateException("no token: " + minted.body());
        }
        return Json.MAPPER.readTree(minted.body()).path("access_token").asText();
    }

    /**
     * The job at {@code location} once nothing of it is pending, or as it stands when {@code within}
     * has passed (the caller's assertions then say what was missing).
     */
    public static JsonNode awaitDone(LocalRunner runner, String location, String token, Duration within)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(runner.baseUrl().resolve(location))
                .header("Authorization", "Bearer " + token)
                .build();
        return poll(
                within,
                Duration.ofMillis(300),
                () -> Json.MAPPER.readTree(
                        http.send(get, HttpResponse.BodyHandlers.ofString()).body()),
                job -> job.path("pending").asInt() == 0);
    }

    /**
     * Reads {@code read} every {@code every} (through the project's one wait, {@link Backoff#poll})
     * until {@code done} holds or {@code within} has passed; the last value read.
     */
    public static <T> T poll(Duration within, Duration every, Callable<T> read, Predicate<T> done) throws Exception {
        Instant deadline = Instant.now().plus(within);
        while (true) {
            T value = read.call();
            if (done.test(value) || !Instant.now().isBefore(deadline)) {
                return value;
            }
            Backoff.poll(every, Duration.ZERO);
        }
    }
}
