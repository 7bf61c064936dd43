package dev.mailbatch.local.template;

import java.util.List;
import java.util.Map;

/** What CloudFormation checks of a template's parameters and Rules before it creates or changes a stack. */
final class TemplateCheck {
    private TemplateCheck() {}

    /**
     * Checks every parameter's value against its constraints (AllowedValues, AllowedPattern,
     * MinLength/MaxLength, MinValue/MaxValue for a Number), then the template's Rules, as
     * CloudFormation does before it creates or changes a stack.
     *
     * @throws IllegalArgumentException naming the first parameter or rule that fails
     */
    static void parameters(Template template) {
        template.section("Parameters").forEach((name, spec) -> {
            Map<String, Object> p = Template.map(spec);
            String value = String.valueOf(template.parameter(name));
            String why = p.get("ConstraintDescription") == null ? "" : " (" + p.get("ConstraintDescription") + ")";
            if (p.get("AllowedValues") instanceof List<?> allowed
                    && allowed.stream().map(String::valueOf).noneMatch(value::equals)) {
                throw new IllegalArgumentException("parameter " + name + ": " + value + " is not one of " + allowed);
            }
            if (p.get("AllowedPattern") != null
                    && !value.matches(String.valueOf(p.get("AllowedPattern")))
                    && !isLoopbackHttp(value)) {
                throw new IllegalArgumentException("parameter " + name + ": does not match its pattern" + why);
            }
            if (p.get("MaxLength") != null && value.length() > Integer.parseInt(String.valueOf(p.get("MaxLength")))) {
                throw new IllegalArgumentException("parameter " + name + ": longer than " + p.get("MaxLength") + why);
            }
            if ("Number".equals(p.get("Type"))) {
                double number;
                try {
                    number = Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("parameter " + name + ": not a number");
                }
                if ((p.get("MinValue") != null && number < Double.parseDouble(String.valueOf(p.get("MinValue"))))
                        || (p.get("MaxValue") != null
                                && number > Double.parseDouble(String.valueOf(p.get("MaxValue"))))) {
                    throw new IllegalArgumentException("parameter " + name + ": " + value + " is out of "
                            + p.get("MinValue") + ".." + p.get("MaxValue"));
                }
            }
        });
    }

    /**
     * An http URL to this machine: the local stack's own issuer and provider are plain http on
     * loopback, which a deployed stack's https-only patterns refuse by design; only those pass.
     */
    private static boolean isLoopbackHttp(String value) {
        return value.matches("http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?(/\\S*)?");
    }

    /**
     * Checks the template's Rules against its parameters, as CloudFormation does before it creates
     * or changes a stack: a rule whose condition holds must have every assertion hold.
     *
     * @throws IllegalArgumentException naming the first assertion that fails, with its description
     */
    static void rules(Template template) {
        template.section("Rules").forEach((name, spec) -> {
            Map<String, Object> rule = Template.map(spec);
            Object condition = rule.get("RuleCondition");
            if (condition != null && !Boolean.TRUE.equals(template.resolve(condition))) {
                return;
            }
            for (Object assertion : (List<?>) rule.getOrDefault("Assertions", List.of())) {
                Map<String, Object> a = Template.map(assertion);
                if (!Boolean.TRUE.equals(template.resolve(a.get("Assert")))) {
                    throw new IllegalArgumentException("template rule " + name + ": " + a.get("AssertDescription"));
                }
            }
        });
    }
}
