package dev.mailbatch.local;

import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.StackResources;
import java.net.URI;

/** What the runner prints once its stack is up: where each part is, and how to reach it. */
final class Banner {
    private Banner() {}

    /**
     * @param emulator the emulator, described (moto's pid and log, or the endpoint named)
     * @param operatorKeys the operator's access key id and secret where this runner turned moto's
     *     IAM enforcement on, else null
     */
    static String text(
            URI baseUrl,
            String emulator,
            StackResources resources,
            Backend backend,
            String issuerUrl,
            String[] operatorKeys) {
        // moto refuses any other keys once IAM is enforced
        String keys = operatorKeys == null
                ? ""
                : "AWS_ACCESS_KEY_ID=" + operatorKeys[0] + " AWS_SECRET_ACCESS_KEY=" + operatorKeys[1];
        return """
                mailbatch local is running
                  web page   %1$s/
                  API        POST %1$s/emails, GET|DELETE %1$s/emails/{jobId}
                  outbox     %1$s/_local/outbox   (PUT %1$s/_local/sink to slow it down or make it fail)
                  AWS APIs   %2$s
                  tokens     infrastructure/bin/token --sub alice   (issuer %7$s)
                  queue %3$s, table %4$s; function logs in infrastructure/target/local/functions.log
                  redrive    %8$sAWS_ENDPOINT_URL=%6$s infrastructure/bin/redrive %5$s %3$s
                  IAM        %9$s
                Ctrl-C stops everything.""".formatted(
                        baseUrl,
                        emulator,
                        resources.queueUrl(),
                        resources.table(),
                        resources.dlqUrl(),
                        backend.endpoint(),
                        issuerUrl,
                        keys.isEmpty() ? "" : keys + " ",
                        keys.isEmpty()
                                ? "each function under its role from template.yaml, every call checked"
                                        + " (moto's own enforcement off: LOCAL_IAM=off, or an emulator of your own)"
                                : "enforced, as in AWS: each function under its role from template.yaml; the AWS CLI"
                                        + " needs the operator's keys: export " + keys);
    }
}
