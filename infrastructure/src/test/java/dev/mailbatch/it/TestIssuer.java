package dev.mailbatch.it;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.function.UnaryOperator;

/**
 * An OpenID issuer the test controls: a discovery document and a JWKS on loopback, and its RSA
 * key, so a test can make every kind of token (expired, for another audience, signed by another
 * key, unsigned, HS256 with the public key as the secret) and send it through the API.
 */
public final class TestIssuer implements AutoCloseable {
    private final RSAKey key = generate("issuer-key");
    private final HttpServer server;
    private final String url;

    public TestIssuer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/issuer";
        serve(
                "/issuer/.well-known/openid-configuration",
                "{\"issuer\":\"" + url + "\",\"jwks_uri\":\"" + url + "/jwks\"}");
        serve("/issuer/jwks", new JWKSet(key.toPublicJWK()).toString());
        server.start();
    }

    private void serve(String path, String json) {
        server.createContext(path, exchange -> {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    public String url() {
        return url;
    }

    /** A valid token's claims: this issuer, audience mailbatch, both scopes, ten minutes. */
    JWTClaimsSet.Builder claims(String subject) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(url)
                .subject(subject)
                .audience("mailbatch")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .claim("scope", "mailbatch/send mailbatch/read");
    }

    /** A token signed by this issuer's key, with the claims {@code edit} makes of the valid ones. */
    public String token(String subject, UnaryOperator<JWTClaimsSet.Builder> edit) {
        return sign(key, edit.apply(claims(subject)).build());
    }

    public String signedByAnotherKey(String subject) {
        return sign(generate("issuer-key"), claims(subject).build()); // same key id, other key
    }

    public String unsigned(String subject) {
        return new PlainJWT(claims(subject).build()).serialize();
    }

    /** HS256 with the issuer's public key as the shared secret: the classic key-confusion attack. */
    public String hs256WithThePublicKey(String subject) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader(JWSAlgorithm.HS256), claims(subject).build());
            jwt.sign(new MACSigner(key.toRSAPublicKey().getEncoded()));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(RSAKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256)
                            .keyID(key.getKeyID())
                            .build(),
                    claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RSAKey generate(String id) {
        try {
            return new RSAKeyGenerator(2048).keyID(id).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
