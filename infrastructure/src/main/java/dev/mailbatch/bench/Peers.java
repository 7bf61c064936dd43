package dev.mailbatch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.local.emulator.ChildProcesses;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What mailbatch is measured against, on the outbox of the same stack: the classic fix, Celery +
 * Redis (infrastructure/bench/celery_peer.py in .venv-bench: one task per email, a worker with a
 * thread pool of C, Redis as broker and result backend, the caller waiting for every result), and
 * the original design (one request that sends the emails one after another). {@link Redis} is
 * the peer's broker, a redis-server of the run's own.
 */
final class Peers {
    private final Path root;
    private final Path logDir;
    private final int redisPort;
    private final PrintStream out;

    Peers(Path root, Path logDir, int redisPort, PrintStream out) {
        this.root = root;
        this.logDir = logDir;
        this.redisPort = redisPort;
        this.out = out;
    }

    /**
     * The Celery + Redis peer: {@code n} tasks on a thread pool of {@code c} against the outbox;
     * its makespan in seconds (dispatch included).
     */
    double celery(String outbox, int n, int c, String run) throws IOException, InterruptedException {
        Path python = root.resolve(".venv-bench/bin/python");
        Path log = logDir.resolve("celery-" + run + ".log");
        ProcessBuilder builder = new ProcessBuilder(
                        python.toString(),
                        root.resolve("infrastructure/bench/celery_peer.py").toString(),
                        "--outbox",
                        outbox,
                        "--n",
                        Integer.toString(n),
                        "--concurrency",
                        Integer.toString(c),
                        "--run",
                        run)
                .redirectError(log.toFile());
        builder.environment().put("PEER_BROKER", "redis://127.0.0.1:" + redisPort + "/0");
        Process p = builder.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(
                    "bench: the Celery peer failed: " + output + "; see " + root.relativize(log));
        }
        String[] lines = output.split("\n");
        JsonNode result = Json.MAPPER.readTree(lines[lines.length - 1]);
        if (result.path("failed").asInt() != 0) {
            throw new IllegalStateException("bench: Celery peer tasks failed: " + result);
        }
        double seconds = result.path("makespanSeconds").asDouble();
        out.printf("bench: %-10s %6d emails in %6.1f s (Celery + Redis, %d threads)%n", "peer", n, seconds, c);
        return seconds;
    }

    /** The original design: one request sends {@code sample} emails one after another; ms per email. */
    static double original(String outbox, int sample) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        long start = System.nanoTime();
        for (int i = 0; i < sample; i++) {
            HttpResponse<Void> r = http.send(
                    HttpRequest.newBuilder(URI.create(outbox))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(Json.write(
                                    Map.of("from", "bench@mailbatch.example", "to", "s" + i + "@bench.example"))))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("bench: the outbox answered " + r.statusCode());
            }
        }
        return (System.nanoTime() - start) / 1e6 / sample;
    }

    /** redis-server (Debian's) as a child process on a free port, without persistence. */
    record Redis(Process process, int port) implements AutoCloseable {
        static Redis start(Path log) throws IOException, InterruptedException {
            int port = ChildProcesses.freePort();
            Process p;
            try {
                p = new ProcessBuilder(
                                "redis-server",
                                "--port",
                                Integer.toString(port),
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no")
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("bench: no redis-server (Debian: apt-get install redis-server)");
            }
            Instant deadline = Instant.now().plusSeconds(20);
            while (true) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    return new Redis(p, port);
                } catch (IOException notYet) {
                    if (!p.isAlive() || Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("bench: redis-server did not start; see " + log);
                    }
                    Thread.sleep(50);
                }
            }
        }

        @Override
        public void close() {
            ChildProcesses.stop(process, Duration.ofSeconds(5));
        }
    }
}
