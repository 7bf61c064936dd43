package dev.mailbatch.local.iam;

import dev.mailbatch.config.Json;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.MotoServer;
import dev.mailbatch.local.template.Template;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * Each function of a stack under a role of its own in the emulator, made from its policy in
 * template.yaml ({@link IamPolicy}), as CloudFormation makes it in AWS; the function's clients sign
 * with the role's temporary keys (renewed before they expire) and pass every call through an
 * {@link IamCheck} of that policy. Where the emulator enforces IAM (moto after {@link
 * MotoServer#enforceIam}) a call the role does not allow is refused there too.
 *
 * <p>The roles trust the operator (the user the harness signs as), not lambda.amazonaws.com, since
 * here the operator assumes them; their permissions are the template's.
 */
public final class FunctionRoles {
    private final Map<String, Backend> byFunction = new LinkedHashMap<>();

    private FunctionRoles() {}

    /**
     * @param template the stack's template, its resources bound (the policies name them)
     * @param functions the template's function ids
     * @param control the emulator as the operator reaches it: the roles are made and assumed there
     *     (CloudFormation and Lambda's work in AWS, never on the functions' network)
     * @param reach the emulator as the functions reach it (its interceptors are kept)
     */
    public static FunctionRoles create(
            String stack, Template template, List<String> functions, Backend control, Backend reach) {
        FunctionRoles roles = new FunctionRoles();
        String account;
        try (var sts = control.sts()) {
            account = sts.getCallerIdentity().account();
        }
        try (var iam = control.iam()) {
            String operator = "arn:aws:iam::" + account + ":user/" + MotoServer.OPERATOR;
            for (String function : functions) {
                IamPolicy policy = IamPolicy.of(template, function);
                String role = roleName(stack, function);
                String trust = Json.write(Map.of(
                        "Version",
                        "2012-10-17",
                        "Statement",
                        List.of(Map.of(
                                "Effect", "Allow", "Principal", Map.of("AWS", operator), "Action", "sts:AssumeRole"))));
                try {
                    iam.createRole(r -> r.roleName(role).assumeRolePolicyDocument(trust));
                } catch (EntityAlreadyExistsException again) {
                    // a runner attached to a stack made before: its roles are renewed below
                }
                iam.putRolePolicy(r -> r.roleName(role).policyName("template").policyDocument(policy.motoDocument()));
                AwsCredentialsProvider keys = StsAssumeRoleCredentialsProvider.builder()
                        .stsClient(control.sts())
                        .refreshRequest(r -> r.roleArn("arn:aws:iam::" + account + ":role/" + role)
                                .roleSessionName(function.replace("Function", ""))
                                .durationSeconds(3600))
                        .build();
                roles.byFunction.put(
                        function, reach.as(keys, List.of(new IamCheck(stack, function, policy, "us-east-1", account))));
            }
        }
        return roles;
    }

    /** The emulator as this function reaches it: signing with its role's keys, every call checked. */
    public Backend backend(String function) {
        Backend b = byFunction.get(function);
        if (b == null) {
            throw new IllegalArgumentException("no role for " + function);
        }
        return b;
    }

    /** IAM names a role in at most 64 characters; the stack's name comes first. */
    static String roleName(String stack, String function) {
        String name = stack + "-" + function.replace("Function", "");
        return name.length() <= 64 ? name : name.substring(name.length() - 64);
    }
}
