package dev.mailbatch.local.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What an HTTP API's JWT authorizer does before a route's function sees a request: the
 * Authorization header's token (with or without "Bearer ") must be a JWS signed by a key of the
 * issuer's JWKS (found through its OpenID discovery document) with an asymmetric algorithm
 * (so {@code alg: none} and HS256 signed with the public key are refused), its {@code iss} the
 * issuer, its {@code aud} (or, without one, {@code client_id}) one of the audiences, within
 * {@code exp} and {@code nbf}; and it must carry one of the route's scopes ({@code scope} or
 * {@code scp}). Otherwise 401, or 403 when only the scope is missing, answered as API Gateway
 * answers them.
 */
public final class JwtAuthorizer {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256,
            JWSAlgorithm.RS384,
            JWSAlgorithm.RS512,
            JWSAlgorithm.PS256,
            JWSAlgorithm.PS384,
            JWSAlgorithm.PS512,
            JWSAlgorithm.ES256,
            JWSAlgorithm.ES384,
            JWSAlgorithm.ES512);

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final String issuer;
    private final List<String> audiences;

    /** The outcome: the caller's claims and scopes, or the answer API Gateway gives instead. */
    sealed interface Decision {
        record Allowed(Map<String, String> claims, List<String> scopes) implements Decision {}

        record Denied(ApiGateway.Answer answer) implements Decision {}
    }

    private JwtAuthorizer(String issuer, List<String> audiences, URL jwks) {
        this.issuer = issuer;
        this.audiences = List.copyOf(audiences);
        JWKSource<SecurityContext> keys = JWKSourceBuilder.create(jwks).build();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        processor.setJWSTypeVerifier(
                new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
        // aud is checked below (client_id stands in for it when absent), as API Gateway does.
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                null, new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp"), null));
    }

    /** Finds the issuer's keys through its discovery document ({issuer}/.well-known/openid-configuration). */
    public static JwtAuthorizer discover(String issuer, List<String> audiences) {
        URI discovery = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
        try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(discovery)
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode document = Json.MAPPER.readTree(response.body());
            if (response.statusCode() != 200
                    || !issuer.equals(document.path("issuer").asText())) {
                throw new IllegalStateException("the issuer " + issuer + " has no matching discovery document at "
                        + discovery + " (HTTP " + response.statusCode() + ")");
            }
            return new JwtAuthorizer(
                    issuer,
                    audiences,
                    URI.create(document.path("jwks_uri").asText()).toURL());
        } catch (IOException e) {
            throw new IllegalStateException("the issuer " + issuer + " could not be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    String issuer() {
        return issuer;
    }

    /**
     * @param authorization the request's Authorization header, or null
     * @param routeScopes the route's AuthorizationScopes (empty: any valid token)
     */
    Decision authorize(String authorization, List<String> routeScopes) {
        if (authorization == null || authorization.isBlank()) {
            return unauthorized("the authorization header is missing");
        }
        String token = authorization.trim();
        if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = token.substring(7).trim();
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (Exception e) { // ParseException, BadJOSEException, JOSEException: all mean an invalid token
            return unauthorized("the token is not valid");
        }
        List<String> audience = claims.getAudience();
        Object clientId = claims.getClaim("client_id");
        boolean audienceOk = audience.isEmpty()
                ? clientId != null && audiences.contains(String.valueOf(clientId))
                : audience.stream().anyMatch(audiences::contains);
        if (!audienceOk) {
            return unauthorized("the token does not have a valid audience");
        }
        List<String> scopes = scopes(claims);
        if (!routeScopes.isEmpty() && routeScopes.stream().noneMatch(scopes::contains)) {
            return new Decision.Denied(new ApiGateway.Answer(
                    403,
                    Map.of(
                            "content-type",
                            List.of("application/json"),
                            "www-authenticate",
                            List.of("Bearer scope=\"" + String.join(" ", routeScopes)
                                    + "\" error=\"insufficient_scope\" error_description=\"expected scopes: "
                                    + routeScopes + "\"")),
                    "{\"message\":\"Forbidden\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        Map<String, String> asStrings = new LinkedHashMap<>();
        claims.getClaims().forEach((name, value) -> asStrings.put(name, claimText(value)));
        return new Decision.Allowed(asStrings, scopes);
    }

    /** The token's scopes: the space-separated {@code scope} claim, or {@code scp} (a list or a string). */
    private static List<String> scopes(JWTClaimsSet claims) {
        Object scope = claims.getClaim("scope");
        if (scope == null) {
            scope = claims.getClaim("scp");
        }
        if (scope instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return scope == null
                ? List.of()
                : new ArrayList<>(Arrays.asList(String.valueOf(scope).trim().split("\\s+")));
    }

    /** A claim as API Gateway passes it to the function: a string; a list as "[a b]". */
    private static String claimText(Object value) {
        if (value instanceof List<?> list) {
            return "[" + String.join(" ", list.stream().map(String::valueOf).toList()) + "]";
        }
        if (value instanceof java.util.Date date) {
            return Long.toString(date.toInstant().getEpochSecond());
        }
        return String.valueOf(value);
    }

    private static Decision unauthorized(String why) {
        return new Decision.Denied(new ApiGateway.Answer(
                401,
                Map.of(
                        "content-type",
                        List.of("application/json"),
                        "www-authenticate",
                        List.of("Bearer scope=\"\" error=\"invalid_token\" error_description=\""
                                + why.toLowerCase(Locale.ROOT) + "\"")),
                "{\"message\":\"Unauthorized\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
