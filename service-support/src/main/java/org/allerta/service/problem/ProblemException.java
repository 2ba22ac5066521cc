package org.allerta.service.problem;

import java.util.List;
import java.util.Map;

/** Thrown to answer a request with a problem; carries the problem and any extra response headers. */
public class ProblemException extends RuntimeException {

    private final transient Problem problem;
    private final transient Map<String, String> headers;

    public ProblemException(Problem problem) {
        this(problem, Map.of());
    }

    public ProblemException(Problem problem, Map<String, String> headers) {
        this(problem, headers, null);
    }

    /** With the error behind the problem, kept for whoever tells errors apart by their causes (never shown). */
    public ProblemException(Problem problem, Map<String, String> headers, Throwable cause) {
        super(problem.detail(), cause, false, false);
        this.problem = problem;
        this.headers = Map.copyOf(headers);
    }

    public Problem problem() {
        return problem;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** 400: the body cannot be read at all. */
    public static ProblemException unparseable(String detail) {
        return new ProblemException(Problem.of(400, "unparseable", "The request body cannot be parsed", detail));
    }

    /** 422: the body was read but its content is invalid; {@code issues} says where and why. */
    public static ProblemException invalid(String detail, List<Problem.Issue> issues) {
        String slug = issues.size() == 1 ? issues.get(0).slug() : "invalid-content";
        return new ProblemException(Problem.of(422, slug, "The content is invalid", detail).with(issues));
    }

    /** 401: no key, or a key that matches nobody. */
    public static ProblemException unauthenticated() {
        return new ProblemException(Problem.of(401, "unauthenticated", "Authentication required",
                "Send a valid API key as 'Authorization: Bearer <key>'."), Map.of("WWW-Authenticate", "Bearer"));
    }

    /** 403: authenticated, but not allowed to do this. */
    public static ProblemException forbidden(String slug, String detail, List<Problem.Issue> issues) {
        return new ProblemException(Problem.of(403, slug, "Not allowed", detail).with(issues));
    }

    /** 404. */
    public static ProblemException notFound(String detail) {
        return new ProblemException(Problem.of(404, "not-found", "Not found", detail));
    }

    /** 409: conflicts with the current state. */
    public static ProblemException conflict(String slug, String detail) {
        return new ProblemException(Problem.of(409, slug, "Conflict", detail));
    }

    /** 503 with Retry-After: a dependency is down; the request may be repeated. */
    public static ProblemException unavailable(String detail, int retryAfterSeconds) {
        return unavailable(detail, retryAfterSeconds, null);
    }

    /** 503 with Retry-After, caused by {@code cause}. */
    public static ProblemException unavailable(String detail, int retryAfterSeconds, Throwable cause) {
        return new ProblemException(Problem.of(503, "unavailable", "Temporarily unavailable", detail),
                Map.of("Retry-After", Integer.toString(retryAfterSeconds)), cause);
    }
}
