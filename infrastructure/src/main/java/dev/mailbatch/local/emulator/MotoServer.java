package dev.mailbatch.local.emulator;

import dev.mailbatch.local.iam.FunctionRoles;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    /** The IAM user whose keys the operator (the harness, the runner, the AWS CLI) signs with. */
    public static final String OPERATOR = "mailbatch-operator";

    /**
     * Turns on moto's IAM enforcement, as AWS always has it: from now on every request must be
     * signed with keys moto issued, and a role's policies are enforced for DynamoDB, SQS and SES v2
     * actions (and SQS queue ARNs). First an operator user is made with every permission, and this
     * JVM signs with its keys from then on ({@code aws.accessKeyId}, read by {@link
     * Backend#operator}); each function then runs under a role of its own ({@link FunctionRoles}).
     *
     * @return the operator's access key id and secret, for another process (the AWS CLI, a worker
     *     process) to use
     */
    public String[] enforceIam() throws IOException, InterruptedException {
        Backend plain = new Backend("moto", endpoint);
        try (var iam = plain.iam()) {
            iam.createUser(r -> r.userName(OPERATOR));
            iam.putUserPolicy(r -> r.userName(OPERATOR)
                    .policyName("everything")
                    .policyDocument("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                            + "\"Action\":\"*\",\"Resource\":\"*\"}]}"));
            var key = iam.createAccessKey(r -> r.userName(OPERATOR)).accessKey();
            System.setProperty("aws.accessKeyId", key.accessKeyId());
            System.setProperty("aws.secretAccessKey", key.secretAccessKey());
            // the body is sent as it is: moto reads it as the number of unauthenticated calls left
            HttpResponse<String> on = java.net.http.HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset-auth"))
                                    .header("Content-Type", "application/octet-stream")
                                    .POST(HttpRequest.BodyPublishers.ofString("0"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (on.statusCode() != 200) {
                throw new IOException("moto did not turn IAM enforcement on: " + on.statusCode() + " " + on.body());
            }
            return new String[] {key.accessKeyId(), key.secretAccessKey()};
        }
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
