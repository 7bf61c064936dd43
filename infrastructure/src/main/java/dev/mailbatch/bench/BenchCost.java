package dev.mailbatch.bench;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * The benchmark's cost figures: a run's counted AWS work ({@link CostMeter}) priced per 1,000
 * emails with us-east-1 on-demand prices, and the emails per second one partition allows a job.
 * Everything but the provider's (or SES's) own price.
 */
public final class BenchCost {
    /** us-east-1, USD, the AWS price pages as of November 2026. */
    static final double LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334;

    static final double LAMBDA_PER_REQUEST = 0.20 / 1e6;
    static final double SQS_PER_REQUEST = 0.40 / 1e6; // standard queue, per 64 KB chunk of a request
    static final double DYNAMODB_PER_WRU = 0.625 / 1e6; // on-demand
    static final double DYNAMODB_PER_RRU = 0.125 / 1e6;
    static final double HTTP_API_PER_REQUEST = 1.00 / 1e6;
    /** What one DynamoDB partition serves per second, and so one item. */
    static final double PARTITION_WRU_PER_SECOND = 1000;

    static final double PARTITION_RRU_PER_SECOND = 3000;

    private BenchCost() {}

    /**
     * @param apiRequests the API requests a caller made (the submit: a status poll is the caller's
     *     choice, and costs one API request, one Lambda request and about one RRU)
     */
    record Priced(CostMeter.Counted counted, long emails, long apiRequests) {
        double dynamo() {
            return counted.wru() * DYNAMODB_PER_WRU + counted.rru() * DYNAMODB_PER_RRU;
        }

        double sqs() {
            return counted.sqsRequests() * SQS_PER_REQUEST;
        }

        double lambda() {
            return counted.lambdaRequests() * LAMBDA_PER_REQUEST
                    + counted.lambdaGbSeconds() * LAMBDA_ARM64_PER_GB_SECOND;
        }

        double api() {
            return apiRequests * HTTP_API_PER_REQUEST;
        }

        double per1000() {
            return (dynamo() + sqs() + lambda() + api()) / emails * 1000;
        }

        /** How many emails per second the busiest item lets one job send (its partition's limits). */
        double partitionCap() {
            double writeCap = counted.hottestWru() == 0
                    ? Double.MAX_VALUE
                    : PARTITION_WRU_PER_SECOND / (counted.hottestWru() / emails);
            double readCap = counted.hottestRru() == 0
                    ? Double.MAX_VALUE
                    : PARTITION_RRU_PER_SECOND / (counted.hottestRru() / emails);
            return Math.min(writeCap, readCap);
        }

        String summary() {
            return "$%.6f: DynamoDB $%.6f (%.0f WRU, %.0f RRU), SQS $%.6f (%.1f requests), Lambda $%.6f (%.1f requests, %.1f GB-s), API $%.6f (%.1f requests)"
                    .formatted(
                            per1000(),
                            dynamo() / emails * 1000,
                            counted.wru() / emails * 1000,
                            counted.rru() / emails * 1000,
                            sqs() / emails * 1000,
                            counted.sqsRequests() * 1000.0 / emails,
                            lambda() / emails * 1000,
                            counted.lambdaRequests() * 1000.0 / emails,
                            counted.lambdaGbSeconds() / emails * 1000,
                            api() / emails * 1000,
                            apiRequests * 1000.0 / emails);
        }

        String writes() {
            return "%.3f writes to the job item per email; %.3f WRU per email (%s)"
                    .formatted(
                            (double) counted.jobItemWrites() / emails,
                            counted.wru() / emails,
                            counted.wruByKind().entrySet().stream()
                                    .map(e -> "%s %.3f".formatted(e.getKey(), e.getValue() / emails))
                                    .collect(Collectors.joining(", ")));
        }

        String partition() {
            return "%,.0f emails/s (busiest partition written in the drain: %s, %.3f WRU per email; read: %s, %.3f RRU per email)"
                    .formatted(
                            partitionCap(),
                            counted.hottestItem(),
                            counted.hottestWru() / emails,
                            counted.hottestReadItem(),
                            counted.hottestRru() / emails);
        }

        Map<String, Long> calls() {
            return counted.calls();
        }
    }
}
