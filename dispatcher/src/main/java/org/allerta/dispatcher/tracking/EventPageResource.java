package org.allerta.dispatcher.tracking;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Json;
import org.allerta.contracts.Texts;
import org.allerta.service.Jdbc;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The public page of an event, where tracked links lead: headline, area, status and expected restoration of its
 * latest revision, in Italian and English. Nothing personal; no script.
 */
@Path("/e")
public class EventPageResource {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("dd/MM/yyyy HH:mm")
            .withZone(ZoneId.of("Europe/Rome"));

    private final Jdbc jdbc;
    private final java.time.Clock clock;

    EventPageResource(Jdbc jdbc, java.time.Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @GET
    @Path("{eventId}")
    @Produces(MediaType.TEXT_HTML)
    @Operation(summary = "An event's public page")
    public Response page(@PathParam("eventId") String eventId) {
        if (eventId == null || eventId.length() > 200) {
            return Pages.notFound();
        }
        Optional<AlertEvent> latest = jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT alert FROM event_revision WHERE event_id = ? ORDER BY revision DESC LIMIT 1")) {
                s.setString(1, eventId);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(Json.fromBytes(rows.getBytes(1), AlertEvent.class))
                            : Optional.empty();
                }
            }
        });
        if (latest.isEmpty()) {
            return Pages.notFound();
        }
        AlertEvent e = latest.get();
        java.time.Instant now = clock.instant();
        var body = new StringBuilder();
        if (e.test()) {
            body.append("<p><strong>PROVA / TEST</strong></p>\n");
        }
        boolean expired = e.expiresAt() != null && !e.expiresAt().isAfter(now);
        String status = switch (e.status()) {
            case ACTIVE -> expired ? "Scaduto <span lang=\"en\">/ Expired</span> " + WHEN.format(e.expiresAt())
                    : "In corso <span lang=\"en\">/ Ongoing</span>";
            case RESOLVED -> "Risolto <span lang=\"en\">/ Resolved</span>";
            case CANCELLED -> "Annullato <span lang=\"en\">/ Withdrawn</span>";
        };
        // Italian first (the page's language), each headline marked with its own language for screen readers
        Map.Entry<String, String> headline = Texts.pick(e.headline(), "it");
        String it = headline == null ? "" : headline.getValue();
        body.append("<h1");
        if (headline != null && !headline.getKey().equals("it")) {
            body.append(" lang=\"").append(Pages.escape(headline.getKey())).append('"');
        }
        body.append(">").append(Pages.escape(it)).append("</h1>\n");
        if (e.headline().containsKey("en") && !e.headline().get("en").equals(it)) {
            body.append("<p lang=\"en\"><strong>").append(Pages.escape(e.headline().get("en")))
                    .append("</strong></p>\n");
        }
        body.append("<dl>\n<dt>Stato <span lang=\"en\">/ Status</span></dt><dd>").append(status).append("</dd>\n");
        if (e.areaDescription() != null) {
            body.append("<dt>Zona <span lang=\"en\">/ Area</span></dt><dd>").append(Pages.escape(e.areaDescription()))
                    .append("</dd>\n");
        }
        if (e.startedAt() != null) {
            body.append("<dt>Inizio <span lang=\"en\">/ Start</span></dt><dd>").append(WHEN.format(e.startedAt()))
                    .append("</dd>\n");
        }
        if (e.expectedRestorationAt() != null && !e.status().ended() && !expired) {
            // what the end is called depends on the kind: a school reopens, a road is cleared
            body.append("<dt>").append(org.allerta.dispatcher.render.Renderer.expectedLabel("it", e.kind()))
                    .append(" <span lang=\"en\">/ ")
                    .append(org.allerta.dispatcher.render.Renderer.expectedLabel("en", e.kind()))
                    .append("</span></dt><dd>")
                    .append(WHEN.format(e.expectedRestorationAt()))
                    // an estimate the publisher has not renewed once it passed says so, rather than a time gone by
                    .append(e.expectedRestorationAt().isAfter(now) ? ""
                            : " (previsione superata, in attesa di aggiornamento <span lang=\"en\">/ estimate passed,"
                            + " awaiting an update</span>)")
                    .append("</dd>\n");
        }
        body.append("</dl>\n");
        // Italian first, as the page is, then the others in a fixed order
        var descriptions = new java.util.TreeMap<String, String>(java.util.Comparator
                .comparing((String language) -> !language.equals("it")).thenComparing(language -> language));
        descriptions.putAll(e.description());
        for (var description : descriptions.entrySet()) {
            body.append("<p style=\"white-space: pre-line\" lang=\"").append(Pages.escape(description.getKey()))
                    .append("\">")
                    .append(Pages.escape(description.getValue())).append("</p>\n");
        }
        if (e.receivedAt() != null) {
            body.append("<p><small>Aggiornato <span lang=\"en\">/ Updated</span> ").append(WHEN.format(e.receivedAt()))
                    .append(" (ora italiana / Italian time)</small></p>");
        }
        // the status and the estimate change: a browser or a cache in between asks again each time
        return Response.ok(Pages.page(it.isEmpty() ? "Allerta" : it, body.toString()))
                .header("Cache-Control", "no-cache").build();
    }
}
