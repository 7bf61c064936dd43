package dev.mailbatch.local.issuer;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * The local run's OpenID Connect issuer: a real one (mock-oauth2-server) on loopback, with a
 * discovery document, a JWKS and RS256-signed tokens, so that the API Gateway stand-in checks
 * tokens exactly as it would check a deployed issuer's. {@link #token} mints an access token for
 * any subject: the local run has no users, so {@code infrastructure/bin/token} and the web page's
 * local sign-in ask it for one.
 */
public final class LocalIssuer implements AutoCloseable {
    static final String ISSUER_ID = "mailbatch";
    static final Duration MAX_TTL = Duration.ofDays(1);

    private final MockOAuth2Server server = new MockOAuth2Server();

    private LocalIssuer() {}

    /** Starts the issuer on 127.0.0.1 (a free port). */
    public static LocalIssuer start() {
        LocalIssuer issuer = new LocalIssuer();
        try {
            issuer.server.start(InetAddress.getLoopbackAddress(), 0);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the local OpenID issuer did not start: " + e.getMessage(), e);
        }
        return issuer;
    }

    /** The issuer URL: the tokens' iss, and where its discovery document is. */
    public String url() {
        return server.issuerUrl(ISSUER_ID).toString().replaceAll("/+$", "");
    }

    /**
     * An access token for {@code subject}, for the {@code audience}, carrying {@code scopes}, valid
     * for {@code ttl} (at most a day).
     */
    public String token(String subject, String audience, List<String> scopes, Duration ttl) {
        if (subject == null || subject.isBlank() || subject.length() > 128) {
            throw new IllegalArgumentException("sub: must be 1 to 128 characters");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl: must be 1 second to 1 day");
        }
        return server.issueToken(
                        ISSUER_ID, subject, audience, Map.of("scope", String.join(" ", scopes)), ttl.toSeconds())
                .serialize();
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
