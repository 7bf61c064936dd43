package dev.mailbatch.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    private static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put("TABLE_NAME", "t");
        env.put("QUEUE_URL", "http://q");
        env.put("PROVIDER_URL", "http://127.0.0.1/send");
        return env;
    }

    @Test
    void defaults() {
        SubmitConfig submit = SubmitConfig.from(minimal()::get);
        assertThat(submit.maxRecipients()).isEqualTo(10_000);
        assertThat(submit.chunkSize()).isEqualTo(50);
        assertThat(submit.allowedFrom()).isEmpty();
        WorkerConfig worker = WorkerConfig.from(minimal()::get);
        assertThat(worker.sender()).isEqualTo(WorkerConfig.SenderKind.HTTP);
        assertThat(worker.sendConcurrency()).isEqualTo(16);
        assertThat(worker.maxDeliveries()).isEqualTo(8);
        assertThat(TableConfig.from(minimal()::get).tableName()).isEqualTo("t");
    }

    @Test
    void readsListsAndLowerCasesAllowedSenders() {
        Map<String, String> env = minimal();
        env.put("ALLOWED_FROM", " A@Example.com , b@example.com,, ");
        assertThat(SubmitConfig.from(env::get).allowedFrom())
                .containsExactlyInAnyOrder("a@example.com", "b@example.com");
        env.put("SENDER", "SES");
        assertThat(WorkerConfig.from(env::get).sender()).isEqualTo(WorkerConfig.SenderKind.SES);
    }

    @Test
    void refusesWhatCannotWork() {
        Map<String, String> noTable = minimal();
        noTable.remove("TABLE_NAME");
        assertThatThrownBy(() -> SubmitConfig.from(noTable::get)).hasMessageContaining("TABLE_NAME");
        assertThatThrownBy(() -> WorkerConfig.from(noTable::get)).hasMessageContaining("TABLE_NAME");
        assertThatThrownBy(() -> TableConfig.from(noTable::get)).hasMessageContaining("TABLE_NAME");
        Map<String, String> bigChunk = minimal();
        bigChunk.put("CHUNK_SIZE", "100");
        assertThatThrownBy(() -> SubmitConfig.from(bigChunk::get)).hasMessageContaining("CHUNK_SIZE");
        Map<String, String> notANumber = minimal();
        notANumber.put("MAX_RECIPIENTS", "lots");
        assertThatThrownBy(() -> SubmitConfig.from(notANumber::get)).hasMessageContaining("MAX_RECIPIENTS");
        Map<String, String> httpWithoutUrl = minimal();
        httpWithoutUrl.remove("PROVIDER_URL");
        assertThatThrownBy(() -> WorkerConfig.from(httpWithoutUrl::get)).hasMessageContaining("PROVIDER_URL");
        Map<String, String> unknownSender = minimal();
        unknownSender.put("SENDER", "smtp");
        assertThatThrownBy(() -> WorkerConfig.from(unknownSender::get)).hasMessageContaining("SENDER");
    }

    @Test
    void theWorkerKnowsHowManyOfItsInstancesMayRunAtOnce() {
        assertThat(WorkerConfig.from(minimal()::get).maxWorkers()).isEqualTo(5);
        Map<String, String> env = minimal();
        env.put("MAX_WORKERS", "40");
        assertThat(WorkerConfig.from(env::get).maxWorkers()).isEqualTo(40);
        env.put("MAX_WORKERS", "0");
        assertThatThrownBy(() -> WorkerConfig.from(env::get)).hasMessageContaining("MAX_WORKERS");
    }

    @Test
    void theApiFunctionsNeedNoProviderAndTheStatusFunctionsOnlyTheTable() {
        assertThat(SubmitConfig.from(Map.of("TABLE_NAME", "t", "QUEUE_URL", "q")::get)
                        .queueUrl())
                .isEqualTo("q");
        assertThat(TableConfig.from(Map.of("TABLE_NAME", "t")::get)).isEqualTo(new TableConfig("t"));
    }

    @Test
    void theWorkerKnowsOnlyWhereTheProviderTokenIsAndReadsItAtMostOncePerTtl() {
        Map<String, String> env = minimal();
        env.put("PROVIDER_TOKEN_PARAMETER", "/mailbatch/provider-token");
        WorkerConfig config = WorkerConfig.from(env::get);
        assertThat(config.providerTokenParameter()).isEqualTo("/mailbatch/provider-token");

        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.time.Instant[] now = {java.time.Instant.parse("2026-11-26T12:00:00Z")};
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return now[0];
            }
        };
        SecretParameter token =
                new SecretParameter("/mailbatch/provider-token", name -> "tok-" + reads.incrementAndGet(), clock);
        assertThat(token.get().reveal()).isEqualTo("tok-1");
        now[0] = now[0].plus(SecretParameter.TTL).minusSeconds(1);
        assertThat(token.get().reveal()).isEqualTo("tok-1");
        now[0] = now[0].plusSeconds(1);
        assertThat(token.get().reveal()).isEqualTo("tok-2"); // rotated values are picked up
        assertThat(token.get().toString()).isEqualTo("Secret[****]");
        assertThat(token.toString()).doesNotContain("tok-");
        assertThat(new Secret("").toString()).isEqualTo("Secret[unset]");
    }

    @Test
    void theProviderUrlMustBeHttpsOrLoopback() {
        Map<String, String> env = minimal();
        env.put("PROVIDER_URL", "http://provider.example/send");
        assertThatThrownBy(() -> WorkerConfig.from(env::get)).hasMessageContaining("https");
        env.put("PROVIDER_URL", "https://provider.example/send");
        assertThat(WorkerConfig.from(env::get).providerUrl().getHost()).isEqualTo("provider.example");
        env.put("PROVIDER_URL", "http://127.0.0.1:8025/send");
        assertThat(WorkerConfig.from(env::get).providerUrl().getPort()).isEqualTo(8025);
    }
}
