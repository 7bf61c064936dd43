package dev.mailbatch.local;

import dev.mailbatch.config.Json;
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
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

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
        String dlqUrl = sqs.createQueue(r ->
                        r.queueName(prefix + "-dlq").attributes(queueAttributes(template.properties(DLQ), Map.of())))
                .queueUrl();
        String dlqArn = arn(sqs, dlqUrl);
        template.bind(DLQ + ".Arn", dlqArn).bind(DLQ, dlqUrl);

        Map<QueueAttributeName, String> attributes = queueAttributes(template.properties(QUEUE), queueOverrides);
        String queueUrl = sqs.createQueue(r -> r.queueName(prefix + "-work").attributes(attributes))
                .queueUrl();
        String queueArn = arn(sqs, queueUrl);
        template.bind(QUEUE, queueUrl).bind(QUEUE + ".Arn", queueArn);

        String table = prefix + "-jobs";
        dynamo.createTable(tableRequest(template.properties(TABLE), table));
        Map<String, Object> ttl = Template.map(template.properties(TABLE).get("TimeToLiveSpecification"));
        if (Boolean.TRUE.equals(ttl.get("Enabled"))) {
            dynamo.updateTimeToLive(r -> r.tableName(table)
                    .timeToLiveSpecification(t -> t.attributeName(String.valueOf(ttl.get("AttributeName")))
                            .enabled(true)));
        }
        template.bind(TABLE, table).bind(TABLE + ".Arn", "arn:aws:dynamodb:us-east-1:000000000000:table/" + table);
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

    private static String arn(SqsClient sqs, String url) {
        return sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }
}
