package dev.mailbatch.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The API contract, docs/openapi.yaml, as the ITs check it: every response an IT sees (through
 * the local runner's API Gateway stand-in, or from a handler a {@link TestStack} invokes) must be
 * one the document declares for its operation: the status, a JSON body valid against the
 * status's schema (formats asserted), and each declared header valid against its schema. What
 * does not conform is recorded; {@link BackendExtension} fails the test in which it happened.
 */
public final class Contract {
    private static final String DOCUMENT = "https://mailbatch.test/openapi.json";
    static final Contract SPEC = load(Path.of(System.getProperty("mailbatch.root", ".."))
            .toAbsolutePath()
            .normalize()
            .resolve("docs/openapi.yaml"));
    private static final List<String> VIOLATIONS = java.util.Collections.synchronizedList(new ArrayList<>());

    private final JsonNode document;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    private Contract(JsonNode document) {
        this.document = document;
        String json = document.toString();
        this.registry = SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemas(Map.of(DOCUMENT, json))
                        .schemaRegistryConfig(SchemaRegistryConfig.builder()
                                .formatAssertionsEnabled(true)
                                .build()));
    }

    static Contract load(Path file) {
        try {
            return new Contract(new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the API contract " + file, e);
        }
    }

    /** Checks one response and records what does not conform (see {@link #violations}). */
    void record(String method, String routePath, int status, Map<String, String> headers, String body) {
        List<String> found = check(method, routePath, status, headers, body);
        found.forEach(v -> VIOLATIONS.add(method + " " + routePath + " -> " + status + ": " + v));
    }

    /** What was recorded since the last call, and forget it. */
    static List<String> drain() {
        synchronized (VIOLATIONS) {
            List<String> out = List.copyOf(VIOLATIONS);
            VIOLATIONS.clear();
            return out;
        }
    }

    /**
     * What is wrong with one response, per the document (empty: it conforms).
     *
     * @param routePath the route's path template, e.g. /emails/{jobId}
     * @param headers the response's headers (any case)
     */
    List<String> check(String method, String routePath, int status, Map<String, String> headers, String body) {
        List<String> problems = new ArrayList<>();
        String operationPointer = "/paths/" + escape(routePath) + "/" + method.toLowerCase(Locale.ROOT);
        JsonNode operation = document.at(operationPointer);
        if (operation.isMissingNode()) {
            problems.add("no such operation in the contract");
            return problems;
        }
        String responsePointer = operationPointer + "/responses/" + status;
        JsonNode response = document.at(responsePointer);
        if (response.isMissingNode()) {
            problems.add("status " + status + " is not declared for this operation");
            return problems;
        }
        if (response.has("$ref")) {
            responsePointer = response.path("$ref").asText().substring(1);
            response = document.at(responsePointer);
        }
        Map<String, String> lower = new java.util.HashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        JsonNode content = response.path("content").path("application/json");
        if (content.isMissingNode()) {
            if (body != null && !body.isEmpty()) {
                problems.add("a body where the contract declares none");
            }
        } else {
            String type = lower.getOrDefault("content-type", "");
            if (!type.startsWith("application/json")) {
                problems.add("content-type " + type + ", not application/json");
            }
            try {
                JsonNode parsed = Json.MAPPER.readTree(body == null ? "" : body);
                if (parsed == null || parsed.isMissingNode()) {
                    problems.add("no JSON body");
                } else {
                    for (Error error : schema(responsePointer + "/content/application~1json/schema")
                            .validate(parsed)) {
                        problems.add("body " + error);
                    }
                }
            } catch (IOException e) {
                problems.add("the body is not JSON");
            }
        }
        for (var header : response.path("headers").properties()) {
            String value = lower.get(header.getKey().toLowerCase(Locale.ROOT));
            if (value == null) {
                if (header.getValue().path("required").asBoolean(false)) {
                    problems.add("header " + header.getKey() + " is required");
                }
                continue;
            }
            JsonNode schema = header.getValue().path("schema");
            JsonNode typed = schema.path("type").asText().equals("integer") && value.matches("-?\\d{1,18}")
                    ? Json.MAPPER.getNodeFactory().numberNode(Long.parseLong(value))
                    : Json.MAPPER.getNodeFactory().textNode(value);
            String pointer = (header.getValue().has("$ref")
                            ? header.getValue().path("$ref").asText().substring(1)
                            : responsePointer + "/headers/" + escape(header.getKey()))
                    + "/schema";
            for (Error error : schema(pointer).validate(typed)) {
                problems.add("header " + header.getKey() + ": " + error);
            }
        }
        return problems;
    }

    private Schema schema(String pointer) {
        return schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(DOCUMENT + "#" + p)));
    }

    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }
}
