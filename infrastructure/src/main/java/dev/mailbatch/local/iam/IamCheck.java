package dev.mailbatch.local.iam;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.sesv2.model.SendEmailRequest;
import software.amazon.awssdk.services.sesv2.model.SesV2Request;
import software.amazon.awssdk.services.sqs.model.SqsRequest;
import software.amazon.awssdk.services.ssm.model.SsmRequest;

/**
 * Judges every call a function's SDK client makes by that function's policy in template.yaml, as
 * AWS would: the call's IAM actions (a transaction by the actions of its items, a batch by its
 * single action), on the resources it names (the table, the queue's ARN, the sender identity, the
 * parameter), with the condition keys AWS sets (ses:FromAddress). A call the policy does not
 * allow is refused before it is sent, with the AccessDeniedException AWS would answer, and
 * recorded in the {@link IamLedger}; every call is recorded, so the ledger also knows which
 * permissions no code path used. moto enforces the actions and the queues' ARNs itself; this
 * checks the rest (DynamoDB and SES resources, conditions), and works on any emulator.
 */
public final class IamCheck implements ExecutionInterceptor {
    private final String function;
    private final String stack;
    private final IamPolicy policy;
    private final String region;
    private final String account;

    /** @param stack the stack the function belongs to: its policy names that stack's resources */
    public IamCheck(String stack, String function, IamPolicy policy, String region, String account) {
        this.stack = stack;
        this.function = function;
        this.policy = policy;
        this.region = region;
        this.account = account;
        IamLedger.policy(stack, function, policy);
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        for (IamPolicy.Request request : requests(context.request(), operation)) {
            boolean allowed = policy.allows(request);
            IamLedger.call(stack, function, request, allowed);
            if (!allowed) {
                throw AwsServiceException.builder()
                        .statusCode(403)
                        .awsErrorDetails(AwsErrorDetails.builder()
                                .errorCode("AccessDeniedException")
                                .errorMessage(function + "'s role (template.yaml) does not allow " + request)
                                .build())
                        .message(function + "'s role (template.yaml) does not allow " + request)
                        .build();
            }
        }
    }

    /** The IAM requests one SDK call makes, as AWS authorizes it. */
    List<IamPolicy.Request> requests(SdkRequest request, String operation) {
        List<IamPolicy.Request> out = new ArrayList<>();
        switch (request) {
            case TransactWriteItemsRequest t -> {
                for (TransactWriteItem item : t.transactItems()) {
                    if (item.put() != null) {
                        out.add(dynamo("PutItem", item.put().tableName()));
                    } else if (item.update() != null) {
                        out.add(dynamo("UpdateItem", item.update().tableName()));
                    } else if (item.delete() != null) {
                        out.add(dynamo("DeleteItem", item.delete().tableName()));
                    } else if (item.conditionCheck() != null) {
                        out.add(dynamo(
                                "ConditionCheckItem", item.conditionCheck().tableName()));
                    }
                }
            }
            case TransactGetItemsRequest t ->
                t.transactItems().forEach(i -> out.add(dynamo("GetItem", i.get().tableName())));
            case BatchGetItemRequest b ->
                b.requestItems().keySet().forEach(table -> out.add(dynamo("BatchGetItem", table)));
            case BatchWriteItemRequest b ->
                b.requestItems().keySet().forEach(table -> out.add(dynamo("BatchWriteItem", table)));
            case DynamoDbRequest d ->
                out.add(dynamo(
                        operation, d.getValueForField("TableName", String.class).orElse("*")));
            case SqsRequest s ->
                out.add(new IamPolicy.Request(
                        "sqs:" + operation.replaceFirst("Batch$", ""),
                        s.getValueForField("QueueUrl", String.class)
                                .map(this::queueArn)
                                .orElse("*")));
            case SendEmailRequest e ->
                out.add(new IamPolicy.Request(
                        "ses:SendEmail",
                        "arn:aws:ses:" + region + ":" + account + ":identity/" + e.fromEmailAddress(),
                        Map.of("ses:FromAddress", List.of(String.valueOf(e.fromEmailAddress())))));
            case SesV2Request other -> out.add(new IamPolicy.Request("ses:" + operation, "*"));
            case SsmRequest s ->
                out.add(new IamPolicy.Request(
                        "ssm:" + operation,
                        s.getValueForField("Name", String.class)
                                .map(n -> "arn:aws:ssm:" + region + ":" + account + ":parameter"
                                        + (n.startsWith("/") ? n : "/" + n))
                                .orElse("*")));
            default -> {} // not a function's: the harness's own clients are not checked
        }
        return out;
    }

    private IamPolicy.Request dynamo(String action, String table) {
        return new IamPolicy.Request(
                "dynamodb:" + action, "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table);
    }

    /** https://sqs.<region>.amazonaws.com/<account>/<name> (or an emulator's URL of that shape) as an ARN. */
    private String queueArn(String url) {
        String[] path = URI.create(url).getPath().split("/");
        String name = path[path.length - 1];
        String owner = path.length >= 3 ? path[path.length - 2] : account;
        return "arn:aws:sqs:" + region + ":" + owner + ":" + name;
    }
}
