package org.allerta.service.problem;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.allerta.contracts.Json;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a request whose declared body is larger than {@code allerta.http.max-body-bytes} with a 413 problem, before
 * the body is read, and a body sent in chunks without a length with 411 (it would be read whole before any check).
 * Bodies are checked again by the resources themselves ({@link #check(byte[])});
 * the HTTP server's own hard limit ({@code quarkus.http.limits.max-body-size}) sits above this one. Paths listed in
 * {@code allerta.http.streaming-paths} (streamed uploads such as a gazetteer file) are not limited here.
 */
@ApplicationScoped
public class BodyLimit {

    private final long maxBytes;
    private final java.util.List<String> streamingPaths;

    BodyLimit(@ConfigProperty(name = "allerta.http.max-body-bytes", defaultValue = "1048576") long maxBytes,
              @ConfigProperty(name = "allerta.http.streaming-paths", defaultValue = "none")
              java.util.List<String> streamingPaths) {
        this.maxBytes = maxBytes;
        this.streamingPaths = streamingPaths;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 10).handler(context -> {
            String length = context.request().getHeader("Content-Length");
            String path = context.request().path();
            boolean streaming = path != null && streamingPaths.stream().anyMatch(path::startsWith);
            if (!streaming && length != null && tooLarge(length.trim())) {
                context.response().setStatusCode(413).putHeader("Content-Type", Problem.MEDIA_TYPE)
                        .putHeader("Connection", "close").end(Json.toString(problem()));
                return;
            }
            String chunked = context.request().getHeader("Transfer-Encoding");
            if (!streaming && length == null && chunked != null && chunked.toLowerCase(java.util.Locale.ROOT)
                    .contains("chunked")) {
                // a body of unknown length would be read whole, up to the server's hard limit (set high for the
                // streamed uploads), before anything, the caller's key included, could refuse it
                context.response().setStatusCode(411).putHeader("Content-Type", Problem.MEDIA_TYPE)
                        .putHeader("Connection", "close").end(Json.toString(Problem.of(411, "length-required",
                                "Length required", "Send this body with a Content-Length, at most " + maxBytes
                                        + " bytes.")));
                return;
            }
            context.next();
        });
    }

    /** 413 when a body read without a declared length is over the limit. */
    public void check(byte[] body) {
        if (body != null && body.length > maxBytes) {
            throw new ProblemException(problem());
        }
    }

    private boolean tooLarge(String length) {
        try {
            return Long.parseLong(length) > maxBytes;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private Problem problem() {
        return Problem.of(413, "body-too-large", "Request body too large",
                "The body exceeds " + maxBytes + " bytes. Simplify the area or split the request.");
    }
}
