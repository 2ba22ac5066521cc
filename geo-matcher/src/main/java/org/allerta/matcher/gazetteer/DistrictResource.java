package org.allerta.matcher.gazetteer;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.allerta.contracts.Json;
import org.allerta.matcher.reach.PublisherDirectory;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The gazetteer's neighbourhoods (the register's district or hamlet column) and the area their addresses cover, so
 * that an operator can draw "the blackout over Orti" from the city's own register instead of by hand. Readable by
 * the admin key and by publishers' keys; the addresses are public data.
 */
@Path("/v1/gazetteer/districts")
@Tag(name = "Gazetteer")
public class DistrictResource {

    private static final int MAX_BUFFER_METRES = 2_000;

    private final KeyGuard keys;
    private final PublisherDirectory publishers;
    private final Jdbc jdbc;

    DistrictResource(KeyGuard keys, PublisherDirectory publishers, Jdbc jdbc) {
        this.keys = keys;
        this.publishers = publishers;
        this.jdbc = jdbc;
    }

    /** One district: its name, its city and how many address points it has. */
    public record District(String district, String city, long addresses) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The districts of the gazetteer with their number of address points, largest first")
    public List<District> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        authorise(authorization);
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT district, city, count(*) FROM address WHERE district <> ''
                    GROUP BY district, city ORDER BY count(*) DESC, district""")) {
                var districts = new ArrayList<District>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        districts.add(new District(rows.getString(1), rows.getString(2), rows.getLong(3)));
                    }
                }
                return districts;
            }
        });
    }

    @GET
    @Path("{district}/area")
    @Produces("application/geo+json")
    @Operation(summary = "The area a district's addresses cover (their concave hull widened by bufferMetres), as a"
            + " GeoJSON Feature ready to be the geometry of an event")
    public Map<String, Object> area(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                    @PathParam("district") String district,
                                    @QueryParam("city") String city,
                                    @QueryParam("bufferMetres") @DefaultValue("50") int bufferMetres) {
        authorise(authorization);
        if (bufferMetres < 0 || bufferMetres > MAX_BUFFER_METRES) {
            throw ProblemException.invalid("Invalid buffer.", List.of(Issue.of("invalid-query-parameter",
                    "query:bufferMetres", "bufferMetres is between 0 and " + MAX_BUFFER_METRES + ".")));
        }
        return jdbc.inTransaction(c -> {
            // a name two cities share ("Centro") is one district only with its city: a hull around both cities'
            // addresses would cover everything between them
            var cities = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT DISTINCT city FROM address WHERE district = ? AND (? IS NULL OR city = ?) ORDER BY 1")) {
                s.setString(1, district);
                s.setString(2, city);
                s.setString(3, city);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        cities.add(rows.getString(1));
                    }
                }
            }
            if (cities.isEmpty()) {
                throw ProblemException.notFound("The gazetteer has no district named '" + district + "'"
                        + (city == null ? "" : " in " + city) + ".");
            }
            if (cities.size() > 1) {
                throw ProblemException.conflict("ambiguous-district", "Several cities have a district named '"
                        + district + "': " + cities + ". Name the city: ?city=" + cities.get(0) + ".");
            }
            // the hull is computed in degrees (shape only), the buffer on the spheroid (metres), then simplified to
            // about a metre so that a district of thousands of points gives a polygon of hundreds of vertices
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT count(*), min(city),
                           ST_AsGeoJSON(ST_SimplifyPreserveTopology(
                               ST_Buffer(ST_ConcaveHull(ST_Collect(geom), 0.3)::geography, ?)::geometry,
                               0.00001), 6)
                    FROM address WHERE district = ? AND city = ?""")) {
                s.setInt(1, Math.max(bufferMetres, 1));
                s.setString(2, district);
                s.setString(3, cities.get(0));
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) == 0) {
                        throw ProblemException.notFound("The gazetteer has no district named '" + district + "'.");
                    }
                    JsonNode geometry = Json.fromBytes(rows.getString(3).getBytes(StandardCharsets.UTF_8), JsonNode.class);
                    return Map.of("type", "Feature",
                            "properties", Map.of("district", district, "city", rows.getString(2),
                                    "addresses", rows.getLong(1), "bufferMetres", bufferMetres),
                            "geometry", geometry);
                }
            }
        });
    }

    private void authorise(String authorization) {
        if (keys.role(authorization).filter(r -> r == KeyGuard.Role.ADMIN).isEmpty()
                && publishers.byKey(authorization).isEmpty()) {
            throw ProblemException.unauthenticated();
        }
    }
}
