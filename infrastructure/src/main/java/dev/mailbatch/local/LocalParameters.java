package dev.mailbatch.local;

import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.issuer.LocalIssuer;
import dev.mailbatch.local.lambda.LocalFunctions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The local stack's template parameters: the caller's, and where the caller names none, the local
 * OpenID issuer as JwtIssuer and, with PROVIDER_TOKEN set, an SSM SecureString holding it as
 * ProviderTokenParameter (kept where a deployed stack keeps it).
 *
 * @param issuer the local issuer started for JwtIssuer (the caller closes it), if one was
 */
public record LocalParameters(Map<String, String> values, Optional<LocalIssuer> issuer) {
    /** Function variables that a template parameter sets, and that parameter. */
    private static final Map<String, String> ENV_PARAMETERS =
            Map.of("SENDER", "SenderType", "DEFAULT_FROM", "DefaultFrom", "ALLOWED_FROM", "AllowedFrom");

    static LocalParameters resolve(
            Map<String, String> overrides, Function<String, String> env, String stack, Backend backend) {
        Map<String, String> parameters = new LinkedHashMap<>(overrides);
        // The variables that stand for a parameter are that parameter here: the functions' roles are
        // made from the parameters (SES's permission and its sender condition), as in AWS.
        ENV_PARAMETERS.forEach((variable, parameter) -> {
            String value = env.apply(variable);
            if (value != null && !value.isBlank() && !parameters.containsKey(parameter)) {
                parameters.put(parameter, value.trim());
            }
        });
        parameters.putIfAbsent("DefaultFrom", LocalFunctions.LOCAL_FROM); // empty in the template: a local sender
        LocalIssuer issuer = null;
        if (!parameters.containsKey("JwtIssuer")) {
            issuer = LocalIssuer.start();
            parameters.put("JwtIssuer", issuer.url());
        }
        String providerToken = env.apply("PROVIDER_TOKEN");
        if (providerToken != null && !providerToken.isBlank() && !parameters.containsKey("ProviderTokenParameter")) {
            String name = "/" + stack + "/provider-token";
            backend.ssm()
                    .putParameter(r -> r.name(name)
                            .type(ParameterType.SECURE_STRING)
                            .value(providerToken.trim())
                            .overwrite(true));
            parameters.put("ProviderTokenParameter", name);
        }
        return new LocalParameters(Map.copyOf(parameters), Optional.ofNullable(issuer));
    }
}
