package dev.mailbatch.config;

import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * SDK clients for the Lambda runtime, built when a function is (once per execution environment). Region,
 * credentials and endpoint come from the SDK's own environment lookup
 * ({@code AWS_REGION}, {@code AWS_ENDPOINT_URL}): in AWS the endpoint is unset; locally it
 * points at the emulator. There is no code path per environment.
 */
public final class Clients {
    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();

    private Clients() {}

    public static DynamoDbClient dynamoDb() {
        return DynamoDbClient.builder().httpClient(HTTP).build();
    }

    public static SqsClient sqs() {
        return SqsClient.builder().httpClient(HTTP).build();
    }

    public static SsmClient ssm() {
        return SsmClient.builder().httpClient(HTTP).build();
    }

    public static SesV2Client ses() {
        return SesV2Client.builder().httpClient(HTTP).build();
    }
}
