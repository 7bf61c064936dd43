package dev.mailbatch.it;

import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.MotoServer;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts the emulator the ITs run against, once per test JVM, and injects it as a
 * {@link Backend}. One switch selects it: system property {@code mailbatch.it.backend}
 * ({@code moto}, the default, or {@code localstack}). LocalStack runs in a container of the ITs'
 * own (Testcontainers; the image is {@code mailbatch.localstack.image}), which needs Docker and
 * {@code LOCALSTACK_AUTH_TOKEN}: without either the tests are skipped, and reported as skipped
 * with the reason. Or the ITs use a LocalStack already running ({@code mailbatch.it.endpoint},
 * as infrastructure/localstack/run does). This machine has no Docker: the LocalStack path is
 * written to be right, not seen to run.
 */
public final class BackendExtension
        implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
    /** The LocalStack image: system property {@code mailbatch.localstack.image}, or this one. */
    static final String LOCALSTACK_IMAGE =
            System.getProperty("mailbatch.localstack.image", "localstack/localstack:4.9");

    /**
     * LocalStack's image needs an auth token since 23 March 2026 (one image for everyone); it is
     * passed through from the environment, and the LocalStack run is skipped without it.
     */
    static final String AUTH_TOKEN = "LOCALSTACK_AUTH_TOKEN";

    /** A LocalStack already running (infrastructure/localstack/): its endpoint, instead of a container of the ITs' own. */
    static final String ENDPOINT = System.getProperty("mailbatch.it.endpoint", "");

    /** Without Docker the LocalStack run is disabled, so each test shows as skipped, with the reason. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (backendName().equals("localstack") && ENDPOINT.isBlank()) {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return ConditionEvaluationResult.disabled("LocalStack backend: no Docker engine answers here");
            }
            if (System.getenv(AUTH_TOKEN) == null || System.getenv(AUTH_TOKEN).isBlank()) {
                return ConditionEvaluationResult.disabled(
                        "LocalStack backend: " + AUTH_TOKEN + " is not set (LocalStack's image needs one)");
            }
        }
        return ConditionEvaluationResult.enabled("backend " + backendName());
    }

    private static String backendName() {
        return System.getProperty("mailbatch.it.backend", "moto");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        backend(context);
    }

    /** What a class's set-up (or an earlier test) answered against the contract fails the next test. */
    @Override
    public void beforeEach(ExtensionContext context) {
        failOnContractViolations("before this test (in the class's set-up)");
    }

    /**
     * Every API response the test saw must conform to docs/openapi.yaml ({@link Contract}): the
     * local runner's and those of the handlers a {@link TestStack} invoked.
     */
    @Override
    public void afterEach(ExtensionContext context) {
        failOnContractViolations("in this test");
    }

    private static void failOnContractViolations(String when) {
        java.util.List<String> violations = Contract.drain();
        if (!violations.isEmpty()) {
            throw new AssertionError("API responses " + when + " that docs/openapi.yaml does not allow:\n  "
                    + String.join("\n  ", violations));
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Backend.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return backend(context);
    }

    static Backend backend(ExtensionContext context) {
        String name = backendName();
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL);
        Started started = store.getOrComputeIfAbsent("mailbatch-backend-" + name, key -> start(name), Started.class);
        return started.backend();
    }

    private record Started(Backend backend, AutoCloseable resource) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            resource.close();
        }
    }

    private static Started start(String name) {
        try {
            return switch (name) {
                case "moto" -> {
                    Path root = Path.of(System.getProperty("mailbatch.root", ".."))
                            .toAbsolutePath()
                            .normalize();
                    MotoServer moto = MotoServer.start(root, root.resolve("infrastructure/target/moto-server.log"));
                    moto.enforceIam(); // as AWS: every call signed, each function under its role (IamIT)
                    yield new Started(new Backend("moto", moto.endpoint()), moto);
                }
                case "localstack" -> {
                    if (!ENDPOINT.isBlank()) {
                        yield new Started(new Backend("localstack", java.net.URI.create(ENDPOINT)), () -> {});
                    }
                    LocalStackContainer localstack = new LocalStackContainer(DockerImageName.parse(LOCALSTACK_IMAGE)
                                    .asCompatibleSubstituteFor("localstack/localstack"))
                            .withServices("sqs", "dynamodb", "ses", "ssm")
                            .withEnv(AUTH_TOKEN, System.getenv(AUTH_TOKEN));
                    localstack.start();
                    yield new Started(new Backend("localstack", localstack.getEndpoint()), localstack::stop);
                }
                default ->
                    throw new IllegalArgumentException("mailbatch.it.backend must be moto or localstack, not " + name);
            };
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not start " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + name, e);
        }
    }
}
