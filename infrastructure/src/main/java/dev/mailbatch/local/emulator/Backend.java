package dev.mailbatch.local.emulator;

import dev.mailbatch.local.iam.FunctionRoles;
import dev.mailbatch.local.iam.IamCheck;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * An AWS-API emulator reached over HTTP: moto server (the reference) or LocalStack. The
 * clients are the SDK's real ones; only the endpoint differs from AWS.
 *
 * @param interceptors on every DynamoDB, SQS, SES and SSM client (the chaos harness's faults, a
 *     function's {@link IamCheck}; none otherwise)
 * @param credentials whose keys the clients sign with: the emulator's administrator (see
 *     {@link #operator}), or a function's role ({@link FunctionRoles})
 */
public record Backend(
        String name, URI endpoint, List<ExecutionInterceptor> interceptors, AwsCredentialsProvider credentials) {
    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();

    /** The operator's keys: those of {@link MotoServer#enforceIam} where it ran in this JVM, else the environment's, else any. */
    public static AwsCredentialsProvider operator() {
        String id = firstOf(System.getProperty("aws.accessKeyId"), System.getenv("AWS_ACCESS_KEY_ID"));
        String secret = firstOf(System.getProperty("aws.secretAccessKey"), System.getenv("AWS_SECRET_ACCESS_KEY"));
        return StaticCredentialsProvider.create(
                id == null || secret == null
                        ? AwsBasicCredentials.create("test", "test")
                        : AwsBasicCredentials.create(id, secret));
    }

    private static String firstOf(String a, String b) {
        return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
    }

    public Backend(String name, URI endpoint) {
        this(name, endpoint, List.of());
    }

    public Backend(String name, URI endpoint, List<ExecutionInterceptor> interceptors) {
        this(name, endpoint, interceptors, null);
    }

    public Backend {
        interceptors = List.copyOf(interceptors);
    }

    /** The same emulator reached at {@code through} (a proxy in front of it), its clients' calls through {@code faults}. */
    public Backend via(URI through, List<ExecutionInterceptor> faults) {
        return new Backend(name, through, faults, credentials);
    }

    /** The same, signing as {@code who} with {@code more} interceptors after these (a function under its role). */
    public Backend as(AwsCredentialsProvider who, List<ExecutionInterceptor> more) {
        List<ExecutionInterceptor> all = new ArrayList<>(interceptors);
        all.addAll(more);
        return new Backend(name, endpoint, all, who);
    }

    public boolean isMoto() {
        return name.equals("moto");
    }

    private AwsCredentialsProvider signer() {
        return credentials != null ? credentials : operator();
    }

    public DynamoDbClient dynamo() {
        return dynamo(List.of());
    }

    /** A client whose calls pass through {@code more} interceptors too (a test's store faults). */
    public DynamoDbClient dynamo(List<ExecutionInterceptor> more) {
        List<ExecutionInterceptor> all = new ArrayList<>(interceptors);
        all.addAll(more);
        return DynamoDbClient.builder()
                .overrideConfiguration(c -> c.executionInterceptors(all))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(signer())
                .build();
    }

    public SqsClient sqs() {
        return sqs(List.of());
    }

    /** A client whose calls pass through {@code more} interceptors too (a test's queue faults). */
    public SqsClient sqs(List<ExecutionInterceptor> more) {
        List<ExecutionInterceptor> all = new ArrayList<>(interceptors);
        all.addAll(more);
        return SqsClient.builder()
                .overrideConfiguration(c -> c.executionInterceptors(all))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(signer())
                .build();
    }

    public SsmClient ssm() {
        return SsmClient.builder()
                .overrideConfiguration(c -> c.executionInterceptors(interceptors))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(signer())
                .build();
    }

    public SesV2Client ses() {
        return SesV2Client.builder()
                .overrideConfiguration(c -> c.executionInterceptors(interceptors))
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(signer())
                .build();
    }

    /** IAM, as the operator (roles for the functions). */
    public IamClient iam() {
        return IamClient.builder()
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.AWS_GLOBAL)
                .credentialsProvider(operator())
                .build();
    }

    /** STS, as the operator (assuming the functions' roles). */
    public StsClient sts() {
        return StsClient.builder()
                .httpClient(HTTP)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(operator())
                .build();
    }
}
