package org.allerta.intake.event;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.intake.publisher.Authenticator;
import org.allerta.intake.publisher.Caller;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.service.Jdbc;
import org.allerta.service.problem.BodyLimit;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Outage events as GeoJSON Features: publish, read, list. */
@Path("/v1/events")
@Tag(name = "Events")
public class EventResource {

    public static final String GEO_JSON = "application/geo+json";

    /** The answer to an accepted input. */
    public record Accepted(String eventId, long revision, EventStatus status, String outcome,
                           List<String> normalisations) {
        static Accepted of(Submission s) {
            return new Accepted(s.eventId(), s.revision(), s.status(), s.outcome().name(), s.normalisations());
        }
    }

    private final Authenticator auth;
    private final EventService events;
    private final EventRepository repository;
    private final Jdbc jdbc;
    private final FeatureReader reader;
    private final BodyLimit bodyLimit;

    EventResource(Authenticator auth, EventService events, EventRepository repository, Jdbc jdbc, BodyLimit bodyLimit,
                  @ConfigProperty(name = "allerta.intake.max-vertices", defaultValue = "10000") int maxVertices) {
        this.auth = auth;
        this.events = events;
        this.repository = repository;
        this.jdbc = jdbc;
        this.bodyLimit = bodyLimit;
        this.reader = new FeatureReader(new AreaValidator(maxVertices));
    }

    @POST
    @Consumes({GEO_JSON, MediaType.APPLICATION_JSON})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish an event, or a new revision of it, as a GeoJSON Feature")
    @APIResponse(responseCode = "202", description = "Accepted: a new event or revision, stored and queued")
    @APIResponse(responseCode = "200", description = "An identical repeat: nothing new, nothing re-emitted")
    public Response publish(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        PublisherRecord publisher = auth.publisher(authorization);
        bodyLimit.check(body);
        EventInput input = reader.read(FeatureReader.parse(body));
        return answer(events.submit(publisher, input));
    }

    /** 202 with Location for a stored revision, 200 for a repeat or a folded input. */
    public static Response answer(Submission submission) {
        if (submission.eventId() == null) {
            // accepted, and nothing to point at yet (a CAP Cancel kept until its alert arrives)
            return Response.accepted().type(MediaType.APPLICATION_JSON).entity(Accepted.of(submission)).build();
        }
        var builder = submission.emitted() ? Response.accepted() : Response.ok();
        return builder.location(URI.create("/v1/events/" + submission.eventId()))
                .type(MediaType.APPLICATION_JSON).entity(Accepted.of(submission)).build();
    }

    @GET
    @Path("{eventId}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The latest revision of an event, its area as GeoJSON (its publisher or the admin)")
    public AlertEvent get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                          @PathParam("eventId") String eventId) {
        return events.get(eventId, ownerFilter(auth.authenticate(authorization)));
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List events, newest first (a publisher sees its own; the admin sees all)")
    public EventRepository.Page list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                     @QueryParam("status") String status, @QueryParam("kind") String kind,
                                     @QueryParam("page") @DefaultValue("0") String page,
                                     @QueryParam("size") @DefaultValue("50") String size) {
        String owner = ownerFilter(auth.authenticate(authorization));
        EventStatus statusFilter = parse(EventStatus.class, status, "status");
        EventKind kindFilter = parse(EventKind.class, kind, "kind");
        int pageNumber = number(page, "page", 0, 1_000_000);
        int pageSize = number(size, "size", 1, 500);
        return jdbc.inTransaction(c -> repository.list(c, owner, statusFilter, kindFilter, pageNumber, pageSize));
    }

    private static String ownerFilter(Caller caller) {
        return caller instanceof Caller.AsPublisher p ? p.publisher().publisherId() : null;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid("Unknown " + name + ".", List.of(Issue.of("invalid-query-parameter",
                    "query:" + name, "'" + value + "' is not one of " + List.of(type.getEnumConstants()) + ".")));
        }
    }

    private static int number(String value, String name, int min, int max) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProblemException.invalid("Invalid " + name + ".", List.of(Issue.of("invalid-query-parameter",
                "query:" + name, name + " must be an integer from " + min + " to " + max + ".")));
    }
}
