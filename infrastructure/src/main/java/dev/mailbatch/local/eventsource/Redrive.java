package dev.mailbatch.local.eventsource;

import dev.mailbatch.local.emulator.Backend;
import java.net.URI;
import java.util.List;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Moves every message of the dead-letter queue back to the work queue: each is sent anew (a new
 * message, its receive count starting again, as SQS's own redrive does), then deleted from the
 * dead-letter queue. A crash between the two leaves a copy in both queues, which the worker
 * tolerates like any duplicate delivery. On AWS, {@code aws sqs start-message-move-task} does the
 * same; this works on any SQS API, moto's included.
 */
public final class Redrive {
    private Redrive() {}

    /** @return how many messages were moved */
    public static int move(SqsClient sqs, String deadLetterQueueUrl, String queueUrl) {
        int moved = 0;
        while (true) {
            List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(deadLetterQueueUrl)
                            .maxNumberOfMessages(10)
                            .waitTimeSeconds(1)
                            .visibilityTimeout(60)
                            .messageSystemAttributeNames(MessageSystemAttributeName.ALL))
                    .messages();
            if (messages.isEmpty()) {
                return moved;
            }
            for (Message m : messages) {
                sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(m.body()));
                sqs.deleteMessage(r -> r.queueUrl(deadLetterQueueUrl).receiptHandle(m.receiptHandle()));
                moved++;
            }
        }
    }

    /** {@code redrive DEAD_LETTER_QUEUE_URL QUEUE_URL}, against AWS_ENDPOINT_URL if set (docs/deploy.md § 8). */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: redrive DEAD_LETTER_QUEUE_URL QUEUE_URL   (AWS_ENDPOINT_URL for an emulator)");
            System.exit(2);
        }
        String endpoint = System.getenv("AWS_ENDPOINT_URL");
        try (SqsClient sqs = endpoint == null || endpoint.isBlank()
                ? SqsClient.create()
                : new Backend("emulator", URI.create(endpoint.trim())).sqs()) {
            int moved = move(sqs, args[0], args[1]);
            System.out.println("redrive: moved " + moved + " message(s) from " + args[0] + " to " + args[1]);
        }
    }
}
