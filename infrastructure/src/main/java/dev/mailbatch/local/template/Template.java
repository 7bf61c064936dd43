package dev.mailbatch.local.template;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.constructor.StandardConstructor;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * template.yaml, read so that local stacks are built from the same properties as the deployed
 * one. CloudFormation short forms ({@code !Ref}, {@code !GetAtt}, {@code !Sub}, ...) become their
 * long forms; {@link #resolve} evaluates the intrinsic functions the local stack needs.
 */
public final class Template {
    private static final List<String> FUNCTIONS = List.of(
            "Ref",
            "GetAtt",
            "Sub",
            "If",
            "Equals",
            "Join",
            "Select",
            "Split",
            "Not",
            "And",
            "Or",
            "Contains",
            "Condition");
    private static final Pattern SUB = Pattern.compile("\\$\\{([^}]+)}");

    private final Map<String, Object> root;
    private final Map<String, Object> parameters = new LinkedHashMap<>();
    private final Map<String, Object> refs = new LinkedHashMap<>();

    private Template(Map<String, Object> root, Map<String, String> overrides) {
        this.root = root;
        map(root.get("Parameters")).forEach((name, spec) -> {
            Object value = overrides.containsKey(name)
                    ? overrides.get(name)
                    : map(spec).getOrDefault("Default", "");
            parameters.put(name, value);
        });
        refs.put("AWS::Region", "us-east-1");
        refs.put("AWS::AccountId", "000000000000");
        refs.put("AWS::StackName", "mailbatch-local");
        refs.put("AWS::Partition", "aws");
        refs.put("AWS::URLSuffix", "amazonaws.com");
    }

    public static Template read(Path file, Map<String, String> parameterOverrides) {
        LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).build();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Object loaded = new Load(settings, new CfnConstructor(settings)).loadFromReader(reader);
            return new Template(map(loaded), parameterOverrides);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    /** Tells what a {@code !Ref} to a resource (or a pseudo parameter) evaluates to locally. */
    public Template bind(String name, Object value) {
        refs.put(name, value);
        return this;
    }

    public Object parameter(String name) {
        return parameters.get(name);
    }

    /** A top-level section (Outputs, Conditions...), unresolved. */
    public Map<String, Object> section(String name) {
        return map(root.get(name));
    }

    public Map<String, Object> resources() {
        return map(root.get("Resources"));
    }

    /** A resource's Properties, every intrinsic function in them evaluated. */
    public Map<String, Object> properties(String logicalId) {
        Map<String, Object> resource = map(resources().get(logicalId));
        if (resource.isEmpty()) {
            throw new IllegalArgumentException("template.yaml has no resource " + logicalId);
        }
        return map(resolve(resource.getOrDefault("Properties", Map.of())));
    }

    /** One branch of a resource's Properties (such as "Events", "Work", "Properties"), resolved alone. */
    public Object property(String logicalId, String... path) {
        Object value = map(resources().get(logicalId)).get("Properties");
        for (String step : path) {
            value = map(value).get(step);
        }
        return resolve(value);
    }

    /** The Globals section for a kind ("Function", "Api"...), resolved. */
    public Map<String, Object> globals(String kind) {
        return map(resolve(map(root.get("Globals")).getOrDefault(kind, Map.of())));
    }

    /** A function's environment: Globals' variables, then the function's own. */
    public Map<String, String> environment(String functionId) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Object variables : new Object[] {
            map(globals("Function").get("Environment")).get("Variables"),
            property(functionId, "Environment", "Variables")
        }) {
            map(variables).forEach((k, v) -> env.put(k, String.valueOf(v)));
        }
        return env;
    }

    /**
     * Checks every parameter's value against its constraints, then the template's Rules, as
     * CloudFormation does before it creates or changes a stack ({@link TemplateCheck}).
     *
     * @throws IllegalArgumentException naming the first parameter or rule that fails
     */
    public Template check() {
        TemplateCheck.parameters(this);
        TemplateCheck.rules(this);
        return this;
    }

    /** Evaluates intrinsic functions in a value of the template. */
    public Object resolve(Object value) {
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                Object resolved = resolve(item);
                if (!"AWS::NoValue".equals(resolved)) {
                    out.add(resolved);
                }
            }
            return out;
        }
        if (!(value instanceof Map<?, ?> m)) {
            return value;
        }
        if (m.size() == 1 && isIntrinsic(String.valueOf(m.keySet().iterator().next()))) {
            return intrinsic(
                    String.valueOf(m.keySet().iterator().next()),
                    m.values().iterator().next());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            Object resolved = resolve(v);
            if (!"AWS::NoValue".equals(resolved)) {
                out.put(String.valueOf(k), resolved);
            }
        });
        return out;
    }

    private static boolean isIntrinsic(String key) {
        return key.equals("Ref") || key.startsWith("Fn::");
    }

    /** One intrinsic function ({"Ref": ...}, {"Fn::Sub": ...} ...) applied to its argument. */
    private Object intrinsic(String key, Object arg) {
        switch (key) {
            case "Ref" -> {
                return ref(String.valueOf(arg));
            }
            case "Fn::GetAtt" -> {
                List<?> parts = arg instanceof List<?> l
                        ? l
                        : List.of(String.valueOf(arg).split("\\.", 2));
                return ref(parts.get(0) + "." + parts.get(1));
            }
            case "Fn::Sub" -> {
                return sub(String.valueOf(arg));
            }
            case "Fn::Equals" -> {
                List<?> l = (List<?>) arg;
                return String.valueOf(resolve(l.get(0))).equals(String.valueOf(resolve(l.get(1))));
            }
            case "Fn::Split" -> {
                List<?> l = (List<?>) arg;
                return List.of(String.valueOf(resolve(l.get(1)))
                        .split(java.util.regex.Pattern.quote(String.valueOf(l.get(0))), -1));
            }
            case "Fn::Not" -> {
                return !Boolean.TRUE.equals(resolve(((List<?>) arg).get(0)));
            }
            case "Fn::And", "Fn::Or" -> {
                boolean and = key.equals("Fn::And");
                for (Object condition : (List<?>) arg) {
                    boolean value = Boolean.TRUE.equals(resolve(condition));
                    if (value != and) {
                        return !and;
                    }
                }
                return and;
            }
            case "Fn::Contains" -> { // a Rules function: whether a list of strings holds a string
                List<?> l = (List<?>) arg;
                String wanted = String.valueOf(resolve(l.get(1)));
                return ((List<?>) resolve(l.get(0)))
                        .stream().map(String::valueOf).anyMatch(wanted::equals);
            }
            case "Fn::Condition" -> {
                return resolve(map(root.get("Conditions")).get(String.valueOf(arg)));
            }
            case "Fn::If" -> {
                List<?> l = (List<?>) arg;
                Object condition = resolve(map(root.get("Conditions")).get(String.valueOf(l.get(0))));
                return resolve(Boolean.TRUE.equals(condition) ? l.get(1) : l.get(2));
            }
            case "Fn::Join" -> {
                List<?> l = (List<?>) arg;
                List<String> parts = ((List<?>) resolve(l.get(1)))
                        .stream().map(String::valueOf).toList();
                return String.join(String.valueOf(l.get(0)), parts);
            }
            default -> throw new IllegalArgumentException("the local stack does not evaluate " + key);
        }
    }

    private Object ref(String name) {
        if (name.equals("AWS::NoValue")) {
            return "AWS::NoValue";
        }
        if (parameters.containsKey(name)) {
            return parameters.get(name);
        }
        if (refs.containsKey(name)) {
            return refs.get(name);
        }
        throw new IllegalArgumentException("template.yaml refers to " + name + ", which the local stack has not bound");
    }

    private String sub(String text) {
        Matcher m = SUB.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(ref(m.group(1)))));
        }
        m.appendTail(out);
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Turns {@code !Name arg} into {@code {"Fn::Name": arg}} ({@code !Ref} into {@code {"Ref": arg}}). */
    private static final class CfnConstructor extends StandardConstructor {
        CfnConstructor(LoadSettings settings) {
            super(settings);
            for (String function : FUNCTIONS) {
                String key = function.equals("Ref") ? "Ref" : "Fn::" + function;
                tagConstructors.put(new Tag("!" + function), node -> {
                    Object arg = switch (node) {
                        case ScalarNode scalar -> constructScalar(scalar);
                        case SequenceNode sequence -> constructSequence(sequence);
                        case MappingNode mapping -> constructMapping(mapping);
                        default -> throw new IllegalArgumentException("unexpected node " + node);
                    };
                    return Map.of(key, arg);
                });
            }
        }
    }
}
