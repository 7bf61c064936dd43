package dev.mailbatch.config;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/**
 * SnapStart priming. With {@code SnapStart: ApplyOn: PublishedVersions}, Lambda initialises a
 * function once per published version, calls the CRaC {@code beforeCheckpoint} of every
 * registered {@link Resource}, and snapshots the execution environment; later cold starts resume
 * from that snapshot. Each handler registers itself from its Lambda constructor and, before the
 * checkpoint, runs one harmless request through its own code: Jackson, the handler's path and a
 * DynamoDB read (the SDK client, its signer, its HTTP connection), so a restored environment
 * answers its first request as a warm one. Where no checkpoint is taken (any other runtime, the
 * tests), registering does nothing.
 */
public final class Priming {
    /** The caller the priming requests come from: no job is ever owned by it. */
    public static final String SUBJECT = "snapstart-priming";

    private Priming() {}

    /** Registers a handler for the checkpoint (the CRaC API keeps it while the runtime holds it). */
    /**
     * Runs a handler's priming; a failure there (the table not reachable yet, a throttle, no
     * permission) is logged and swallowed: a failed beforeCheckpoint fails the snapshot and with it
     * the deploy, and priming is only an optimisation (the first requests warm up instead).
     */
    public static void attempt(Log log, Runnable prime) {
        try {
            prime.run();
        } catch (RuntimeException e) {
            log.warn(CONTEXT, "priming failed: the snapshot is taken without it")
                    .with("error", e.getClass().getSimpleName())
                    .write();
        }
    }

    public static void register(Resource handler) {
        Core.getGlobalContext().register(handler);
    }

    /** A request as API Gateway's JWT authorizer passes it, from {@link #SUBJECT}. */
    public static APIGatewayV2HTTPEvent request(
            String method, String routePath, String path, Map<String, String> pathParameters, String body) {
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey(method + " " + routePath)
                .withRawPath(path)
                .withRawQueryString("")
                .withHeaders(Map.of("content-type", "application/json"))
                .withPathParameters(pathParameters)
                .withBody(body)
                .withIsBase64Encoded(false)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withRouteKey(method + " " + routePath)
                        .withRequestId("snapstart-priming")
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(method)
                                .withPath(path)
                                .build())
                        .withAuthorizer(APIGatewayV2HTTPEvent.RequestContext.Authorizer.builder()
                                .withJwt(APIGatewayV2HTTPEvent.RequestContext.Authorizer.JWT
                                        .builder()
                                        .withClaims(Map.of("sub", SUBJECT))
                                        .withScopes(java.util.List.of("mailbatch/send", "mailbatch/read"))
                                        .build())
                                .build())
                        .build())
                .build();
    }

    /** The invocation context of a priming request: its log lines are dropped. */
    public static final Context CONTEXT = new Context() {
        @Override
        public String getAwsRequestId() {
            return "snapstart-priming";
        }

        @Override
        public String getLogGroupName() {
            return "";
        }

        @Override
        public String getLogStreamName() {
            return "";
        }

        @Override
        public String getFunctionName() {
            return "";
        }

        @Override
        public String getFunctionVersion() {
            return "";
        }

        @Override
        public String getInvokedFunctionArn() {
            return "";
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return 30_000;
        }

        @Override
        public int getMemoryLimitInMB() {
            return 0;
        }

        @Override
        public LambdaLogger getLogger() {
            return new LambdaLogger() {
                @Override
                public void log(String message) {}

                @Override
                public void log(byte[] message) {}
            };
        }
    };
}
