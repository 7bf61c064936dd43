package dev.mailbatch.it.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailbatch.chaos.ChaosStore;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.local.emulator.Backend;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;

/**
 * The chaos harness's store faults do what they claim, on the real SDK against the emulator: a
 * throttled or 500 attempt is not applied and the SDK retries it; a conflict is not applied and
 * reaches the caller; a lost answer was applied, and the SDK's retry of a conditional write then
 * meets its own effect.
 */
@ExtendWith(BackendExtension.class)
class ChaosStoreIT {

    private static String table(DynamoDbClient dynamo) {
        String name = "chaos-store-" + UUID.randomUUID().toString().substring(0, 8);
        dynamo.createTable(r -> r.tableName(name)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder()
                        .attributeName("pk")
                        .attributeType(ScalarAttributeType.S)
                        .build())
                .keySchema(KeySchemaElement.builder()
                        .attributeName("pk")
                        .keyType(KeyType.HASH)
                        .build()));
        return name;
    }

    private static long count(DynamoDbClient dynamo, String table) {
        return dynamo.scan(r -> r.tableName(table)).count();
    }

    @Test
    void throttledAndServerErrorAttemptsAreNotAppliedAndTheSdkRetriesThem(Backend backend) {
        String table = table(backend.dynamo());
        ChaosStore faults = new ChaosStore(0.5, 7, Set.of(ChaosStore.Kind.THROTTLED, ChaosStore.Kind.SERVER_ERROR));
        DynamoDbClient dynamo = backend.dynamo(List.of(faults));
        for (int i = 0; i < 20; i++) {
            String pk = "k" + i;
            dynamo.updateItem(r -> r.tableName(table)
                    .key(Map.of("pk", AttributeValue.fromS(pk)))
                    .updateExpression("ADD n :one")
                    .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"))));
        }
        assertThat(faults.injected().get(ChaosStore.Kind.THROTTLED)).isPositive();
        assertThat(faults.injected().get(ChaosStore.Kind.SERVER_ERROR)).isPositive();
        assertThat(faults.attempts()).isGreaterThan(20);
        // each ADD landed exactly once although attempts failed: the failed ones never reached the table
        for (int i = 0; i < 20; i++) {
            String pk = "k" + i;
            assertThat(backend.dynamo()
                            .getItem(r -> r.tableName(table).key(Map.of("pk", AttributeValue.fromS(pk))))
                            .item()
                            .get("n")
                            .n())
                    .isEqualTo("1");
        }
    }

    @Test
    void aConflictIsNotAppliedAndReachesTheCaller(Backend backend) {
        String table = table(backend.dynamo());
        DynamoDbClient dynamo = backend.dynamo(List.of(new ChaosStore(1, 7, Set.of(ChaosStore.Kind.CONFLICT))));
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(table).item(Map.of("pk", AttributeValue.fromS("a")))))
                .isInstanceOf(TransactionConflictException.class);
        assertThatThrownBy(() -> dynamo.transactWriteItems(r -> r.transactItems(
                        t -> t.put(p -> p.tableName(table).item(Map.of("pk", AttributeValue.fromS("b")))),
                        t -> t.put(p -> p.tableName(table).item(Map.of("pk", AttributeValue.fromS("c")))))))
                .isInstanceOfSatisfying(
                        TransactionCanceledException.class,
                        e -> assertThat(e.cancellationReasons())
                                .extracting(reason -> reason.code())
                                .containsExactlyInAnyOrder("TransactionConflict", "None"));
        // a read cannot conflict: it meets a 500 instead, which the SDK retries until it gives up
        assertThatThrownBy(() -> dynamo.getItem(r -> r.tableName(table).key(Map.of("pk", AttributeValue.fromS("a")))))
                .isInstanceOf(DynamoDbException.class)
                .hasMessageContaining("injected");
        assertThat(count(backend.dynamo(), table)).isZero();
    }

    @Test
    void aLostAnswerWasAppliedAndTheRetriedConditionalWriteMeetsItsOwnEffect(Backend backend) {
        String table = table(backend.dynamo());
        ChaosStore faults = new ChaosStore(1, 7, Set.of(ChaosStore.Kind.ANSWER_LOST));
        DynamoDbClient dynamo = backend.dynamo(List.of(faults));
        assertThatThrownBy(() -> dynamo.putItem(r -> r.tableName(table)
                        .item(Map.of("pk", AttributeValue.fromS("once")))
                        .conditionExpression("attribute_not_exists(pk)")))
                .as("the first attempt landed; the SDK's second met the condition it had made false")
                .isInstanceOf(ConditionalCheckFailedException.class);
        assertThat(faults.injected().get(ChaosStore.Kind.ANSWER_LOST)).isEqualTo(1);
        assertThat(count(backend.dynamo(), table)).isEqualTo(1);
    }
}
