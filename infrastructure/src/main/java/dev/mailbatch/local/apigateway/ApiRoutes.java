package dev.mailbatch.local.apigateway;

import dev.mailbatch.local.template.Template;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP API's routes and CORS configuration, read from template.yaml: every
 * {@code AWS::Serverless::Function} event of type {@code HttpApi} is a route to that function.
 * Matching follows HTTP APIs: a route's path segments match literally or as a
 * {@code {parameter}}; the most specific route (most literal segments) wins.
 */
public record ApiRoutes(List<Route> routes, Cors cors, Optional<JwtAuth> jwt) {

    /**
     * One route: "GET /emails/{jobId}" to a function of the template.
     *
     * @param authorized whether the API's JWT authorizer guards it (the default authorizer, unless
     *     the route says {@code Authorizer: NONE})
     * @param scopes the route's AuthorizationScopes: a token must carry one of them
     */
    public record Route(
            String method,
            String path,
            String functionId,
            int timeoutSeconds,
            boolean authorized,
            List<String> scopes) {
        public String key() {
            return method + " " + path;
        }

        List<String> segments() {
            return List.of(path.substring(1).split("/", -1));
        }

        long literalSegments() {
            return segments().stream().filter(s -> !s.startsWith("{")).count();
        }
    }

    /** The API's default JWT authorizer: the issuer and the audiences its tokens must name. */
    public record JwtAuth(String issuer, List<String> audiences) {}

    /** A request matched to a route, with its path parameters decoded. */
    public record Match(Route route, Map<String, String> pathParameters) {}

    /** The API's CorsConfiguration; empty origins when the template sets none. */
    public record Cors(
            List<String> allowOrigins,
            List<String> allowMethods,
            List<String> allowHeaders,
            List<String> exposeHeaders,
            int maxAgeSeconds) {
        public Optional<String> allowedOrigin(String origin) {
            if (origin == null || allowOrigins.isEmpty()) {
                return Optional.empty();
            }
            if (allowOrigins.contains("*")) {
                return Optional.of("*");
            }
            return allowOrigins.stream()
                    .filter(o -> o.equalsIgnoreCase(origin))
                    .findFirst()
                    .map(o -> origin);
        }
    }

    public static ApiRoutes from(Template template) {
        Optional<JwtAuth> jwt = jwtAuth(template);
        List<Route> routes = new ArrayList<>();
        Object globalTimeout = template.resolve(
                Template.map(template.section("Globals").get("Function")).get("Timeout"));
        template.resources().forEach((id, resource) -> {
            if (!"AWS::Serverless::Function".equals(Template.map(resource).get("Type"))) {
                return;
            }
            Object own = template.property(id, "Timeout");
            Object timeout = own != null ? own : globalTimeout != null ? globalTimeout : 3;
            Object events =
                    Template.map(Template.map(resource).get("Properties")).get("Events"); // ApiId stays unresolved
            Template.map(events).forEach((name, event) -> {
                Map<String, Object> e = Template.map(event);
                if ("HttpApi".equals(e.get("Type"))) {
                    Map<String, Object> p = Template.map(e.get("Properties"));
                    String method =
                            String.valueOf(template.resolve(p.get("Method"))).toUpperCase(Locale.ROOT);
                    Map<String, Object> auth = Template.map(template.resolve(p.get("Auth")));
                    routes.add(new Route(
                            method,
                            String.valueOf(template.resolve(p.get("Path"))),
                            id,
                            Integer.parseInt(String.valueOf(timeout)),
                            jwt.isPresent() && !"NONE".equals(auth.get("Authorizer")),
                            strings(auth.get("AuthorizationScopes"))));
                }
            });
        });
        routes.sort(Comparator.comparingLong(Route::literalSegments).reversed());
        return new ApiRoutes(List.copyOf(routes), cors(template), jwt);
    }

    /** The HTTP API's default authorizer, when it is a JWT authorizer. */
    private static Optional<JwtAuth> jwtAuth(Template template) {
        for (Object resource : template.resources().values()) {
            Map<String, Object> r = Template.map(resource);
            if ("AWS::Serverless::HttpApi".equals(r.get("Type"))) {
                Map<String, Object> auth = Template.map(
                        template.resolve(Template.map(r.get("Properties")).get("Auth")));
                Object name = auth.get("DefaultAuthorizer");
                if (name == null) {
                    return Optional.empty();
                }
                Map<String, Object> config = Template.map(
                        Template.map(Template.map(auth.get("Authorizers")).get(String.valueOf(name)))
                                .get("JwtConfiguration"));
                return Optional.of(new JwtAuth(String.valueOf(config.get("issuer")), strings(config.get("audience"))));
            }
        }
        return Optional.empty();
    }

    private static Cors cors(Template template) {
        for (Object resource : template.resources().values()) {
            Map<String, Object> r = Template.map(resource);
            if ("AWS::Serverless::HttpApi".equals(r.get("Type"))) {
                Map<String, Object> c = Template.map(
                        template.resolve(Template.map(r.get("Properties")).get("CorsConfiguration")));
                return new Cors(
                        strings(c.get("AllowOrigins")),
                        strings(c.get("AllowMethods")),
                        strings(c.get("AllowHeaders")),
                        strings(c.get("ExposeHeaders")),
                        Integer.parseInt(String.valueOf(c.getOrDefault("MaxAge", 0))));
            }
        }
        return new Cors(List.of(), List.of(), List.of(), List.of(), 0);
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> list
                ? list.stream().map(String::valueOf).toList()
                : List.of();
    }

    /** The route a request takes, if any (API Gateway answers 404 when none matches). */
    public Optional<Match> match(String method, String rawPath) {
        List<String> segments =
                List.of(rawPath.substring(rawPath.startsWith("/") ? 1 : 0).split("/", -1));
        for (Route route : routes) {
            if (!route.method().equals(method) && !route.method().equals("ANY")) {
                continue;
            }
            List<String> pattern = route.segments();
            if (pattern.size() != segments.size()) {
                continue;
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            boolean matches = true;
            for (int i = 0; i < pattern.size() && matches; i++) {
                String p = pattern.get(i);
                String s = segments.get(i);
                if (p.startsWith("{") && p.endsWith("}")) {
                    matches = !s.isEmpty();
                    parameters.put(
                            p.substring(1, p.length() - 1),
                            URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
                } else {
                    matches = p.equals(s);
                }
            }
            if (matches) {
                return Optional.of(new Match(route, parameters));
            }
        }
        return Optional.empty();
    }
}
