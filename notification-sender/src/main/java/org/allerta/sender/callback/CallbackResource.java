package org.allerta.sender.callback;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.allerta.contracts.Channel;
import org.allerta.contracts.Json;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.sender.channel.Signatures;
import org.allerta.sender.channel.WebhookAdapter;
import org.allerta.sender.delivery.Deliveries;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Provider callbacks for the webhook channels: {@code {"jobId": "...", "status": "DELIVERED"|"READ"|"FAILED",
 * "reason": "..."}} (or {@code "id"}, the provider's message id, instead of {@code jobId}), signed like the webhook
 * itself, with the time of signing: a callback signed more than five minutes away from this clock is refused, so a
 * recorded one cannot be replayed later. Each becomes a receipt on {@code notifications.receipts}.
 */
@Path("/v1/callbacks")
public class CallbackResource {

    private static final int MAX_BODY = 16 * 1024;

    private final WebhookAdapter webhooks;
    private final Deliveries deliveries;

    CallbackResource(WebhookAdapter webhooks, Deliveries deliveries) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
    }

    @POST
    @Path("{channel}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A provider reports a delivery or a read (signed with X-Allerta-Signature)")
    public Response callback(@PathParam("channel") String channelName,
                             @HeaderParam(Signatures.HEADER) String signature, byte[] body) {
        Channel channel;
        try {
            channel = Channel.valueOf(channelName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("No channel " + channelName + ".");
        }
        String secret = webhooks.secret(channel).orElseThrow(() ->
                ProblemException.notFound("The " + channel + " channel has no webhook provider configured."));
        if (body == null || body.length > MAX_BODY) {
            throw ProblemException.unparseable("A JSON body of at most 16 KB is required.");
        }
        if (!Signatures.valid(secret, body, signature, java.time.Instant.now())) {
            throw ProblemException.unauthenticated();
        }
        JsonNode report;
        try {
            report = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw ProblemException.unparseable("The body is not JSON.");
        }
        String jobId = report.path("jobId").isTextual() ? report.get("jobId").asText() : null;
        String providerId = report.path("id").isTextual() ? report.get("id").asText() : null;
        ReceiptStatus status;
        try {
            status = ReceiptStatus.valueOf(report.path("status").asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            status = null;
        }
        if (status == null || status == ReceiptStatus.SENT || (jobId == null && providerId == null)
                || (jobId != null && !jobId.matches("[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"))) {
            throw ProblemException.invalid("A callback names the job (jobId or id) and a status.", List.of(
                    Problem.Issue.of("invalid-value", "status", "DELIVERED, READ or FAILED"),
                    Problem.Issue.of("required", "jobId", "the job id, or the provider's id as id")));
        }
        // the provider's words may quote the recipient: the receipts topic carries no contact
        String reason = status == ReceiptStatus.FAILED ? org.allerta.sender.channel.ProviderText.redacted(
                report.path("reason").asText("PROVIDER_FAILED")) : null;
        if (jobId != null) {
            // the job's id as it was emitted: receipts are keyed by it, in lower case
            jobId = jobId.toLowerCase(java.util.Locale.ROOT);
        }
        // a job not recorded yet keeps its report until it is (a day at most): 202 all the same
        deliveries.report(channel, jobId, providerId, status, reason);
        return Response.accepted().build();
    }
}
