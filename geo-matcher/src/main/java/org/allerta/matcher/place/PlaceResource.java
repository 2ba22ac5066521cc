package org.allerta.matcher.place;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.TreeMap;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Counts of places, never identities. */
@Path("/v1/places")
@Tag(name = "Places")
public class PlaceResource {

    private final KeyGuard keys;
    private final Jdbc jdbc;

    PlaceResource(KeyGuard keys, Jdbc jdbc) {
        this.keys = keys;
        this.jdbc = jdbc;
    }

    /** How many places could not be located, per reason, out of how many. */
    public record UnresolvedSummary(long places, long unresolved, Map<String, Long> byReason) {
    }

    @GET
    @Path("unresolved/summary")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "How many places could not be geocoded, per reason (admin or app key)")
    public UnresolvedSummary unresolved(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        keys.require(authorization, KeyGuard.Role.ADMIN, KeyGuard.Role.APP);
        return jdbc.inTransaction(c -> {
            var byReason = new TreeMap<String, Long>();
            long total;
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM place");
                 ResultSet rows = s.executeQuery()) {
                rows.next();
                total = rows.getLong(1);
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT coalesce(reason, 'UNKNOWN'), count(*) FROM place WHERE geom IS NULL GROUP BY 1");
                 ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    byReason.put(rows.getString(1), rows.getLong(2));
                }
            }
            return new UnresolvedSummary(total, byReason.values().stream().mapToLong(Long::longValue).sum(),
                    byReason);
        });
    }
}
