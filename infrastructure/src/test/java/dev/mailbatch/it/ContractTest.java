package dev.mailbatch.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract check itself: what it lets through and what it catches. */
public class ContractTest {
    private static final String JOB = "0b9f3a52-6c1e-4f7d-a3b2-9d8e7f6a5b4c";
    private static final Map<String, String> JSON = Map.of("content-type", "application/json");

    private static String job(String state, String finishedAt) {
        return """
                {"jobId":"%s","subject":"Hello","state":"%s","total":2,"sent":1,"failed":0,"cancelled":0,"pending":1,
                 "createdAt":"2026-11-26T10:00:00Z","updatedAt":"2026-11-26T10:00:01Z","cancelledAt":null,
                 "finishedAt":%s,"reason":null}""".formatted(JOB, state, finishedAt);
    }

    @Test
    void aResponseAsTheContractDeclaresItPasses() {
        assertThat(Contract.SPEC.check(
                        "POST",
                        "/emails",
                        202,
                        Map.of("content-type", "application/json", "location", "/emails/" + JOB),
                        "{\"jobId\":\"" + JOB + "\",\"state\":\"PENDING\",\"total\":2,\"duplicatesRemoved\":0,"
                                + "\"statusUrl\":\"/emails/" + JOB + "\"}"))
                .isEmpty();
        assertThat(Contract.SPEC.check(
                        "GET",
                        "/emails/{jobId}",
                        200,
                        Map.of("content-type", "application/json", "retry-after", "2"),
                        job("IN_PROGRESS", "null")))
                .isEmpty();
        assertThat(Contract.SPEC.check("GET", "/emails/{jobId}", 401, JSON, "{\"message\":\"Unauthorized\"}"))
                .isEmpty();
    }

    @Test
    void whatTheContractDoesNotAllowIsCaughtAndSaid() {
        assertThat(Contract.SPEC.check("GET", "/emails/{jobId}", 418, JSON, "{}"))
                .containsExactly("status 418 is not declared for this operation");
        assertThat(Contract.SPEC.check("PATCH", "/emails", 200, JSON, "{}"))
                .containsExactly("no such operation in the contract");
        assertThat(Contract.SPEC.check("GET", "/emails/{jobId}", 200, JSON, job("RUNNING", "null")))
                .singleElement()
                .asString()
                .contains("state");
        assertThat(Contract.SPEC.check("GET", "/emails/{jobId}", 200, JSON, job("SUCCEEDED", "\"yesterday\"")))
                .singleElement()
                .asString()
                .contains("finishedAt");
        assertThat(Contract.SPEC.check(
                        "GET",
                        "/emails/{jobId}",
                        200,
                        Map.of("content-type", "application/json", "retry-after", "soon"),
                        job("IN_PROGRESS", "null")))
                .singleElement()
                .asString()
                .startsWith("header Retry-After");
        assertThat(Contract.SPEC.check(
                        "GET", "/emails/{jobId}", 404, Map.of("content-type", "text/html"), "<h1>404</h1>"))
                .anyMatch(p -> p.startsWith("content-type text/html"))
                .anyMatch(p -> p.startsWith("the body is not JSON"));
        assertThat(Contract.SPEC.check(
                        "GET",
                        "/emails/{jobId}",
                        400,
                        JSON,
                        "{\"error\":{\"code\":\"INVALID_REQUEST\",\"message\":\"x\",\"details\":[],\"extra\":1}}"))
                .singleElement()
                .asString()
                .contains("extra");
    }
}
