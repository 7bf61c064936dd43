package dev.mailbatch.config;

import java.time.Clock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * What every function is built from: its environment variables, the SDK clients, the clock, and
 * where its structured log lines and metrics go.
 * Each handler has one constructor taking a Wiring, its factory: Lambda's no-arg constructor
 * calls it with {@link #lambda()}, and the local runner and the integration tests call it with
 * clients for the emulator. A client is made only when a function asks for it.
 *
 * @param env the function's environment variables, as {@code System::getenv} gives them
 * @param logs where each JSON line of {@link Log} and {@link Metrics} goes: standard output in
 *     Lambda, the run's function log locally
 */
public record Wiring(
        Function<String, String> env,
        Supplier<DynamoDbClient> dynamo,
        Supplier<SqsClient> sqs,
        Supplier<SesV2Client> ses,
        Supplier<SsmClient> ssm,
        Clock clock,
        Consumer<String> logs) {

    /** In AWS Lambda: the process environment and the SDK clients {@link Clients} builds. */
    public static Wiring lambda() {
        return new Wiring(
                System::getenv,
                Clients::dynamoDb,
                Clients::sqs,
                Clients::ses,
                Clients::ssm,
                Clock.systemUTC(),
                System.out::println);
    }

    /** This wiring with another DynamoDB client (a test's, whose calls pass through faults). */
    public Wiring withDynamo(Supplier<DynamoDbClient> other) {
        return new Wiring(env, other, sqs, ses, ssm, clock, logs);
    }
}
