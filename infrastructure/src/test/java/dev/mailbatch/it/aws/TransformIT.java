package dev.mailbatch.it.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What AWS SAM's own transform (the pinned samtranslator, {@code infrastructure/template/transform.py})
 * makes of template.yaml: the CloudFormation that is really deployed.
 *
 * <p>Issue 24, item 2: {@code AutoPublishAlias} publishes a new version only when SAM's digest of
 * the function changes, and that digest keeps a parameter as {@code {"Ref": ...}}, not its value
 * (SAM issues #1640, #3820; {@code AutoPublishAliasAllProperties} does the same): a deploy that
 * changed only a parameter, {@code MaxSendRate} say, left the alias {@code live}, which the API
 * and the queue invoke, on the old version with the old settings. Each function's version now
 * carries a description made of every parameter its configuration uses; CloudFormation replaces a
 * version whose description changed (AWS::Lambda::Version Description: "Update requires:
 * Replacement"), which publishes a new version, and the alias, whose FunctionVersion is that
 * version's, moves to it.
 */
class TransformIT {
    private static final Path ROOT =
            Path.of(System.getProperty("mailbatch.root", "..")).toAbsolutePath().normalize();
    private static final Pattern SUB_PARAMETER = Pattern.compile("\\$\\{([A-Za-z0-9]+)}");
    /** A function's properties that are not part of a published version's configuration. */
    private static final Set<String> NOT_VERSIONED = Set.of("ReservedConcurrentExecutions", "Role", "Tags");

    static JsonNode transform(Map<String, String> parameters) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                ROOT.resolve(".venv/bin/python").toString(),
                ROOT.resolve("infrastructure/template/transform.py").toString(),
                ROOT.resolve("template.yaml").toString()));
        Map<String, String> all = new HashMap<>(Map.of("JwtIssuer", "https://issuer.example"));
        all.putAll(parameters);
        all.forEach((k, v) -> command.add(k + "=" + v));
        Path out = Files.createTempFile("transformed", ".json");
        Process p = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("the SAM transform").isZero();
        return Json.MAPPER.readTree(Files.readString(out, StandardCharsets.UTF_8));
    }

    @Test
    void changingOnlyAParameterPublishesANewVersionForTheAliasOfEveryFunctionItReaches() throws Exception {
        JsonNode template = transform(Map.of());
        JsonNode resources = template.path("Resources");
        Set<String> parameters = new TreeSet<>();
        template.path("Parameters").fieldNames().forEachRemaining(parameters::add);
        List<String> functions = new ArrayList<>();
        resources.fields().forEachRemaining(r -> {
            if (r.getValue().path("Type").asText().equals("AWS::Lambda::Function")) {
                functions.add(r.getKey());
            }
        });
        assertThat(functions).hasSize(4);
        for (String fn : functions) {
            Set<String> used = new TreeSet<>();
            resources.path(fn).path("Properties").fields().forEachRemaining(p -> {
                if (!NOT_VERSIONED.contains(p.getKey())) {
                    collectParameters(p.getValue(), parameters, used);
                }
            });
            String versionId = only(resources, "AWS::Lambda::Version", fn);
            String aliasId = only(resources, "AWS::Lambda::Alias", fn);
            JsonNode description = resources.path(versionId).path("Properties").path("Description");
            assertThat(description.path("Fn::Sub").isTextual())
                    .as(fn + "'s version has a description made of its parameters")
                    .isTrue();
            Set<String> named = new TreeSet<>();
            collectParameters(description, parameters, named);
            assertThat(named)
                    .as(fn + ": every parameter its configuration uses is named in its version's description")
                    .containsAll(used);
            assertThat(resources
                            .path(aliasId)
                            .path("Properties")
                            .path("FunctionVersion")
                            .toString())
                    .as(fn + "'s alias points at that version")
                    .isEqualTo("{\"Fn::GetAtt\":[\"" + versionId + "\",\"Version\"]}");
            // changing any one of them changes the description CloudFormation deploys: a new version
            Map<String, String> defaults = defaults(template);
            String before = resolve(description.path("Fn::Sub").asText(), defaults);
            for (String parameter : used) {
                Map<String, String> changed = new HashMap<>(defaults);
                changed.put(parameter, defaults.getOrDefault(parameter, "") + "1");
                assertThat(resolve(description.path("Fn::Sub").asText(), changed))
                        .as(fn + ": a change of " + parameter)
                        .isNotEqualTo(before);
            }
            // and it fits: at most 256 characters, each parameter at its longest
            assertThat(resolve(description.path("Fn::Sub").asText(), longest(template))
                            .length())
                    .as(fn + "'s version description at its longest")
                    .isLessThanOrEqualTo(256);
        }
        // the API and the queue invoke the alias, not $LATEST
        assertThat(resources
                        .path("SendEmailsFunctionWork")
                        .path("Properties")
                        .path("FunctionName")
                        .toString())
                .contains("SendEmailsFunctionAliaslive");
    }

    /** The one resource of a type that belongs to a function (its FunctionName refers to it). */
    private static String only(JsonNode resources, String type, String function) {
        List<String> found = new ArrayList<>();
        resources.fields().forEachRemaining(r -> {
            if (r.getValue().path("Type").asText().equals(type)
                    && r.getValue()
                            .path("Properties")
                            .path("FunctionName")
                            .toString()
                            .contains("\"" + function + "\"")) {
                found.add(r.getKey());
            }
        });
        assertThat(found).as(type + " of " + function).hasSize(1);
        return found.getFirst();
    }

    private static void collectParameters(JsonNode node, Set<String> parameters, Set<String> into) {
        if (node.isObject()) {
            if (node.has("Ref") && parameters.contains(node.path("Ref").asText())) {
                into.add(node.path("Ref").asText());
            }
            if (node.path("Fn::Sub").isTextual()) {
                Matcher m = SUB_PARAMETER.matcher(node.path("Fn::Sub").asText());
                while (m.find()) {
                    if (parameters.contains(m.group(1))) {
                        into.add(m.group(1));
                    }
                }
            }
            node.fields().forEachRemaining(e -> collectParameters(e.getValue(), parameters, into));
        } else if (node.isArray()) {
            node.forEach(n -> collectParameters(n, parameters, into));
        }
    }

    private static Map<String, String> defaults(JsonNode template) {
        Map<String, String> values = new HashMap<>();
        template.path("Parameters")
                .fields()
                .forEachRemaining(
                        p -> values.put(p.getKey(), p.getValue().path("Default").asText("")));
        return values;
    }

    /** Every parameter at its longest: its MaxLength, or its longest allowed value or bound. */
    private static Map<String, String> longest(JsonNode template) {
        Map<String, String> values = new HashMap<>();
        template.path("Parameters").fields().forEachRemaining(p -> {
            JsonNode spec = p.getValue();
            String value;
            if (spec.has("MaxLength")) {
                value = "x".repeat(spec.path("MaxLength").asInt());
            } else if (spec.has("AllowedValues")) {
                value = "";
                for (JsonNode v : spec.path("AllowedValues")) {
                    value = v.asText().length() > value.length() ? v.asText() : value;
                }
            } else if (spec.has("MaxValue")) {
                value = spec.path("MaxValue").asText();
            } else {
                value = "x".repeat(256); // unbounded: any parameter a version names must have a bound
            }
            values.put(p.getKey(), value);
        });
        return values;
    }

    private static String resolve(String sub, Map<String, String> values) {
        Matcher m = SUB_PARAMETER.matcher(sub);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), "")));
        }
        m.appendTail(out);
        return out.toString();
    }
}
