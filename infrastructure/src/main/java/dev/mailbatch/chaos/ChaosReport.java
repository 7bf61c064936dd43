package dev.mailbatch.chaos;

import java.time.Duration;
import java.util.Map;

/**
 * What the audit found.
 *
 * @param lost recipients neither delivered nor reported FAILED or CANCELLED, or delivered and
 *     reported anything but SENT
 * @param conflicts 409s of the provider: a request came while another with its key was in progress
 * @param cancelled jobs cancelled while they drained (a DELETE answered 202)
 * @param submitRetries submits answered 5xx, or 409 while an earlier try held the key, and sent again
 * @param storeFaults error answers injected into the harness JVM's functions' DynamoDB and SQS calls
 * @param unanswered those functions' request attempts that got no answer (the network faults)
 * @param networkFaults the moments the network between functions and emulator failed, by kind
 * @param processKills SIGKILLs of the worker process
 * @param killsWhileSending of those, kills while it was delivering emails
 * @param processEmails emails the worker process delivered, over all its lives
 * @param duplicateDeliveries emails delivered to a recipient of a job beyond the first
 *     (the provider delivers one email per Idempotency-Key, so this counts recipients that
 *     reached it under more than one key)
 * @param nonTerminal jobs not finished (state not terminal, or recipients still pending)
 * @param counterMismatches jobs whose counters disagree with their recipient records, with
 *     their total, or with what the provider delivered
 * @param outages times the provider was down (every send refused)
 * @param outageCancels jobs cancelled while it was down
 * @param redriven messages moved to the dead-letter queue mid-run and redriven back
 * @param redrivenAfterDeliveries of those, messages a worker had been delivered before
 * @param findings the first recipients the audit found delivered twice, or delivered and not
 *     recorded SENT (or the reverse): what each got and what its record says
 */
public record ChaosReport(
        int jobs,
        long emails,
        long providerCalls,
        long delivered,
        long repeatedKeys,
        long lost,
        long duplicateDeliveries,
        long nonTerminal,
        long counterMismatches,
        long failedRecipients,
        Map<String, Integer> kills,
        long duplicatesInjected,
        long transientFailures,
        long lostResponses,
        long conflicts,
        int cancelled,
        int submitRetries,
        Map<ChaosStore.Kind, Long> storeFaults,
        long unanswered,
        Map<Toxiproxy.Fault, Integer> networkFaults,
        int processKills,
        int killsWhileSending,
        long processEmails,
        int deadLettered,
        Map<String, Integer> states,
        Duration elapsed,
        int outages,
        int outageCancels,
        int redriven,
        int redrivenAfterDeliveries,
        java.util.List<String> findings) {

    public boolean clean() {
        return lost == 0 && duplicateDeliveries == 0 && nonTerminal == 0 && counterMismatches == 0;
    }

    /** The four zeros, and every fault the scenario lists happened: zeros under faults that never came prove nothing. */
    public boolean passed(ChaosScenario s) {
        return clean() && faultsNotSeen(s).isEmpty();
    }

    /**
     * The kinds of fault the scenario turns on (and this report lists) that did not happen once in
     * the run, by their names in the table; empty when each happened at least once.
     */
    public java.util.List<String> faultsNotSeen(ChaosScenario s) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        if (s.kills() > 0) {
            for (String point : s.killPoints()) {
                if (kills.getOrDefault(point, 0) == 0) {
                    missing.add("worker kill " + point);
                }
            }
        }
        need(missing, s.duplicateRate() > 0, duplicatesInjected, "messages delivered twice");
        need(missing, s.failureRate() > 0, transientFailures, "transient failures");
        need(missing, s.lossRate() > 0, lostResponses, "lost responses");
        need(missing, s.lossRate() > 0, conflicts, "409 in progress");
        need(missing, s.cancels() > 0, cancelled, "jobs cancelled");
        if (s.storeFaultRate() > 0) {
            for (ChaosStore.Kind kind : ChaosStore.Kind.values()) {
                need(
                        missing,
                        true,
                        storeFaults.getOrDefault(kind, 0L),
                        "store fault " + kind.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        if (s.networkFaults() > 0) {
            for (Toxiproxy.Fault fault : Toxiproxy.Fault.values()) {
                need(
                        missing,
                        true,
                        networkFaults.getOrDefault(fault, 0),
                        "network fault " + fault.name().toLowerCase(java.util.Locale.ROOT));
            }
            need(missing, true, unanswered, "calls without an answer");
        }
        need(missing, s.processKills() > 0, processKills, "worker process kills");
        need(missing, s.processKills() > 0, killsWhileSending, "worker process kills while sending");
        need(missing, s.processKills() > 0, processEmails, "emails by the process");
        need(missing, s.outages() > 0, outages, "provider outages");
        need(missing, s.outages() > 0, outageCancels, "jobs cancelled in an outage");
        need(missing, s.redrives() > 0, redriven, "messages redriven");
        need(missing, s.redrives() > 0, redrivenAfterDeliveries, "messages redriven after a delivery");
        return missing;
    }

    private static void need(java.util.List<String> missing, boolean turnedOn, long happened, String name) {
        if (turnedOn && happened == 0) {
            missing.add(name);
        }
    }

    public String table(ChaosScenario s) {
        StringBuilder t = new StringBuilder();
        boolean ses = s.sender() == ChaosScenario.Sender.SES;
        t.append(String.format(
                "mailbatch chaos: %d jobs x %d recipients, seed %d, sender %s%n",
                s.jobs(),
                s.recipients(),
                s.seed(),
                ses ? "SES (no idempotency key)" : "HTTP (the outbox, Idempotency-Key)"));
        row(t, "jobs", jobs, "");
        row(t, "emails", emails, "recipients submitted");
        row(t, "provider calls", providerCalls, ses ? "every SendEmail" : "every POST to the outbox");
        row(t, "emails delivered", delivered, "distinct emails the provider accepted");
        row(t, "repeat calls, same key", repeatedKeys, "retries of accepted emails; the provider deduplicated them");
        t.append("  ---------------------------------------------------------------------\n");
        row(t, "lost", lost, "required 0");
        row(t, "duplicate deliveries", duplicateDeliveries, "required 0 (counted per job and recipient)");
        row(t, "non-terminal jobs", nonTerminal, "required 0");
        row(t, "counter mismatches", counterMismatches, "required 0 (counters vs records vs provider)");
        t.append("  ---------------------------------------------------------------------\n");
        row(
                t,
                "worker kills",
                kills.values().stream().mapToInt(Integer::intValue).sum(),
                kills.toString());
        row(t, "messages delivered twice", duplicatesInjected, "copies put back on the queue");
        row(t, "transient failures", transientFailures, ses ? "SES throttling (nothing sent)" : "503s from the outbox");
        if (!ses) {
            row(t, "lost responses", lostResponses, "accepted, then the connection closed");
            row(t, "409 in progress", conflicts, "the same key while its first request was still in progress");
        }
        row(t, "jobs cancelled", cancelled, "DELETE while they drained");
        row(t, "provider outages", outages, outageCancels + " jobs cancelled while it was down");
        row(t, "messages redriven", redriven, redrivenAfterDeliveries + " delivered before; to the DLQ and back");
        row(
                t,
                "store faults",
                storeFaults.values().stream().mapToLong(Long::longValue).sum(),
                storeFaults.toString().toLowerCase(java.util.Locale.ROOT));
        row(
                t,
                "network faults",
                networkFaults.values().stream().mapToInt(Integer::intValue).sum(),
                networkFaults.toString().toLowerCase(java.util.Locale.ROOT) + ", Toxiproxy");
        row(t, "calls without an answer", unanswered, "store calls cut by the network faults");
        row(t, "submits tried again", submitRetries, "answered 5xx, or 409 while an earlier try held the key");
        row(t, "worker process kills", processKills, "SIGKILL; " + killsWhileSending + " while it was sending");
        row(t, "emails by the process", processEmails, "delivered by the worker process, all its lives");
        row(t, "failed recipients", failedRecipients, "gave up after " + s.maxDeliveries() + " deliveries");
        row(t, "dead-lettered messages", deadLettered, "");
        t.append(String.format("  %-26s %s%n", "job states", states));
        t.append(String.format("  %-26s %.1f s%n", "time", elapsed.toMillis() / 1000.0));
        for (String finding : findings) {
            t.append("  finding: ").append(finding).append('\n');
        }
        java.util.List<String> notSeen = faultsNotSeen(s);
        if (!clean()) {
            t.append("chaos: FAIL\n");
        } else if (!notSeen.isEmpty()) {
            t.append("chaos: FAIL - these faults never happened, so the zeros do not cover them: "
                    + String.join(", ", notSeen) + "\n");
        } else {
            t.append("chaos: PASS - nothing lost, nothing sent twice, every job finished, every counter exact,"
                    + " under every fault listed\n");
        }
        return t.toString();
    }

    private static void row(StringBuilder t, String name, long value, String note) {
        t.append(String.format("  %-26s %8d   %s%n", name, value, note));
    }
}
