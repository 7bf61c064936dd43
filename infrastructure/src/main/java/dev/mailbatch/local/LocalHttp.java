package dev.mailbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Calls to the local stack's API, for the harnesses: unchecked, with a minute's timeout. */
final class LocalHttp {
    private LocalHttp() {}

    static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) {
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
    static JsonNode getJson(HttpClient http, URI base, String path) {
        return readJson(
                send(http, HttpRequest.newBuilder(base.resolve(path)).GET()).body());
    }

    static JsonNode readJson(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }
}
