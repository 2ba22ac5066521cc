package org.allerta.matcher.reach;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Json;
import org.allerta.contracts.Severity;
import org.allerta.contracts.rules.Interests;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.BodyLimit;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * How many people an area would reach, before publishing: distinct subscribers, places, prioritised subscribers.
 * Counts only, never identities; nothing is emitted. The admin key sees everything; a publisher's key (known from
 * the {@code publishers} topic) is limited to its kinds and its territory, and is not shown counts below
 * {@code ALLERTA_REACH_MIN_COUNT} (10).
 */
@Path("/v1/reach")
@Tag(name = "Reach preview")
public class ReachResource {

    private final KeyGuard keys;
    private final PublisherDirectory directory;
    private final Jdbc jdbc;
    private final BodyLimit bodyLimit;
    private final AreaValidator areas = new AreaValidator(10_000);

    /** The tolerance around a publisher's territory, on the ground, as alert-intake applies it when publishing. */
    private final double toleranceM;

    /** The smallest count a publisher's key is shown; a smaller one is withheld (null). */
    private final int minCount;

    ReachResource(KeyGuard keys, PublisherDirectory directory, Jdbc jdbc, BodyLimit bodyLimit,
                  @org.eclipse.microprofile.config.inject.ConfigProperty(name = "allerta.matcher.territory-tolerance-m",
                          defaultValue = "100") double toleranceM,
                  @org.eclipse.microprofile.config.inject.ConfigProperty(name = "allerta.matcher.reach-min-count",
                          defaultValue = "10") int minCount) {
        this.toleranceM = toleranceM;
        this.minCount = Math.max(1, minCount);
        this.keys = keys;
        this.directory = directory;
        this.jdbc = jdbc;
        this.bodyLimit = bodyLimit;
    }

    /**
     * The preview. For a publisher's key a count below {@code withheldBelow} is withheld (null) and the others are
     * rounded down to a multiple of it: a small area drawn around one house, or two areas differing by one house,
     * would otherwise say whether someone there is registered, and whether they are prioritised (medically
     * dependent), which is health data. The admin key sees every count exactly.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Reach(Long subscribers, Long places, Long prioritised, EventKind kind, Integer withheldBelow) {
    }

    @POST
    @Consumes({"application/geo+json", MediaType.APPLICATION_JSON})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Count who an area would reach: {\"geometry\": {...}, \"kind\": \"POWER_OUTAGE\", \"severity\": ...}")
    public Reach reach(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        bodyLimit.check(body);
        boolean admin = keys.role(authorization).filter(r -> r == KeyGuard.Role.ADMIN).isPresent();
        Optional<PublisherDirectory.Entry> publisher = admin ? Optional.empty() : directory.byKey(authorization);
        if (!admin && publisher.isEmpty()) {
            throw ProblemException.unauthenticated();
        }
        JsonNode request = parse(body);
        var issues = new ArrayList<Issue>();
        EventKind kind = enumValue(request.path("kind"), EventKind.class, "invalid-kind", "/kind", issues);
        Severity severity = enumValue(request.path("severity"), Severity.class, "invalid-severity", "/severity",
                issues);
        JsonNode geometry = request.has("geometry") ? request.get("geometry") : request;
        OutageArea area = areas.read(geometry, request.has("geometry") ? "/geometry" : "", issues);
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("The request is invalid: " + issues.get(0).why(), issues);
        }
        if (publisher.isPresent()) {
            authorise(publisher.get(), kind, area);
        }
        boolean everyone = kind != null && Interests.overridden(kind, severity);
        String json = Json.toString(org.allerta.service.geometry.GeoJson.write(area.geometry()));
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT count(DISTINCT p.subscriber_id), count(*),
                           count(DISTINCT p.subscriber_id) FILTER (WHERE s.priority)
                    FROM place p JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                    WHERE ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))
                      AND (?::text IS NULL OR ? OR s.followed_kinds @> ARRAY[?]::text[])""")) {
                s.setString(1, json);
                s.setString(2, kind == null ? null : kind.name());
                s.setBoolean(3, everyone);
                s.setString(4, kind == null ? "" : kind.name());
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    if (admin) {
                        return new Reach(rows.getLong(1), rows.getLong(2), rows.getLong(3), kind, null);
                    }
                    return new Reach(shown(rows.getLong(1)), shown(rows.getLong(2)), shown(rows.getLong(3)), kind,
                            minCount);
                }
            }
        });
    }

    /**
     * A count as a publisher sees it: withheld below the smallest shown, otherwise rounded down to that step, so that
     * two areas differing by one house seldom differ in what they show.
     */
    private Long shown(long count) {
        return count < minCount ? null : count / minCount * minCount;
    }

    private void authorise(PublisherDirectory.Entry publisher, EventKind kind, OutageArea area) {
        if (kind == null || !publisher.kinds().contains(kind.name())) {
            throw ProblemException.forbidden("kind-not-allowed", "A publisher previews the reach of a kind it may"
                    + " publish: " + publisher.kinds() + ".", List.of(Issue.of("kind-not-allowed", "/kind",
                    "Name one of " + publisher.kinds() + ".")));
        }
        if (publisher.hasTerritory()) {
            boolean inside = jdbc.inTransaction(c -> {
                // widened in metres on the ground, as publishing does (in degrees, 100 m would be 71 m east-west here)
                try (PreparedStatement s = c.prepareStatement("SELECT ST_Covers(ST_Buffer(territory::geography, ?)"
                        + "::geometry, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)) FROM publisher_directory"
                        + " WHERE publisher_id = ?")) {
                    s.setDouble(1, toleranceM);
                    s.setString(2, Json.toString(org.allerta.service.geometry.GeoJson.write(area.geometry())));
                    s.setString(3, publisher.publisherId());
                    try (ResultSet rows = s.executeQuery()) {
                        return rows.next() && rows.getBoolean(1);
                    }
                }
            });
            if (!inside) {
                throw ProblemException.forbidden("outside-territory", "The area leaves the publisher's territory.",
                        List.of(Issue.of("outside-territory", "/geometry", "The area is not inside the territory.")));
            }
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode node = body == null || body.length == 0 ? null : Json.mapper().readTree(body);
            if (node == null || !node.isObject()) {
                throw ProblemException.unparseable("The body must be a JSON object with a geometry.");
            }
            return node;
        } catch (java.io.IOException e) {
            throw ProblemException.unparseable("The body is not valid JSON.");
        }
    }

    /** The named constant of {@code type}, or null with an issue of type {@code slug} (as alert-intake names it). */
    private static <E extends Enum<E>> E enumValue(JsonNode node, Class<E> type, String slug, String where,
                                                   List<Issue> issues) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        try {
            return Enum.valueOf(type, node.asText().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            issues.add(Issue.of(slug, where,
                    "'" + node.asText() + "' is not one of " + List.of(type.getEnumConstants()) + "."));
            return null;
        }
    }
}
