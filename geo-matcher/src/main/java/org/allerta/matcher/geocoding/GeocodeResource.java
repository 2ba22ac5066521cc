package org.allerta.matcher.geocoding;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.allerta.service.KeyGuard;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Geocoding against the imported gazetteer (admin or the city's app key). */
@Path("/v1/geocode")
@Tag(name = "Geocoding")
public class GeocodeResource {

    private final KeyGuard keys;
    private final Geocoder geocoder;

    GeocodeResource(KeyGuard keys, Geocoder geocoder) {
        this.keys = keys;
        this.geocoder = geocoder;
    }

    /** The answer: what was asked and what was found. */
    public record Answer(String query, Geocoded result) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Geocode an address as a citizen writes it: matched address, point, confidence")
    public Answer geocode(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @QueryParam("q") String q) {
        keys.require(authorization, KeyGuard.Role.ADMIN, KeyGuard.Role.APP);
        if (q == null || q.isBlank() || q.length() > 300) {
            throw ProblemException.invalid("Nothing to geocode.", List.of(Issue.of("invalid-query-parameter",
                    "query:q", "q is the address to find, 1-300 characters.")));
        }
        return new Answer(q, geocoder.geocode(q));
    }
}
