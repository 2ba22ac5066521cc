package org.allerta.intake.cap;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.allerta.intake.event.EventResource;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.intake.publisher.Authenticator;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.service.problem.BodyLimit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** OASIS CAP 1.2 alerts in. */
@Path("/v1/cap")
@Tag(name = "CAP")
public class CapResource {

    public static final String CAP_XML = "application/cap+xml";

    private final Authenticator auth;
    private final CapService caps;
    private final BodyLimit bodyLimit;
    private final CapReader reader;

    CapResource(Authenticator auth, CapService caps, BodyLimit bodyLimit,
                @ConfigProperty(name = "allerta.intake.max-vertices", defaultValue = "10000") int maxVertices,
                @ConfigProperty(name = "allerta.cap.zero-radius-m", defaultValue = "100") double zeroRadiusM) {
        this.auth = auth;
        this.caps = caps;
        this.bodyLimit = bodyLimit;
        this.reader = new CapReader(new AreaValidator(maxVertices), zeroRadiusM);
    }

    @POST
    @Consumes({CAP_XML, MediaType.APPLICATION_XML, MediaType.TEXT_XML})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Publish a CAP 1.2 alert (Alert, Update or Cancel)")
    public Response publish(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        PublisherRecord publisher = auth.publisher(authorization);
        bodyLimit.check(body);
        return EventResource.answer(caps.submit(publisher, reader.read(SafeXml.parse(body))));
    }

    /** The reader, for Kafka input. */
    public CapReader reader() {
        return reader;
    }
}
