package dev.mailbatch.local.iam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What {@link IamCheck} saw in this JVM: each function's policy, every request its calls made,
 * and those the policy refused. The integration tests read it at their end ({@code IamIT}): no
 * call refused, and which statements no call used.
 */
public final class IamLedger {
    /** By function, then by stack: each stack's policy names its own resources. */
    private static final Map<String, Map<String, IamPolicy>> POLICIES = new ConcurrentHashMap<>();

    private static final Map<String, Map<String, Set<IamPolicy.Request>>> CALLS = new ConcurrentHashMap<>();
    private static final List<String> REFUSED = new CopyOnWriteArrayList<>();

    private IamLedger() {}

    static void policy(String stack, String function, IamPolicy policy) {
        POLICIES.computeIfAbsent(function, f -> new ConcurrentHashMap<>()).put(stack, policy);
    }

    static void call(String stack, String function, IamPolicy.Request request, boolean allowed) {
        CALLS.computeIfAbsent(function, f -> new ConcurrentHashMap<>())
                .computeIfAbsent(stack, f -> ConcurrentHashMap.newKeySet())
                .add(request);
        if (!allowed) {
            REFUSED.add(function + " (stack " + stack + "): " + request);
        }
    }

    /** The calls refused, each "function: action on resource". */
    public static List<String> refused() {
        return List.copyOf(REFUSED);
    }

    /** Each function's requests, as "action on resource". */
    public static Map<String, Set<String>> calls() {
        Map<String, Set<String>> out = new TreeMap<>();
        CALLS.forEach((f, byStack) -> {
            Set<String> s = new TreeSet<>();
            byStack.values().forEach(requests -> requests.forEach(r -> s.add(r.action())));
            out.put(f, s);
        });
        return out;
    }

    /**
     * The permissions no call used: per function, each action of each Allow statement that no
     * recorded request of that function matched (action and resource), as "action" strings.
     */
    public static Map<String, Set<String>> unused() {
        Map<String, Set<String>> out = new TreeMap<>();
        POLICIES.forEach((function, byStack) -> {
            Set<String> granted = new TreeSet<>();
            Set<String> used = new TreeSet<>();
            byStack.forEach((stack, policy) -> {
                Set<IamPolicy.Request> seen =
                        CALLS.getOrDefault(function, Map.of()).getOrDefault(stack, Set.of());
                for (IamPolicy.Statement s : policy.statements()) {
                    for (String action : s.actions()) {
                        if (!s.allow()) {
                            continue;
                        }
                        granted.add(action);
                        IamPolicy.Statement one =
                                new IamPolicy.Statement(true, List.of(action), s.resources(), s.conditions());
                        if (seen.stream()
                                .anyMatch(r -> one.matchesAction(r.action()) && one.matchesResource(r.resource()))) {
                            used.add(action);
                        }
                    }
                }
            });
            granted.removeAll(used);
            out.put(function, granted);
        });
        return out;
    }

    /** Forgets everything (a test of the check itself starts clean). */
    static void clear() {
        POLICIES.clear();
        CALLS.clear();
        REFUSED.clear();
    }

    /** The functions whose calls were checked. */
    public static List<String> functions() {
        return new ArrayList<>(new TreeSet<>(POLICIES.keySet()));
    }
}
