package dev.mailbatch.local;

import java.net.URI;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * An AWS-API emulator reached over HTTP: moto server (the reference) or LocalStack. The
 * clients are the SDK's real ones; only the endpoint differs from AWS.
 *
 * @param interceptors on every DynamoDB, SQS and SES client (the chaos harness's faults; none otherwise)
 */
public record Backend(String name, URI endpoint, List<ExecutionInterceptor> interceptors) {
    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));

    public Backend(String name, URI endpoint) {
        this(name, endpoint, List.of());
    }

    public Backend {
        interceptors = List.copyOf(interceptors);
    }

    /** The same emulator reached at {@code through} (a proxy in front of it), its clients' calls through {@code faults}. */
    public Backend via(URI through, List<ExecutionInterceptor> faults) {
        return new Backend(name, through, faults);
    }

    public boolean isMoto() {
        return name.equals("moto");
    }

    public DynamoDbClient dynamo() {
        return dynamo(List.of());
    }

    /** A client whose calls pass through {@code more} interceptors too (a test's store faults). */
    public DynamoDbClient dynamo(List<ExecutionInterceptor> more) {
        List<ExecutionInterceptor> all = new java.util.ArrayList<>(interceptors);
        all.addAll(more);
        return DynamoDbClient.builder()
                .overrideConfiguration(c -> c.executionInterceptors(all))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .build();
    }

    public SqsClient sqs() {
        return SqsClient.builder()
                .overrideConfiguration(c -> c.executionInterceptors(interceptors))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .build();
    }

    public SsmClient ssm() {
        return SsmClient.builder()
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .build();
    }

    public SesV2Client ses() {
        return SesV2Client.builder()
                .overrideConfiguration(c -> c.executionInterceptors(interceptors))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .build();
    }
}
