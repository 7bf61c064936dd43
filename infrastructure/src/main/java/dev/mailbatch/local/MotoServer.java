package dev.mailbatch.local;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * moto server as a child process on a free loopback port, from the project's virtualenv
 * (created by infrastructure/bin/ensure-venv when it is missing), started through
 * infrastructure/local/moto_server.py (moto's own server with its DynamoDB backend made safe
 * under concurrent requests). {@link #close} stops it.
 */
public final class MotoServer implements AutoCloseable {
    private final Process process;
    private final URI endpoint;

    private MotoServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    public static MotoServer start(Path root, Path logFile) throws IOException, InterruptedException {
        Path python = root.resolve(".venv/bin/python");
        Path launcher = root.resolve("infrastructure/local/moto_server.py");
        Process venv = new ProcessBuilder(
                        "bash", root.resolve("infrastructure/bin/ensure-venv").toString())
                .inheritIO()
                .start();
        if (!venv.waitFor(15, TimeUnit.MINUTES) || venv.exitValue() != 0) {
            throw new IllegalStateException("infrastructure/bin/ensure-venv failed; see its output above");
        }
        int port = ChildProcesses.freePort();
        Files.createDirectories(logFile.getParent());
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid"); // its own session: a terminal's Ctrl-C reaches the runner, which stops moto
            // last
        }
        command.addAll(
                List.of(python.toString(), launcher.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port)));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        MotoServer server = new MotoServer(process, endpoint);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!server.answers()) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                server.close();
                throw new IllegalStateException("moto server did not start on port " + port + "; see " + logFile);
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
        return server;
    }

    public long pid() {
        return process.pid();
    }

    public URI endpoint() {
        return endpoint;
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection)
                    endpoint.resolve("/moto-api/data.json").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(10));
    }
}
