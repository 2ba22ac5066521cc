package org.allerta.dispatcher.events;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import org.allerta.contracts.EventStats;
import org.allerta.contracts.Json;
import org.allerta.service.ApiKeys;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** How many were reached, read and clicked: for the admin and for the event's own publisher. */
@Path("/v1/events")
@Produces(MediaType.APPLICATION_JSON)
public class StatsResource {

    private final StatsService stats;
    private final KeyGuard keys;
    private final Jdbc jdbc;

    StatsResource(StatsService stats, KeyGuard keys, Jdbc jdbc) {
        this.stats = stats;
        this.keys = keys;
        this.jdbc = jdbc;
    }

    @GET
    @Path("{eventId}/stats")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "200",
            description = "EventStats (see schemas/EventStats.schema.json) with notifiedTotal and rates",
            content = @org.eclipse.microprofile.openapi.annotations.media.Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = EventStats.class)))
    @Operation(summary = "An event's statistics: matched, notified per channel and change, held, sent, delivered, "
            + "failed, read, clicked, their rates, the send plan and the last revision fully processed")
    public Response stats(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                            @PathParam("eventId") String eventId) {
        authorise(authorization, eventId);
        EventStats s = stats.stats(eventId).orElseThrow(() -> notKnown(eventId));
        // notifiedTotal and rates come with the record's JSON, as on alerts.stats
        return Response.ok(Json.toBytes(s), MediaType.APPLICATION_JSON).build();
    }

    /**
     * 404, as alert-intake answers for an event that is not the caller's: whether another publisher's event exists is
     * not told. An event just published reaches the dispatcher within seconds of its 202.
     */
    private static ProblemException notKnown(String eventId) {
        return ProblemException.notFound("No event " + eventId + " is known here for this key (an event just"
                + " published is here within seconds of its 202).");
    }

    /** The admin key, or the API key of the publisher of this event. */
    private void authorise(String authorization, String eventId) {
        if (keys.role(authorization).filter(r -> r == KeyGuard.Role.ADMIN).isPresent()) {
            return;
        }
        String key = KeyGuard.bearer(authorization).orElseThrow(ProblemException::unauthenticated);
        String hash = ApiKeys.sha256(key);
        Optional<Boolean> allowed = jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT EXISTS (SELECT 1 FROM event_revision r JOIN publisher_directory p
                                   ON p.publisher_id = r.publisher_id
                                   WHERE r.event_id = ? AND p.api_key_sha256 = ? AND p.active),
                           EXISTS (SELECT 1 FROM publisher_directory WHERE api_key_sha256 = ? AND active)""")) {
                s.setString(1, eventId);
                s.setString(2, hash);
                s.setString(3, hash);
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    if (rows.getBoolean(1)) {
                        return Optional.of(true);
                    }
                    return rows.getBoolean(2) ? Optional.of(false) : Optional.empty();
                }
            }
        });
        if (allowed.isEmpty()) {
            throw ProblemException.unauthenticated();
        }
        if (!allowed.get()) {
            throw notKnown(eventId);
        }
    }
}
