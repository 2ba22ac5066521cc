package org.allerta.intake.publisher;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.allerta.contracts.Publisher;
import org.allerta.intake.publisher.PublisherService.Credentials;
import org.allerta.intake.publisher.PublisherService.PublisherSpec;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Publisher administration (admin key only). Keys and signing secrets appear in an answer once, never again. */
@Path("/v1/admin/publishers")
@Tag(name = "Publishers (admin)")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class PublisherResource {

    private final Authenticator auth;
    private final PublisherService publishers;

    PublisherResource(Authenticator auth, PublisherService publishers) {
        this.auth = auth;
        this.publishers = publishers;
    }

    @POST
    @Operation(summary = "Create a publisher; the answer shows its API key and signing secret once")
    public Response create(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, PublisherSpec spec) {
        auth.requireAdmin(authorization);
        Credentials created = publishers.create(spec == null ? emptySpec() : spec);
        return Response.created(URI.create("/v1/admin/publishers/" + created.publisher().publisherId()))
                .entity(created).build();
    }

    @GET
    @Operation(summary = "List publishers")
    public List<Publisher> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        auth.requireAdmin(authorization);
        return publishers.all();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One publisher")
    public Publisher get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        auth.requireAdmin(authorization);
        return publishers.get(id);
    }

    @PUT
    @Path("{id}")
    @Operation(summary = "Change a publisher's name, kinds, territory, area limit, test mode or active flag")
    public Publisher update(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                            PublisherSpec spec) {
        auth.requireAdmin(authorization);
        return publishers.update(id, spec == null ? emptySpec() : spec);
    }

    @POST
    @Path("{id}/key")
    @Operation(summary = "Rotate the API key; the answer shows the new key once")
    public Credentials rotateKey(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                 @PathParam("id") String id) {
        auth.requireAdmin(authorization);
        return publishers.rotateKey(id);
    }

    @POST
    @Path("{id}/signing-secret")
    @Operation(summary = "Rotate the signing secret of intake.raw records; the answer shows it once")
    public Credentials rotateSecret(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                    @PathParam("id") String id) {
        auth.requireAdmin(authorization);
        return publishers.rotateSigningSecret(id);
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Revoke a publisher (its key stops working; its events stay)")
    public Publisher revoke(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        auth.requireAdmin(authorization);
        return publishers.update(id, new PublisherSpec(null, null, null, null, null, null, false));
    }

    private static PublisherSpec emptySpec() {
        return new PublisherSpec(null, null, null, null, null, null, null);
    }
}
