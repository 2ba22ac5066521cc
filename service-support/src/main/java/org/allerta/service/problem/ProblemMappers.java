package org.allerta.service.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error a REST call can meet becomes an RFC 9457 problem: never a stack trace, never an HTML page. A database
 * that cannot be reached is a 503 with Retry-After; anything unforeseen is logged once with an id that the answer
 * carries, so it can be found without exposing internals.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    /** Turns a problem into a response. */
    public static Response toResponse(Problem problem, java.util.Map<String, String> headers) {
        Response.ResponseBuilder builder = Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem);
        headers.forEach(builder::header);
        return builder.build();
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        return toResponse(e.problem(), e.headers());
    }

    @ServerExceptionMapper
    public Response unsupportedMediaType(NotSupportedException e) {
        return toResponse(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                "This endpoint does not accept that Content-Type; see the API documentation at /q/openapi."),
                java.util.Map.of());
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return toResponse(Problem.of(405, "method-not-allowed", "Method not allowed",
                "Allowed: " + e.getResponse().getAllowedMethods()), java.util.Map.of());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            // the body reader reports a strictly read body's unknown property as a 400 around Jackson's exception:
            // UnrecognizedPropertyException, or a plain JsonMappingException from the generated deserialisers
            if (cause instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException unknown) {
                return unknownProperty(unknown);
            }
            if (cause instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) {
                var name = UNRECOGNIZED.matcher(String.valueOf(mapping.getOriginalMessage()));
                if (name.find()) {
                    return unknownProperty(name.group(1), null);
                }
            }
        }
        if (status == 400) {
            return toResponse(Problem.of(400, "unparseable", "The request cannot be read",
                    "The request is malformed: check its body, parameters and headers."), java.util.Map.of());
        }
        if (status == 413) {
            return toResponse(Problem.of(413, "body-too-large", "Request body too large",
                    "The request body exceeds the limit."), java.util.Map.of());
        }
        String reason = e.getResponse().getStatusInfo().getReasonPhrase();
        return toResponse(Problem.of(status, status == 404 ? "not-found" : "http-" + status, reason, reason),
                java.util.Map.of());
    }

    /**
     * A property the body's type does not have (where a service reads its bodies strictly): a misspelt one would
     * otherwise be ignored, and an administrator who wrote {@code allowedKind} would believe a publisher restricted.
     */
    @ServerExceptionMapper
    public Response unknownProperty(com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
        return unknownProperty(String.valueOf(e.getPropertyName()), e.getKnownPropertyIds());
    }

    /**
     * A body whose JSON is well formed but holds a value of the wrong type where a body is bound to a record (the
     * body reader throws it as it is; without this mapper the framework's own would answer a 400 that is not
     * problem+json): 400 naming where. A value that is not one of an enumeration's constants (a misspelt kind in a
     * publisher's settings) is invalid content instead: 422 naming the field and the values it takes, as a
     * hand-read body reports it.
     */
    @ServerExceptionMapper
    public Response mismatchedInput(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        var where = new StringBuilder();
        for (var reference : e.getPath()) {
            where.append('/').append(reference.getFieldName() != null ? reference.getFieldName()
                    : String.valueOf(reference.getIndex()));
        }
        if (!e.getPath().isEmpty() && e.getPath().get(0).getFieldName() == null) {
            // the generated deserialisers of records do not name the property: an index alone would point nowhere
            where.setLength(0);
        }
        if (!(e instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException format)
                || format.getTargetType() == null || !format.getTargetType().isEnum()) {
            String expected = e.getTargetType() == null ? "another type" : e.getTargetType().getSimpleName();
            String detail = where.isEmpty() ? "The body is empty, or not the JSON object expected."
                    : "The value at '" + where + "' is not of the type expected there (" + expected + ").";
            return toResponse(Problem.of(400, "unparseable", "The request cannot be read", detail).with(List.of(
                    Problem.Issue.of("unparseable", where.toString(), "expected " + expected))), java.util.Map.of());
        }
        Class<?> type = format.getTargetType();
        String slug = type == org.allerta.contracts.EventKind.class ? "invalid-kind" : "invalid-value";
        String value = String.valueOf(format.getValue());
        String why = "'" + (value.length() > 100 ? value.substring(0, 100) + "…" : value) + "' is not one of "
                + List.of(type.getEnumConstants()) + ".";
        return toResponse(Problem.of(422, slug, "The content is invalid", why)
                .with(List.of(Problem.Issue.of(slug, where.toString(), why))), java.util.Map.of());
    }

    /** Jackson's words for an unknown property, as its generated deserialisers say them. */
    private static final java.util.regex.Pattern UNRECOGNIZED =
            java.util.regex.Pattern.compile("Unrecognized field \"([^\"]{1,100})\"");

    private Response unknownProperty(String name, java.util.Collection<Object> knownIds) {
        String known = knownIds == null ? "" : " Known: " + knownIds.stream().map(String::valueOf).sorted()
                .collect(java.util.stream.Collectors.joining(", ")) + ".";
        return toResponse(Problem.of(422, "unknown-property", "The content is invalid", "'" + name
                + "' is not a property of this body." + known).with(List.of(Problem.Issue.of("unknown-property",
                "/" + name, "not a property of this body"))), java.util.Map.of());
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return toResponse(Problem.of(400, "unparseable", "The request body is not valid JSON",
                "Line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ": " + e.getOriginalMessage()),
                java.util.Map.of());
    }

    @ServerExceptionMapper
    public Response database(SQLException e) {
        if (DatabaseErrors.isUnavailable(e)) {
            return toResponse(Problem.of(503, "unavailable", "Temporarily unavailable",
                    "The database cannot be reached; retry later."), java.util.Map.of("Retry-After", "5"));
        }
        return unexpected(e);
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e) {
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof ProblemException problem) {
                return problem(problem);
            }
            if (cause instanceof SQLException sql && DatabaseErrors.isUnavailable(sql)) {
                return database(sql);
            }
            if (cause instanceof SQLTransientException
                    || cause instanceof SQLException sql && DatabaseErrors.isTransient(sql)) {
                return toResponse(Problem.of(503, "unavailable", "Temporarily unavailable",
                        "The database cannot take this request for now; retry later."),
                        java.util.Map.of("Retry-After", "1"));
            }
            if (cause instanceof SQLException sql && "23503".equals(sql.getSQLState())) {
                // what the request refers to was removed by another request meanwhile
                return toResponse(Problem.of(409, "concurrent-change", "Concurrent change",
                        "Something this request refers to was removed at the same time; read it again."),
                        java.util.Map.of());
            }
            if (cause instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return toResponse(Problem.of(409, "concurrent-change", "Concurrent change",
                        "Another request changed the same thing at the same time; retry."), java.util.Map.of());
            }
            cause = cause.getCause();
        }
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected error %s", id);
        return toResponse(Problem.of(500, "internal-error", "Internal error",
                "An unexpected error occurred; quote " + id + " to the operators."), java.util.Map.of());
    }
}
