package dev.mailbatch.local.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.mailbatch.local.LambdaRuntimes;
import java.util.Map;

/**
 * A hello-world handler: the baseline of the cold-start figures ({@link LambdaRuntimes}), run
 * through the same runtime with nothing but itself and aws-lambda-java-core on its classpath.
 */
public final class HelloHandler implements RequestHandler<Map<String, String>, String> {
    @Override
    public String handleRequest(Map<String, String> event, Context context) {
        return "hello " + event.getOrDefault("name", "world");
    }
}
