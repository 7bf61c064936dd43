package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import java.util.List;
import java.util.Map;

/**
 * Who is calling, as API Gateway's JWT authorizer established it: the token's subject
 * ({@code sub}). The handlers never see a request that API Gateway did not authorize; one
 * without a subject (an API deployed without its authorizer) is refused all the same.
 */
final class Caller {
    private Caller() {}

    /** The caller's identity: jobs are owned by it. */
    static String of(APIGatewayV2HTTPEvent event) {
        APIGatewayV2HTTPEvent.RequestContext context = event.getRequestContext();
        APIGatewayV2HTTPEvent.RequestContext.Authorizer authorizer = context == null ? null : context.getAuthorizer();
        if (authorizer != null && authorizer.getJwt() != null) {
            Map<String, String> claims = authorizer.getJwt().getClaims();
            String sub = claims == null ? null : claims.get("sub");
            if (sub != null && !sub.isBlank()) {
                return "jwt:" + sub;
            }
        }
        throw new ApiException(
                401,
                "UNAUTHENTICATED",
                "The request carries no authenticated caller.",
                List.of(new ApiException.FieldError("Authorization", "must carry a valid bearer token")));
    }
}
