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
        env.put("PROVIDER_URL", "http://provider/send");
        return env;
    }

    @Test
    void defaults() {
        Config c = Config.from(minimal()::get);
        assertThat(c.maxRecipients()).isEqualTo(10_000);
        assertThat(c.chunkSize()).isEqualTo(50);
        assertThat(c.sender()).isEqualTo(Config.SenderKind.HTTP);
        assertThat(c.allowedFrom()).isEmpty();
    }

    @Test
    void variablesListsExactlyWhatIsRead() {
        Map<String, String> env = minimal();
        java.util.Set<String> read = new java.util.TreeSet<>();
        Config.from(name -> {
            read.add(name);
            return env.get(name);
        });
        assertThat(read).containsExactlyInAnyOrderElementsOf(Config.VARIABLES);
    }

    @Test
    void readsListsAndLowerCasesAllowedSenders() {
        Map<String, String> env = minimal();
        env.put("ALLOWED_FROM", " A@Example.com , b@example.com,, ");
        env.put("SENDER", "SES");
        Config c = Config.from(env::get);
        assertThat(c.allowedFrom()).containsExactlyInAnyOrder("a@example.com", "b@example.com");
        assertThat(c.sender()).isEqualTo(Config.SenderKind.SES);
    }

    @Test
    void refusesWhatCannotWork() {
        Map<String, String> noTable = minimal();
        noTable.remove("TABLE_NAME");
        assertThatThrownBy(() -> Config.from(noTable::get)).hasMessageContaining("TABLE_NAME");
        Map<String, String> bigChunk = minimal();
        bigChunk.put("CHUNK_SIZE", "100");
        assertThatThrownBy(() -> Config.from(bigChunk::get)).hasMessageContaining("CHUNK_SIZE");
        Map<String, String> notANumber = minimal();
        notANumber.put("MAX_RECIPIENTS", "lots");
        assertThatThrownBy(() -> Config.from(notANumber::get)).hasMessageContaining("MAX_RECIPIENTS");
        Map<String, String> httpWithoutUrl = minimal();
        httpWithoutUrl.remove("PROVIDER_URL");
        assertThatThrownBy(() -> Config.from(httpWithoutUrl::get)).hasMessageContaining("PROVIDER_URL");
    }
}
