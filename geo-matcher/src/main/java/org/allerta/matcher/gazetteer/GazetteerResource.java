package org.allerta.matcher.gazetteer;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.io.InputStream;
import java.util.List;
import org.allerta.service.KeyGuard;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Address-point imports (admin key). The body is streamed: any file size, bounded memory. */
@Path("/v1/gazetteer")
@Tag(name = "Gazetteer")
public class GazetteerResource {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GazetteerResource.class);

    private final KeyGuard keys;
    private final GazetteerImporter importer;
    private final org.allerta.matcher.place.PlaceService places;

    GazetteerResource(KeyGuard keys, GazetteerImporter importer, org.allerta.matcher.place.PlaceService places) {
        this.keys = keys;
        this.importer = importer;
        this.places = places;
    }

    @POST
    @Consumes({"text/csv", MediaType.TEXT_PLAIN, MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Import address points: format=civici (Italian municipal register, srid of its coordinates)"
            + " or openaddresses (lon/lat); re-importing the same file changes nothing")
    public GazetteerImporter.Report importFile(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                               @QueryParam("format") @DefaultValue("openaddresses") String format,
                                               @QueryParam("srid") @DefaultValue("4326") String srid,
                                               @QueryParam("source") String source,
                                               @QueryParam("city") @DefaultValue("") String city,
                                               InputStream body) {
        keys.require(authorization, KeyGuard.Role.ADMIN);
        GazetteerFormat parsedFormat;
        try {
            parsedFormat = GazetteerFormat.of(format);
        } catch (IllegalArgumentException e) {
            throw ProblemException.invalid("Unknown format.", List.of(Issue.of("invalid-query-parameter",
                    "query:format", "format must be civici or openaddresses.")));
        }
        int parsedSrid;
        try {
            parsedSrid = Integer.parseInt(srid.trim());
        } catch (NumberFormatException e) {
            throw ProblemException.invalid("Invalid SRID.", List.of(Issue.of("invalid-query-parameter",
                    "query:srid", "srid is an EPSG code such as 3003 or 4326.")));
        }
        if (source == null || !source.matches("[A-Za-z0-9._:-]{1,100}")) {
            throw ProblemException.invalid("Invalid source.", List.of(Issue.of("invalid-query-parameter",
                    "query:source", "source names the register (1-100 letters, digits, . _ : -), e.g. alessandria;"
                            + " re-importing under the same source adds and updates its rows (it removes none).")));
        }
        GazetteerImporter.Report report = importer.importCsv(body, parsedFormat, parsedSrid, source, city);
        if (report.inserted() + report.updated() == 0) {
            return report;
        }
        // addresses new to the gazetteer may be those citizens were told could not be found
        try {
            return report.withPlacesResolved(places.retryUnresolved());
        } catch (RuntimeException e) {
            // the import is stored: what is left is the service's own work, taken up again from the mark the import
            // left, not the operator's to repeat
            LOG.warnf("gazetteer import %s stored; geocoding the citizens' places again is left for later: %s",
                    source, e.getMessage());
            return report.withRefinementPending();
        }
    }
}
