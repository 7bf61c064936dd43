package dev.mailbatch.local.iam;

import dev.mailbatch.config.Json;
import dev.mailbatch.local.template.Template;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A function's identity policy as template.yaml gives it (its {@code Policies}, intrinsic
 * functions resolved against the stack), and whether it allows one request as AWS evaluates it:
 * an explicit Deny wins, else an Allow whose action, resource and conditions all match, else no.
 * Action names match case-insensitively, resources case-sensitively, both with {@code *} and
 * {@code ?}; the condition operators are those the template uses (StringEquals, StringLike and
 * StringEqualsIgnoreCase, with ForAllValues: or ForAnyValue:). Anything else in a policy (a
 * managed policy by name, a SAM policy template, another operator, NotAction) is refused when the
 * policy is read, so a template the check can not judge fails loudly instead of passing.
 */
public final class IamPolicy {
    /** One statement. */
    public record Statement(
            boolean allow,
            List<String> actions,
            List<String> resources,
            Map<String, Map<String, List<String>>> conditions) {

        boolean matchesAction(String action) {
            return actions.stream()
                    .anyMatch(a -> glob(a.toLowerCase(Locale.ROOT))
                            .matcher(action.toLowerCase(Locale.ROOT))
                            .matches());
        }

        boolean matchesResource(String arn) {
            return resources.stream().anyMatch(r -> glob(r).matcher(arn).matches());
        }

        boolean conditionsHold(Map<String, List<String>> context) {
            for (Map.Entry<String, Map<String, List<String>>> op : conditions.entrySet()) {
                for (Map.Entry<String, List<String>> key : op.getValue().entrySet()) {
                    if (!holds(op.getKey(), context.get(key.getKey()), key.getValue())) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /** A request as IAM sees it: one action on one resource, with its condition keys. */
    public record Request(String action, String resource, Map<String, List<String>> context) {
        public Request(String action, String resource) {
            this(action, resource, Map.of());
        }

        @Override
        public String toString() {
            return action + " on " + resource + (context.isEmpty() ? "" : " " + context);
        }
    }

    private final List<Statement> statements;

    public IamPolicy(List<Statement> statements) {
        this.statements = List.copyOf(statements);
    }

    public List<Statement> statements() {
        return statements;
    }

    /** Whether the policy allows the request: no Deny matches it, and an Allow does. */
    public boolean allows(Request r) {
        boolean allowed = false;
        for (Statement s : statements) {
            if (s.matchesAction(r.action()) && s.matchesResource(r.resource()) && s.conditionsHold(r.context())) {
                if (!s.allow()) {
                    return false;
                }
                allowed = true;
            }
        }
        return allowed;
    }

    /**
     * A function's policy from the template: its {@code Policies} resolved (conditions, !If, !Sub,
     * !GetAtt of the stack's resources).
     */
    public static IamPolicy of(Template template, String functionId) {
        Object policies = template.property(functionId, "Policies");
        List<Statement> statements = new ArrayList<>();
        for (Object policy : policies instanceof List<?> l ? l : List.of()) {
            if (!(policy instanceof Map<?, ?> m) || !m.containsKey("Statement")) {
                throw new IllegalStateException(functionId + ": the IAM check reads inline statements only, not "
                        + policy + " (a managed policy by name or a SAM policy template)");
            }
            for (Object statement : list(m.get("Statement"))) {
                statements.add(statement(functionId, Template.map(statement)));
            }
        }
        return new IamPolicy(statements);
    }

    private static Statement statement(String functionId, Map<String, Object> s) {
        for (String key : s.keySet()) {
            if (!List.of("Effect", "Action", "Resource", "Condition", "Sid").contains(key)) {
                throw new IllegalStateException(functionId + ": the IAM check does not read " + key);
            }
        }
        Map<String, Map<String, List<String>>> conditions = new LinkedHashMap<>();
        Template.map(s.get("Condition")).forEach((op, keys) -> {
            if (!OPERATORS.matcher(op).matches()) {
                throw new IllegalStateException(functionId + ": the IAM check does not evaluate " + op);
            }
            Map<String, List<String>> values = new LinkedHashMap<>();
            Template.map(keys).forEach((k, v) -> values.put(k, strings(v)));
            conditions.put(op, values);
        });
        return new Statement(
                "Allow".equals(s.get("Effect")), strings(s.get("Action")), strings(s.get("Resource")), conditions);
    }

    /**
     * The policy document moto is given for the function's role. moto checks the operation's own
     * name where AWS checks the actions inside it (TransactWriteItems by its items' PutItem,
     * UpdateItem, DeleteItem and ConditionCheckItem; SendMessageBatch by SendMessage ...): each
     * statement that allows those actions also allows, for moto alone, the batch operation. The
     * template is not changed for moto: {@link IamCheck} judges each call by AWS's actions.
     */
    public String motoDocument() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Statement s : statements) {
            List<String> actions = new ArrayList<>(s.actions());
            MOTO_NAMES.forEach((operation, needs) -> {
                if (needs.stream().anyMatch(s::matchesAction) && !actions.contains(operation)) {
                    actions.add(operation);
                }
            });
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("Effect", s.allow() ? "Allow" : "Deny");
            st.put("Action", actions);
            // moto judges a DynamoDB, SES or SSM call against the resource "*" only (its queues by
            // their ARNs): there the statement names "*", and IamCheck judges the real resource
            boolean resourceBlind = actions.stream().noneMatch(a -> a.startsWith("sqs:"));
            st.put("Resource", resourceBlind ? List.of("*") : s.resources());
            out.add(st); // conditions are checked by IamCheck: moto does not evaluate them
        }
        return Json.write(Map.of("Version", "2012-10-17", "Statement", out));
    }

    /** The operations moto names as actions, and the AWS actions that authorize them. */
    private static final Map<String, List<String>> MOTO_NAMES = Map.of(
            "dynamodb:TransactWriteItems",
                    List.of(
                            "dynamodb:PutItem",
                            "dynamodb:UpdateItem",
                            "dynamodb:DeleteItem",
                            "dynamodb:ConditionCheckItem"),
            "dynamodb:TransactGetItems", List.of("dynamodb:GetItem"),
            "sqs:SendMessageBatch", List.of("sqs:SendMessage"),
            "sqs:DeleteMessageBatch", List.of("sqs:DeleteMessage"),
            "sqs:ChangeMessageVisibilityBatch", List.of("sqs:ChangeMessageVisibility"));

    private static final Pattern OPERATORS =
            Pattern.compile("((ForAllValues|ForAnyValue):)?(StringEquals|StringLike|StringEqualsIgnoreCase)");

    /** Whether a condition holds for the request's values of its key (null: the key is absent). */
    static boolean holds(String operator, List<String> present, List<String> wanted) {
        String op = operator.replaceFirst("^(ForAllValues|ForAnyValue):", "");
        java.util.function.Predicate<String> matches = value -> wanted.stream().anyMatch(w -> switch (op) {
            case "StringEquals" -> w.equals(value);
            case "StringEqualsIgnoreCase" -> w.equalsIgnoreCase(value);
            case "StringLike" -> glob(w).matcher(value).matches();
            default -> false;
        });
        if (operator.startsWith("ForAllValues:")) {
            return present == null || present.stream().allMatch(matches); // empty or absent: true, as IAM has it
        }
        if (operator.startsWith("ForAnyValue:")) {
            return present != null && present.stream().anyMatch(matches);
        }
        return present != null && present.size() == 1 && matches.test(present.getFirst());
    }

    private static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(
                    switch (c) {
                        case '*' -> ".*";
                        case '?' -> ".";
                        default -> Pattern.quote(String.valueOf(c));
                    });
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of(o);
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }
}
