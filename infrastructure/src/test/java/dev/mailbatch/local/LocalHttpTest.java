package dev.mailbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LocalHttpTest {
    @Test
    void aTargetThatIsNotAUriBecomesOneThatDecodesToTheSameCharacters() throws Exception {
        URI uri = LocalHttp.target("/emails/x/recipients?cursor=%%%&status=a|b{c}&q=Ä ö");
        assertThat(uri.getRawPath()).isEqualTo("/emails/x/recipients");
        assertThat(URLDecoder.decode(uri.getRawQuery(), StandardCharsets.UTF_8))
                .isEqualTo("cursor=%%%&status=a|b{c}&q=Ä ö");
    }

    @Test
    void aValidTargetIsLeftAsItIs() throws Exception {
        String valid =
                "/emails/0b9f3a52-6c1e-4f7d-a3b2-9d8e7f6a5b4c/recipients?status=FAILED&cursor=eyJh%3D%3D&limit=5";
        assertThat(LocalHttp.target(valid).toString()).isEqualTo(valid);
        assertThat(LocalHttp.target("/emails/%41%2F").getRawPath()).isEqualTo("/emails/%41%2F");
        assertThat(LocalHttp.target("/a%4").getRawPath()).isEqualTo("/a%254");
    }
}
