package org.allerta.intake.zone;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.allerta.contracts.Timestamps;
import org.allerta.contracts.ZoneStatus;
import org.allerta.intake.event.EventResource;
import org.allerta.intake.event.FeatureReader;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.OutageArea;
import org.allerta.intake.publisher.Authenticator;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.service.problem.BodyLimit;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Snow-clearing zones: register them, then post their status from the truck. */
@Path("/v1/zones")
@Tag(name = "Snow-clearing zones")
@Produces(MediaType.APPLICATION_JSON)
public class ZoneResource {

    private static final String ZONE_ID = "[A-Za-z0-9._-]{1,64}";

    private final Authenticator auth;
    private final ZoneService zones;
    private final BodyLimit bodyLimit;
    private final AreaValidator areas;

    ZoneResource(Authenticator auth, ZoneService zones, BodyLimit bodyLimit,
                 @ConfigProperty(name = "allerta.intake.max-vertices", defaultValue = "10000") int maxVertices) {
        this.auth = auth;
        this.zones = zones;
        this.bodyLimit = bodyLimit;
        this.areas = new AreaValidator(maxVertices);
    }

    @PUT
    @Path("{zoneId}")
    @Consumes({EventResource.GEO_JSON, MediaType.APPLICATION_JSON})
    @Operation(summary = "Register or change a zone: a GeoJSON Feature with properties.name and a polygon")
    public ZoneService.Zone put(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                @PathParam("zoneId") String zoneId, byte[] body) {
        PublisherRecord publisher = auth.publisher(authorization);
        bodyLimit.check(body);
        checkId(zoneId, "path:zoneId");
        var issues = new ArrayList<Issue>();
        ZoneDefinition definition = definition(FeatureReader.parse(body), "", issues);
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("The zone is invalid: " + issues.get(0).why(), issues);
        }
        return zones.register(publisher, Map.of(zoneId, definition)).get(0);
    }

    @POST
    @Consumes({EventResource.GEO_JSON, MediaType.APPLICATION_JSON})
    @Operation(summary = "Register or change many zones: a GeoJSON FeatureCollection, each with an id and a name")
    public Map<String, Object> load(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        PublisherRecord publisher = auth.publisher(authorization);
        bodyLimit.check(body);
        JsonNode collection = FeatureReader.parse(body);
        var issues = new ArrayList<Issue>();
        if (!"FeatureCollection".equals(collection.path("type").asText()) || !collection.path("features").isArray()) {
            throw ProblemException.invalid("Not a FeatureCollection.", List.of(Issue.of("not-a-feature-collection",
                    "/type", "The body must be a GeoJSON FeatureCollection of zones.")));
        }
        var definitions = new LinkedHashMap<String, ZoneDefinition>();
        JsonNode features = collection.path("features");
        for (int i = 0; i < features.size(); i++) {
            JsonNode feature = features.get(i);
            String where = "/features/" + i;
            String id = feature.hasNonNull("id") ? feature.get("id").asText()
                    : feature.path("properties").path("zoneId").asText(null);
            if (id == null || !id.matches(ZONE_ID)) {
                issues.add(Issue.of("invalid-zone-id", where + "/id",
                        "Each zone needs an id (feature id or properties.zoneId) of 1-64 letters, digits, . _ -"));
                continue;
            }
            if (definitions.containsKey(id)) {
                issues.add(Issue.of("duplicate-zone-id", where + "/id", "Zone " + id + " appears twice."));
                continue;
            }
            ZoneDefinition definition = definition(feature, where, issues);
            if (definition != null) {
                definitions.put(id, definition);
            }
        }
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("Some zones are invalid; none was saved.", issues);
        }
        return Map.of("zones", zones.register(publisher, definitions).size());
    }

    /** What a crew posts. */
    public record StatusChange(String status, String note, String expectedAt) {
    }

    @POST
    @Path("{zoneId}/status")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Post a zone's clearing status: NOT_STARTED, IN_PROGRESS or CLEARED")
    public Response status(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                           @PathParam("zoneId") String zoneId, StatusChange change) {
        PublisherRecord publisher = auth.publisher(authorization);
        checkId(zoneId, "path:zoneId");
        var issues = new ArrayList<Issue>();
        ZoneStatus status = null;
        if (change == null || change.status() == null) {
            issues.add(Issue.of("missing-property", "/status", "status is required: " + List.of(ZoneStatus.values())));
        } else {
            try {
                status = ZoneStatus.valueOf(change.status().trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                issues.add(Issue.of("invalid-zone-status", "/status", "'" + change.status() + "' is not one of "
                        + List.of(ZoneStatus.values()) + "."));
            }
        }
        Instant expectedAt = null;
        if (change != null && change.expectedAt() != null) {
            Timestamps.Reading reading = Timestamps.read(change.expectedAt());
            expectedAt = reading.instant();
            if (reading.refusal() != null) {
                issues.add(Issue.of(reading.refusal().type(), "/expectedAt", reading.refusal().reason("expectedAt")));
            }
        }
        if (change != null && change.note() != null && change.note().length() > 1000) {
            issues.add(Issue.of("text-too-long", "/note", "The note is longer than 1000 characters."));
        } else if (change != null && change.note() != null && FeatureReader.hasControlCharacters(change.note())) {
            issues.add(Issue.of("invalid-characters", "/note", "The note contains control characters."));
        }
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("The status is invalid: " + issues.get(0).why(), issues);
        }
        return EventResource.answer(zones.status(publisher, zoneId, status, change.note(), expectedAt));
    }

    private ZoneDefinition definition(JsonNode feature, String where, List<Issue> issues) {
        String name = feature.path("properties").path("name").asText(feature.path("name").asText(null));
        if (name == null || name.isBlank() || name.length() > 200 || FeatureReader.hasControlCharacters(name)) {
            issues.add(Issue.of("missing-property", where + "/properties/name", "A zone needs a name (1-200 characters)."));
            return null;
        }
        OutageArea area = areas.read(feature.get("geometry"), where + "/geometry", issues);
        return area == null ? null : new ZoneDefinition(name.trim(), area, where + "/geometry");
    }

    private static void checkId(String zoneId, String where) {
        if (zoneId == null || !zoneId.matches(ZONE_ID)) {
            throw ProblemException.invalid("Invalid zone id.", List.of(Issue.of("invalid-zone-id", where,
                    "A zone id is 1-64 letters, digits, dots, dashes or underscores.")));
        }
    }
}
