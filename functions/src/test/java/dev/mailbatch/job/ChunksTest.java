package dev.mailbatch.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChunksTest {

    @ParameterizedTest(name = "{0} recipients in chunks of {1} -> {2} chunks")
    @CsvSource({"1, 50, 1", "50, 50, 1", "51, 50, 2", "10000, 50, 200", "7, 1, 7", "99, 99, 1"})
    void splitsInAddressOrderWithoutLosingAnyone(int n, int size, int expectedChunks) {
        List<EmailAddress> recipients = IntStream.range(0, n)
                .mapToObj(i -> EmailAddress.ofNormalized("u" + i + "@example.com"))
                .toList();
        List<ChunkMessage> chunks = Chunks.split("job", recipients, size);
        assertThat(chunks).hasSize(expectedChunks);
        assertThat(chunks).allSatisfy(c -> assertThat(c.to()).hasSizeBetween(1, size));
        assertThat(chunks.stream().map(ChunkMessage::chunk))
                .containsExactlyElementsOf(
                        IntStream.range(0, expectedChunks).boxed().toList());
        assertThat(chunks.stream().flatMap(c -> c.to().stream()))
                .containsExactlyElementsOf(
                        recipients.stream().map(EmailAddress::key).sorted().toList());
        assertThat(chunks).allSatisfy(c -> assertThat(c.jobId()).isEqualTo("job"));
    }

    @org.junit.jupiter.api.Test
    void sortsByKeyNotByHowTheAddressIsWritten() {
        List<EmailAddress> recipients = List.of(
                EmailAddress.ofNormalized("Bob@Example.com"),
                EmailAddress.ofNormalized("ada@example.com"),
                EmailAddress.ofNormalized("carl@example.com"));
        assertThat(Chunks.split("job", recipients, 2).getFirst().to())
                .containsExactly("ada@example.com", "Bob@Example.com");
    }

    @org.junit.jupiter.api.Test
    void rejectsANonPositiveSize() {
        assertThatThrownBy(() -> Chunks.split("job", List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
