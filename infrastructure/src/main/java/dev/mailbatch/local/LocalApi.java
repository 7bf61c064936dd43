package dev.mailbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The local stack's API as the harnesses call it: signed in with a token of the local issuer,
 * unchecked exceptions, a minute's timeout per call.
 */
public final class LocalApi {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;

    private LocalApi(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    /** Signs in to the local run as {@code subject} (POST /_local/token). */
    public static LocalApi signIn(URI base, String subject) {
        LocalApi anonymous = new LocalApi(base, null);
        HttpResponse<String> minted = anonymous.send(HttpRequest.newBuilder(base.resolve(LocalServer.TOKEN_PATH))
                .POST(HttpRequest.BodyPublishers.ofString(
                        Json.MAPPER.createObjectNode().put("sub", subject).toString())));
        if (minted.statusCode() != 200) {
            throw new IllegalStateException("the local issuer gave no token: " + minted.body());
        }
        return new LocalApi(base, readJson(minted.body()).path("access_token").asText());
    }

    public URI base() {
        return base;
    }

    /** Sends a request to the API (a path is resolved against its base), with the token. */
    public HttpResponse<String> send(HttpRequest.Builder request) {
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("local API call failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** GET a path of the API; its body as JSON. */
    public JsonNode getJson(String path) {
        return readJson(send(HttpRequest.newBuilder(base.resolve(path)).GET()).body());
    }

    public static JsonNode readJson(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }
}
