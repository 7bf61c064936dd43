package dev.mailbatch.local.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** A Lambda Context for invoking a handler in-process; each log call is one line to a {@link LogSink}. */
public final class LocalContext implements Context {
    /** Where a function's log lines go. */
    @FunctionalInterface
    public interface LogSink {
        void log(String function, LogLevel level, String message);

        /** Each line as {@code [function] LEVEL message} on standard output. */
        LogSink STDOUT =
                (function, level, message) -> System.out.println("[" + function + "] " + level + " " + message);
    }

    private final String functionName;
    private final String requestId = UUID.randomUUID().toString();
    private final long deadline;
    private final LambdaLogger logger;

    public LocalContext(String functionName, int timeoutSeconds, LogSink sink) {
        this.functionName = functionName;
        this.deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        this.logger = new LambdaLogger() {
            @Override
            public void log(String message) {
                log(message, LogLevel.INFO);
            }

            @Override
            public void log(byte[] message) {
                log(new String(message, StandardCharsets.UTF_8));
            }

            @Override
            public void log(String message, LogLevel level) {
                sink.log(functionName, level, message);
            }
        };
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/" + functionName;
    }

    @Override
    public String getLogStreamName() {
        return "local";
    }

    @Override
    public String getFunctionName() {
        return functionName;
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:000000000000:function:" + functionName;
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
        return (int) Math.max(0, deadline - System.currentTimeMillis());
    }

    @Override
    public int getMemoryLimitInMB() {
        return 1024;
    }

    @Override
    public LambdaLogger getLogger() {
        return logger;
    }
}
