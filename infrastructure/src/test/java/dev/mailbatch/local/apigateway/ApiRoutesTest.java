package dev.mailbatch.local.apigateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.local.template.Template;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The routes and CORS the local API serves are template.yaml's, matched as HTTP APIs match them. */
class ApiRoutesTest {
    private final ApiRoutes routes = ApiRoutes.from(
            Template.read(Path.of(System.getProperty("mailbatch.root", "..")).resolve("template.yaml"), Map.of()));

    @Test
    void everyHttpApiEventOfTheTemplateIsARoute() {
        assertThat(routes.routes())
                .extracting(ApiRoutes.Route::key, ApiRoutes.Route::functionId)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("POST /emails", "SubmitBatchFunction"),
                        org.assertj.core.groups.Tuple.tuple("GET /emails/{jobId}", "JobStatusFunction"),
                        org.assertj.core.groups.Tuple.tuple("GET /emails/{jobId}/recipients", "JobStatusFunction"),
                        org.assertj.core.groups.Tuple.tuple("DELETE /emails/{jobId}", "CancelJobFunction"));
        assertThat(routes.routes()).allMatch(r -> r.timeoutSeconds() == 29);
    }

    @Test
    void pathParametersAreDecodedAndTheMostSpecificRouteWins() {
        var status = routes.match("GET", "/emails/abc%2Fdef").orElseThrow();
        assertThat(status.route().path()).isEqualTo("/emails/{jobId}");
        assertThat(status.pathParameters()).isEqualTo(Map.of("jobId", "abc/def"));
        var recipients = routes.match("GET", "/emails/j1/recipients").orElseThrow();
        assertThat(recipients.route().path()).isEqualTo("/emails/{jobId}/recipients");
        assertThat(recipients.pathParameters()).isEqualTo(Map.of("jobId", "j1"));
        assertThat(routes.match("GET", "/emails/a+b").orElseThrow().pathParameters())
                .containsEntry("jobId", "a+b");
    }

    @Test
    void noRouteForOtherMethodsPathsOrEmptySegments() {
        assertThat(routes.match("GET", "/emails")).isEmpty();
        assertThat(routes.match("DELETE", "/emails")).isEmpty();
        assertThat(routes.match("DELETE", "/emails/j1/recipients")).isEmpty();
        assertThat(routes.match("PUT", "/emails/j1")).isEmpty();
        assertThat(routes.match("GET", "/emails/")).isEmpty();
        assertThat(routes.match("GET", "/emails/j1/other")).isEmpty();
        assertThat(routes.match("POST", "/emails/")).isEmpty();
        assertThat(routes.match("GET", "/")).isEmpty();
    }

    @Test
    void corsComesFromTheHttpApiForTheOneOriginNamedAndNoneByDefault() {
        assertThat(routes.cors().allowOrigins()).isEmpty();
        assertThat(routes.cors().allowedOrigin("http://elsewhere.test")).isEmpty();
        ApiRoutes.Cors cors = ApiRoutes.from(Template.read(
                                Path.of(System.getProperty("mailbatch.root", ".."))
                                        .resolve("template.yaml"),
                                Map.of("CorsAllowOrigin", "https://app.example"))
                        .bind("ApiAccessLogGroup.Arn", "arn:logs"))
                .cors();
        assertThat(cors.allowOrigins()).containsExactly("https://app.example");
        assertThat(cors.exposeHeaders()).contains("location", "retry-after");
        assertThat(cors.allowHeaders()).contains("authorization", "idempotency-key");
        assertThat(cors.allowedOrigin("http://elsewhere.test")).isEmpty();
        assertThat(cors.allowedOrigin(null)).isEmpty();
        ApiRoutes.Cors one = new ApiRoutes.Cors(List.of("https://app.example"), List.of(), List.of(), List.of(), 0);
        assertThat(one.allowedOrigin("https://APP.example")).contains("https://APP.example");
        assertThat(one.allowedOrigin("https://evil.example")).isEmpty();
    }
}
