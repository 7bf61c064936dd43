package dev.mailbatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.local.LocalApi;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.outbox.Outbox;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The chaos run's audit: what reached the provider (the outbox, by delivery key; or the
 * emulator's SES, by subject and recipient) against what the API reports (each job's counters and
 * recipient records).
 */
public final class ChaosAudit {
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED");

    private ChaosAudit() {}

    /** The first findings of the audit running now, each a recipient: what was delivered, what was recorded. */
    private static final List<String> FINDINGS = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** One job's findings. */
    private record JobFindings(long lost, long duplicates, boolean finished, boolean mismatch, long failed) {}

    static ChaosReport audit(
            ChaosScenario scenario,
            LocalApi api,
            LocalRunner runner,
            Map<String, List<String>> jobs,
            Map<String, JsonNode> status,
            ChaosInjector injector,
            ChaosFaults faults,
            int cancelled,
            int submitRetries,
            Duration elapsed) {
        FINDINGS.clear();
        Outbox outbox = runner.outbox();
        boolean ses = scenario.sender() == ChaosScenario.Sender.SES;
        Map<String, Map<String, Integer>> delivered =
                ses ? sesDeliveredByJob(runner.backend(), scenario, jobs) : deliveredByJob(outbox);
        long sesAccepted = delivered.values().stream()
                .flatMap(m -> m.values().stream())
                .mapToLong(Integer::longValue)
                .sum();
        long lost = 0;
        long duplicates = 0;
        long nonTerminal = 0;
        long mismatches = 0;
        long failedRecipients = 0;
        Map<String, Integer> states = new TreeMap<>();
        for (Map.Entry<String, List<String>> job : jobs.entrySet()) {
            JsonNode s = status.get(job.getKey());
            states.merge(s.path("state").asText(), 1, Integer::sum);
            JobFindings f = auditJob(
                    job.getValue(), s, recipients(api, job.getKey()), delivered.getOrDefault(job.getKey(), Map.of()));
            lost += f.lost();
            duplicates += f.duplicates();
            nonTerminal += f.finished() ? 0 : 1;
            mismatches += f.mismatch() ? 1 : 0;
            failedRecipients += f.failed();
        }
        return new ChaosReport(
                jobs.size(),
                jobs.values().stream().mapToLong(List::size).sum(),
                ses ? sesAccepted + injector.ses().throttled() : outbox.calls(),
                ses
                        ? delivered.values().stream().mapToLong(Map::size).sum()
                        : outbox.emails().size(),
                ses ? 0 : outbox.repeatedKeys(),
                lost,
                duplicates,
                nonTerminal,
                mismatches,
                failedRecipients,
                injector.kills(),
                injector.duplicates(),
                ses ? injector.ses().throttled() : outbox.injectedFailures(),
                ses ? 0 : outbox.lostResponses(),
                ses ? 0 : outbox.conflicts(),
                cancelled,
                submitRetries,
                injector.store().injected(),
                injector.store().unanswered(),
                faults.network(),
                faults.processKills(),
                faults.killsWhileSending(),
                faults.processEmails(),
                dlqDepth(runner),
                states,
                elapsed,
                faults.outages(),
                faults.outageCancels(),
                faults.redriven(),
                faults.redrivenAfterDeliveries(),
                List.copyOf(FINDINGS));
    }

    /**
     * What the emulator's SES accepted of this run, by job and recipient: its messages (moto's
     * {@code /moto-api/data.json}) whose subject is one of this run's (the seed is in it), each
     * recipient's address naming its job.
     */
    private static Map<String, Map<String, Integer>> sesDeliveredByJob(
            Backend backend, ChaosScenario scenario, Map<String, List<String>> jobs) {
        Map<String, String> jobOf = new HashMap<>();
        jobs.forEach((id, addresses) -> addresses.forEach(a -> jobOf.put(a, id)));
        String prefix = ChaosCallers.subject(scenario, 0).replaceAll("0$", "");
        Map<String, Map<String, Integer>> delivered = new HashMap<>();
        try {
            var response = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(
                                            backend.endpoint().resolve("/moto-api/data.json"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
            for (JsonNode m : dev.mailbatch.config.Json.MAPPER
                    .readTree(response.body())
                    .path("ses")
                    .path("Message")) {
                String to = m.path("destinations").path("ToAddresses").path(0).asText();
                if (m.path("subject").asText().startsWith(prefix) && jobOf.containsKey(to)) {
                    delivered
                            .computeIfAbsent(jobOf.get(to), k -> new HashMap<>())
                            .merge(to, 1, Integer::sum);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("could not read what SES accepted", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return delivered;
    }

    /** What the provider delivered: by job (from the delivery key), by recipient, how many times. */
    private static Map<String, Map<String, Integer>> deliveredByJob(Outbox outbox) {
        Map<String, Map<String, Integer>> delivered = new HashMap<>();
        for (Outbox.Email email : outbox.emails()) {
            String key = email.idempotencyKey() == null ? "" : email.idempotencyKey();
            String jobId = key.length() > 39 ? key.substring(3, 39) : "?";
            delivered
                    .computeIfAbsent(jobId, k -> new HashMap<>())
                    .merge(email.message().path("to").asText(), 1, Integer::sum);
        }
        return delivered;
    }

    private static JobFindings auditJob(
            List<String> addresses, JsonNode s, Map<String, JsonNode> records, Map<String, Integer> got) {
        boolean finished =
                TERMINAL.contains(s.path("state").asText()) && s.path("pending").asLong() == 0;
        Map<String, Integer> byStatus = new HashMap<>();
        long lost = 0;
        long duplicates = 0;
        long failed = 0;
        boolean mismatch = false;
        for (String address : addresses) {
            JsonNode record = records.get(address);
            String recorded = record == null ? "NONE" : record.path("status").asText();
            byStatus.merge(recorded, 1, Integer::sum);
            int times = got.getOrDefault(address, 0);
            duplicates += Math.max(0, times - 1);
            if ((times > 1 || (times > 0) != recorded.equals("SENT")) && FINDINGS.size() < 10) {
                FINDINGS.add(address + " of job " + s.path("jobId").asText() + ": delivered " + times
                        + " time(s), recorded " + recorded + (record == null ? "" : " " + record));
            }
            if (times == 0 && !recorded.equals("FAILED") && !recorded.equals("CANCELLED")) {
                lost++; // never delivered, and not reported as failed or cancelled
            }
            if (times > 0 && !recorded.equals("SENT")) {
                lost++; // delivered, but reported as not sent (CANCELLED, FAILED, PENDING)
            }
            failed += recorded.equals("FAILED") ? 1 : 0;
            // delivered but not recorded SENT, or recorded SENT but not delivered
            mismatch |= (times > 0) != recorded.equals("SENT");
        }
        long sent = s.path("sent").asLong();
        long failedCount = s.path("failed").asLong();
        long cancelled = s.path("cancelled").asLong();
        mismatch |= sent + failedCount + cancelled + s.path("pending").asLong()
                        != s.path("total").asLong()
                || s.path("total").asLong() != addresses.size()
                || sent != byStatus.getOrDefault("SENT", 0)
                || failedCount != byStatus.getOrDefault("FAILED", 0)
                || cancelled != byStatus.getOrDefault("CANCELLED", 0)
                || sent != got.size();
        return new JobFindings(lost, duplicates, finished, mismatch, failed);
    }

    /** Every recipient record of a job, page by page. */
    private static Map<String, JsonNode> recipients(LocalApi api, String jobId) {
        Map<String, JsonNode> records = new HashMap<>();
        String cursor = null;
        do {
            String path = "/emails/" + jobId + "/recipients?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            JsonNode page = api.getJson(path);
            for (JsonNode item : page.path("items")) {
                records.put(item.path("email").asText(), item);
            }
            cursor = page.path("nextCursor").isTextual()
                    ? page.path("nextCursor").asText()
                    : null;
        } while (cursor != null);
        return records;
    }

    private static int dlqDepth(LocalRunner runner) {
        return Integer.parseInt(runner.backend()
                .sqs()
                .getQueueAttributes(r -> r.queueUrl(runner.resources().dlqUrl())
                        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                .attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }
}
