package dev.mailbatch.local.emulator;

import dev.mailbatch.config.Json;
import dev.mailbatch.local.template.Template;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;

/**
 * Creates the queue, the dead-letter queue and the table on an AWS-API endpoint (an emulator)
 * from template.yaml's own resource properties, so local and deployed stacks cannot drift.
 *
 * @param table the table's name
 * @param queueUrl the work queue
 * @param dlqUrl the dead-letter queue
 */
public record StackResources(String table, String queueUrl, String queueArn, String dlqUrl, String dlqArn) {
    static final String QUEUE = "WorkQueue";
    static final String DLQ = "DeadLetterQueue";
    static final String TABLE = "JobsTable";

    /**
     * @param prefix makes the names unique (several stacks may share one emulator)
     * @param queueOverrides SQS attributes to set instead of the template's (tests shorten
     *        VisibilityTimeout this way); empty for the template's own
     */
    public static StackResources create(
            Template template,
            DynamoDbClient dynamo,
            SqsClient sqs,
            String prefix,
            Map<QueueAttributeName, String> queueOverrides) {
        String dlqUrl = queue(sqs, prefix + "-dlq", queueAttributes(template.properties(DLQ), Map.of()));
        String dlqArn = arn(sqs, dlqUrl);
        template.bind(DLQ + ".Arn", dlqArn).bind(DLQ, dlqUrl);

        Map<QueueAttributeName, String> attributes = queueAttributes(template.properties(QUEUE), queueOverrides);
        String queueUrl = queue(sqs, prefix + "-work", attributes);
        String queueArn = arn(sqs, queueUrl);
        template.bind(QUEUE, queueUrl).bind(QUEUE + ".Arn", queueArn);

        String table = prefix + "-jobs";
        boolean created = table(dynamo, tableRequest(template.properties(TABLE), table));
        Map<String, Object> ttl = Template.map(template.properties(TABLE).get("TimeToLiveSpecification"));
        if (created && Boolean.TRUE.equals(ttl.get("Enabled"))) {
            dynamo.updateTimeToLive(r -> r.tableName(table)
                    .timeToLiveSpecification(t -> t.attributeName(String.valueOf(ttl.get("AttributeName")))
                            .enabled(true)));
        }
        String account = queueArn.split(":")[4]; // the emulator's account, as its queue ARNs name it
        template.bind("AWS::AccountId", account)
                .bind(TABLE, table)
                .bind(TABLE + ".Arn", "arn:aws:dynamodb:us-east-1:" + account + ":table/" + table);
        return new StackResources(table, queueUrl, queueArn, dlqUrl, dlqArn);
    }

    static Map<QueueAttributeName, String> queueAttributes(
            Map<String, Object> properties, Map<QueueAttributeName, String> overrides) {
        Map<QueueAttributeName, String> attributes = new LinkedHashMap<>();
        for (String name : List.of(
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize")) {
            if (properties.containsKey(name)) {
                attributes.put(QueueAttributeName.fromValue(name), String.valueOf(properties.get(name)));
            }
        }
        if (properties.containsKey("RedrivePolicy")) {
            attributes.put(QueueAttributeName.REDRIVE_POLICY, Json.write(properties.get("RedrivePolicy")));
        }
        attributes.putAll(overrides);
        return attributes;
    }

    @SuppressWarnings("unchecked")
    static CreateTableRequest tableRequest(Map<String, Object> p, String name) {
        CreateTableRequest.Builder request = CreateTableRequest.builder()
                .tableName(name)
                .billingMode(BillingMode.fromValue(String.valueOf(p.getOrDefault("BillingMode", "PAY_PER_REQUEST"))))
                .attributeDefinitions(((List<Map<String, Object>>) p.get("AttributeDefinitions"))
                        .stream()
                                .map(a -> AttributeDefinition.builder()
                                        .attributeName((String) a.get("AttributeName"))
                                        .attributeType((String) a.get("AttributeType"))
                                        .build())
                                .toList())
                .keySchema(keySchema(p.get("KeySchema")));
        List<Map<String, Object>> indexes =
                (List<Map<String, Object>>) p.getOrDefault("GlobalSecondaryIndexes", List.of());
        if (!indexes.isEmpty()) {
            request.globalSecondaryIndexes(indexes.stream()
                    .map(i -> GlobalSecondaryIndex.builder()
                            .indexName((String) i.get("IndexName"))
                            .keySchema(keySchema(i.get("KeySchema")))
                            .projection(Projection.builder()
                                    .projectionType(String.valueOf(
                                            Template.map(i.get("Projection")).get("ProjectionType")))
                                    .build())
                            .build())
                    .toList());
        }
        return request.build();
    }

    @SuppressWarnings("unchecked")
    private static List<KeySchemaElement> keySchema(Object schema) {
        return ((List<Map<String, Object>>) schema)
                .stream()
                        .map(k -> KeySchemaElement.builder()
                                .attributeName((String) k.get("AttributeName"))
                                .keyType((String) k.get("KeyType"))
                                .build())
                        .toList();
    }

    /**
     * The queue, created or, when it is there already (a stack whose runner was stopped or
     * killed), attached to if its attributes match the template's.
     */
    private static String queue(SqsClient sqs, String name, Map<QueueAttributeName, String> attributes) {
        try {
            return sqs.createQueue(r -> r.queueName(name).attributes(attributes))
                    .queueUrl();
        } catch (QueueNameExistsException e) {
            throw new IllegalStateException("the queue " + name + " exists with other attributes than template.yaml"
                    + " gives it; use another STACK_NAME, or delete it");
        }
    }

    /**
     * Creates the table; or, when it is there already, attaches to it if its keys and indexes are
     * the template's.
     *
     * @return whether it was created
     */
    private static boolean table(DynamoDbClient dynamo, CreateTableRequest wanted) {
        try {
            dynamo.createTable(wanted);
            return true;
        } catch (ResourceInUseException exists) {
            var found =
                    dynamo.describeTable(r -> r.tableName(wanted.tableName())).table();
            List<String> indexes = found.globalSecondaryIndexes().stream()
                    .map(i -> i.indexName() + i.keySchema())
                    .sorted()
                    .toList();
            List<String> wantedIndexes = wanted.globalSecondaryIndexes().stream()
                    .map(i -> i.indexName() + i.keySchema())
                    .sorted()
                    .toList();
            if (!found.keySchema().equals(wanted.keySchema()) || !indexes.equals(wantedIndexes)) {
                throw new IllegalStateException("the table " + wanted.tableName() + " exists with other keys or"
                        + " indexes than template.yaml gives it; use another STACK_NAME, or delete it");
            }
            return false;
        }
    }

    private static String arn(SqsClient sqs, String url) {
        return sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }
}
