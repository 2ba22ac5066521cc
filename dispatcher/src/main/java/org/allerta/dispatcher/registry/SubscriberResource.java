package org.allerta.dispatcher.registry;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.allerta.contracts.Json;
import org.allerta.service.KeyGuard;
import org.allerta.service.KeyGuard.Role;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The subscriber registry, for the city's app (app key) and the admin — never a publisher key. Bodies follow
 * {@code schemas/Subscriber.schema.json}; every problem is reported at once as problem+json.
 */
@Path("/v1/subscribers")
@Produces(MediaType.APPLICATION_JSON)
public class SubscriberResource {

    private static final int MAX_BODY = 64 * 1024;

    private final SubscriberService subscribers;
    private final SubscriberImport importer;
    private final RegistrySummary summary;
    private final KeyGuard keys;
    private final String defaultCountryCode;

    SubscriberResource(SubscriberService subscribers, SubscriberImport importer, RegistrySummary summary, KeyGuard keys,
                       @ConfigProperty(name = "allerta.dispatcher.default-country-code") String defaultCountryCode) {
        this.subscribers = subscribers;
        this.importer = importer;
        this.summary = summary;
        this.keys = keys;
        this.defaultCountryCode = defaultCountryCode;
    }

    /** A code to confirm a channel. */
    public record Code(String code) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a person (201); with a known externalId, the same subscriber again (200), or 409"
            + " external-id-registered when the details differ (change them with PUT)")
    public Response register(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, byte[] body) {
        Role role = keys.require(authorization, Role.ADMIN, Role.APP);
        Registration registration = RegistrationReader.read(parse(body), role == Role.ADMIN, defaultCountryCode);
        SubscriberService.Registered result = subscribers.register(registration);
        URI location = URI.create("/v1/subscribers/" + result.subscriber().id());
        return (result.created() ? Response.created(location) : Response.ok().location(location))
                .entity(result.subscriber()).build();
    }

    @POST
    @Path("import")
    @Consumes({"text/csv", MediaType.TEXT_PLAIN, MediaType.APPLICATION_OCTET_STREAM})
    @Operation(summary = "Bulk registration from CSV (admin key), streamed; one person per row; a report of rows "
            + "created, already registered and refused per reason")
    public SubscriberImport.Report importCsv(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                             java.io.InputStream body) {
        keys.require(authorization, Role.ADMIN);
        return importer.importCsv(body);
    }

    @GET
    @Path("summary")
    @Operation(summary = "The registry in numbers: subscribers, channels per type and verification, places per"
            + " geocoding outcome (PENDING = not answered yet), unresolved places per reason")
    public RegistrySummary.Summary summary(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        keys.require(authorization, Role.ADMIN, Role.APP);
        return summary.summary();
    }

    @GET
    @Operation(summary = "Find a subscriber by the app's externalId")
    public List<SubscriberView> find(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                     @QueryParam("externalId") String externalId) {
        keys.require(authorization, Role.ADMIN, Role.APP);
        if (externalId == null || externalId.isBlank() || externalId.length() > 200) {
            throw ProblemException.invalid("externalId is required.",
                    List.of(Problem.Issue.of("required", "query:externalId", "1 to 200 characters")));
        }
        return subscribers.byExternalId(externalId.strip()).map(List::of).orElse(List.of());
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A subscriber, with each channel's verification and each place's geocoding")
    public SubscriberView get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                              @PathParam("id") String id) {
        keys.require(authorization, Role.ADMIN, Role.APP);
        UUID uuid = id(id);
        return subscribers.get(uuid).orElseThrow(() -> ProblemException.notFound("No subscriber " + id + "."));
    }

    @PUT
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace what a person registered; unchanged channels stay verified")
    public SubscriberView replace(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                  @PathParam("id") String id, byte[] body) {
        Role role = keys.require(authorization, Role.ADMIN, Role.APP);
        UUID uuid = id(id);
        return subscribers.replace(uuid, RegistrationReader.read(parse(body), role == Role.ADMIN, defaultCountryCode,
                true));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Erase a person everywhere (GDPR); only anonymous counts remain")
    public Response erase(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        keys.require(authorization, Role.ADMIN, Role.APP);
        if (!subscribers.erase(id(id))) {
            throw ProblemException.notFound("No subscriber " + id + ".");
        }
        return Response.noContent().build();
    }

    @POST
    @Path("{id}/channels/{channelId}/verify")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Confirm a channel with the one-time code sent to it")
    public SubscriberView verify(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                 @PathParam("id") String id, @PathParam("channelId") String channelId, Code code) {
        keys.require(authorization, Role.ADMIN, Role.APP);
        if (code == null || code.code() == null || !code.code().strip().matches("[0-9]{6}")) {
            throw ProblemException.invalid("The code has six digits.",
                    List.of(Problem.Issue.of("invalid-value", "code", "six digits")));
        }
        return subscribers.verify(id(id), id(channelId), code.code());
    }

    @POST
    @Path("{id}/channels/{channelId}/code")
    @Operation(summary = "Send a new one-time code to an unverified channel")
    public Response resend(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                           @PathParam("id") String id, @PathParam("channelId") String channelId) {
        keys.require(authorization, Role.ADMIN, Role.APP);
        subscribers.resendCode(id(id), id(channelId));
        return Response.accepted().build();
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw ProblemException.unparseable("A JSON body is required.");
        }
        if (body.length > MAX_BODY) {
            throw new ProblemException(Problem.of(413, "too-large", "Body too large",
                    "A registration is at most " + MAX_BODY + " bytes."));
        }
        try {
            return Json.mapper().readTree(body);
        } catch (java.io.IOException e) {
            throw ProblemException.unparseable("The body is not JSON.");
        }
    }

    private static UUID id(String text) {
        UUID uuid = SubscriberService.uuid(text);
        if (uuid == null) {
            throw ProblemException.notFound("No such id: " + text + ".");
        }
        return uuid;
    }
}
