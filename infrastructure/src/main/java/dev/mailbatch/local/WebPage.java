package dev.mailbatch.local;

import dev.mailbatch.local.apigateway.ApiGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The web page's static files, as the local runner serves them (infrastructure/web/public). */
final class WebPage {
    /** The page's Content-Security-Policy here: its own files, and APIs on this machine. */
    static final String PAGE_POLICY = "default-src 'self'; connect-src 'self' http://localhost:* http://127.0.0.1:*;"
            + " img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static final Map<String, String> TYPES = Map.of(
            "html",
            "text/html; charset=utf-8",
            "js",
            "text/javascript; charset=utf-8",
            "css",
            "text/css; charset=utf-8",
            "json",
            "application/json",
            "svg",
            "image/svg+xml",
            "png",
            "image/png",
            "ico",
            "image/x-icon",
            "txt",
            "text/plain; charset=utf-8");

    private final Path webRoot;

    WebPage(Path webRoot) {
        this.webRoot = webRoot;
    }

    /** A static file of the web page, or null when there is none at this path. */
    ApiGateway.Answer file(String path) throws IOException {
        String relative = path.equals("/") ? "index.html" : path.substring(1);
        Path file = webRoot.resolve(relative).normalize();
        if (!file.startsWith(webRoot) || !Files.isRegularFile(file)) {
            return null;
        }
        String name = file.getFileName().toString();
        String type = TYPES.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream");
        return new ApiGateway.Answer(
                200,
                Map.of(
                        "content-type", List.of(type),
                        "cache-control", List.of("no-cache"),
                        "x-content-type-options", List.of("nosniff"),
                        "content-security-policy", List.of(PAGE_POLICY)),
                Files.readAllBytes(file));
    }
}
