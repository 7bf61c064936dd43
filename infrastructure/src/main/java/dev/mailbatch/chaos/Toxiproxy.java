package dev.mailbatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.local.emulator.ChildProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Toxiproxy (github.com/Shopify/toxiproxy, v2.5.0, built by infrastructure/bin/ensure-tools into
 * .tools/) as a child process: one TCP proxy in front of the emulator, through which the
 * functions reach it, and the network faults the chaos harness turns on and off through
 * Toxiproxy's HTTP API (connections reset, connections stalled, the upstream down).
 */
public final class Toxiproxy implements AutoCloseable {
    static final String BINARY = ".tools/toxiproxy-v2.5.0/server";
    private static final String PROXY = "emulator";

    /** The network faults, each on every connection through the proxy while it is on. */
    public enum Fault {
        /** Connections closed with a TCP reset, at once (those in flight and those opened). */
        RESET,
        /**
         * Nothing the client sends gets through while it lasts; it arrives when the fault ends
         * (a network pause: requests in flight wait, or their callers give up first).
         */
        STALL,
        /** The proxy refuses connections and drops those open (a partition). */
        DOWN
    }

    private final Process process;
    private final URI api;
    private final URI listen;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Toxiproxy(Process process, URI api, URI listen) {
        this.process = process;
        this.api = api;
        this.listen = listen;
    }

    /** Starts the server and a proxy to {@code upstream}; a clear error if the binary is not built. */
    public static Toxiproxy start(Path root, URI upstream, Path logFile) throws IOException, InterruptedException {
        Path binary = root.resolve(BINARY);
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(
                    "Toxiproxy is not built at " + BINARY + "; run infrastructure/bin/ensure-tools (needs Go)");
        }
        int apiPort = ChildProcesses.freePort();
        Files.createDirectories(logFile.getParent());
        Process process = new ProcessBuilder(
                        binary.toString(), "-host", "127.0.0.1", "-port", Integer.toString(apiPort))
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        URI api = URI.create("http://127.0.0.1:" + apiPort);
        Toxiproxy started = new Toxiproxy(process, api, null);
        try {
            Instant deadline = Instant.now().plusSeconds(20);
            while (!started.answers()) {
                if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("Toxiproxy did not start; see " + logFile);
                }
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }
            JsonNode proxy = started.call(
                    "POST",
                    "/proxies",
                    Map.of(
                            "name",
                            PROXY,
                            "listen",
                            "127.0.0.1:" + ChildProcesses.freePort(),
                            "upstream",
                            upstream.getHost() + ":" + upstream.getPort(),
                            "enabled",
                            true));
            return new Toxiproxy(
                    process, api, URI.create("http://" + proxy.path("listen").asText()));
        } catch (IOException | RuntimeException e) {
            started.close();
            throw e;
        }
    }

    /** Where the functions reach the emulator through the proxy. */
    public URI endpoint() {
        return listen;
    }

    /** Turns {@code fault} on, for every connection through the proxy. */
    public void on(Fault fault) throws IOException, InterruptedException {
        switch (fault) {
            case RESET -> toxic("reset", "reset_peer", Map.of("timeout", 0), List.of("downstream", "upstream"));
            case STALL -> toxic("stall", "timeout", Map.of("timeout", 0), List.of("upstream"));
            case DOWN -> call("POST", "/proxies/" + PROXY, Map.of("enabled", false));
        }
    }

    /** Turns {@code fault} off again. */
    public void off(Fault fault) throws IOException, InterruptedException {
        switch (fault) {
            case RESET -> {
                call("DELETE", "/proxies/" + PROXY + "/toxics/reset-downstream", null);
                call("DELETE", "/proxies/" + PROXY + "/toxics/reset-upstream", null);
            }
            case STALL -> call("DELETE", "/proxies/" + PROXY + "/toxics/stall-upstream", null);
            case DOWN -> call("POST", "/proxies/" + PROXY, Map.of("enabled", true));
        }
    }

    private void toxic(String name, String type, Map<String, Object> attributes, List<String> streams)
            throws IOException, InterruptedException {
        for (String stream : streams) {
            call(
                    "POST",
                    "/proxies/" + PROXY + "/toxics",
                    Map.of(
                            "name",
                            name + "-" + stream,
                            "type",
                            type,
                            "stream",
                            stream,
                            "toxicity",
                            1.0,
                            "attributes",
                            attributes));
        }
    }

    private JsonNode call(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.BodyPublisher content = body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(Json.write(body));
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(api.resolve(path))
                        .header("Content-Type", "application/json")
                        .method(method, content)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(
                    "Toxiproxy: " + method + " " + path + " answered " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
    }

    private boolean answers() {
        try {
            return http.send(
                                    HttpRequest.newBuilder(api.resolve("/version"))
                                            .timeout(Duration.ofSeconds(1))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException notYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(5));
    }
}
