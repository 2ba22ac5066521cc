package org.allerta.dispatcher.tracking;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.allerta.dispatcher.events.EventCounts;
import org.allerta.dispatcher.events.StatsPending;
import org.allerta.dispatcher.registry.Cards;
import org.allerta.dispatcher.registry.SubscriberService;
import org.allerta.service.Jdbc;
import org.allerta.service.outbox.Outbox;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The citizen's side of a job's token: the tracked link ({@code /r/}) records a click and leads to the event's public
 * page, the e-mail image ({@code /o/}) records an open, and {@code /u/} unsubscribes the channel the job went to
 * (GET shows a confirmation, POST does it: RFC 8058 one-click). A token is read back into its job id
 * ({@link Tokens}); a token issued before that scheme is looked up by its SHA-256.
 */
@Path("/")
public class TrackingResource {

    private static final byte[] PIXEL = Base64.getDecoder()
            .decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    private final Jdbc jdbc;
    private final Clock clock;
    private final Tokens tokens;
    private final StatsPending statsPending;
    private final Outbox outbox;

    /** The public address citizens reach the service at (behind a reverse proxy, not the request's own host). */
    private final String baseUrl;

    TrackingResource(Jdbc jdbc, Clock clock, Tokens tokens, StatsPending statsPending, Outbox outbox,
                     @ConfigProperty(name = "allerta.dispatcher.public-base-url") String baseUrl) {
        this.baseUrl = Pages.publicBase(baseUrl);
        this.outbox = outbox;
        this.jdbc = jdbc;
        this.statsPending = statsPending;
        this.clock = clock;
        this.tokens = tokens;
    }

    /** The condition that finds a token's job: its id read from the token, or a token of the earlier scheme. */
    private static final String BY_TOKEN = "(job_id = ? OR token_sha256 = ?)";

    private record Job(String eventId, String channelId) {
    }

    @GET
    @Path("r/{token}")
    @Operation(summary = "A tracked link: records the click and redirects to the event's public page")
    public Response click(@PathParam("token") String token, @Context jakarta.ws.rs.core.Request request,
                          @Context jakarta.ws.rs.core.HttpHeaders headers) {
        Optional<Job> job = byPerson(request, headers) ? mark(token, "clicked_at") : lookUp(token);
        if (job.isEmpty() || job.get().eventId() == null) {
            return Pages.notFound();
        }
        return Response.seeOther(URI.create(baseUrl + "/e/" + job.get().eventId())).cacheControl(noStore()).build();
    }

    @GET
    @Path("o/{token}.gif")
    @Produces("image/gif")
    @Operation(summary = "The e-mail open image: records the notice as read")
    public Response open(@PathParam("token") String token, @Context jakarta.ws.rs.core.Request request,
                         @Context jakarta.ws.rs.core.HttpHeaders headers) {
        if (byPerson(request, headers)) {
            mark(token, "read_at");
        }
        return Response.ok(PIXEL, "image/gif").cacheControl(noStore()).build();
    }

    /**
     * Link previews (a chat app showing what a link leads to), link checkers (HEAD) and prefetches are no one reading
     * or clicking: they are answered, and not counted.
     */
    static boolean byPerson(jakarta.ws.rs.core.Request request, jakarta.ws.rs.core.HttpHeaders headers) {
        if (!"GET".equals(request.getMethod())) {
            return false;
        }
        String purpose = headers.getHeaderString("Sec-Purpose") != null ? headers.getHeaderString("Sec-Purpose")
                : headers.getHeaderString("Purpose");
        if (purpose != null && purpose.toLowerCase(java.util.Locale.ROOT).contains("prefetch")) {
            return false;
        }
        String agent = headers.getHeaderString("User-Agent");
        return agent == null || !PREVIEWERS.matcher(agent).find();
    }

    /** The user agents of link previews and crawlers. */
    private static final java.util.regex.Pattern PREVIEWERS = java.util.regex.Pattern.compile(
            "TelegramBot|WhatsApp|facebookexternalhit|Facebot|Twitterbot|Slackbot|Discordbot|LinkedInBot"
                    + "|SkypeUriPreview|Googlebot|bingbot|Applebot|YandexBot|Mastodon|bot/|crawler|spider",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    @GET
    @Path("u/{token}")
    @Produces(MediaType.TEXT_HTML)
    @Operation(summary = "Unsubscribe: a page asking to confirm")
    public Response unsubscribePage(@PathParam("token") String token) {
        if (find(token).isEmpty()) {
            return Pages.notFound();
        }
        return Response.ok(Pages.page("Allerta", """
                <h1>Non ricevere più avvisi? <span lang="en">/ Stop notices?</span></h1>
                <p>Non riceverai più avvisi Allerta a questo indirizzo. Gli altri canali restano attivi.</p>
                <p lang="en">You will no longer receive Allerta notices at this address. Your other channels stay on.</p>
                <form method="post"><button type="submit">Conferma / Confirm</button></form>"""))
                .cacheControl(noStore()).build();
    }

    @POST
    @Path("u/{token}")
    @Produces(MediaType.TEXT_HTML)
    @Operation(summary = "Unsubscribe the channel this notice went to (RFC 8058 one-click)")
    public Response unsubscribe(@PathParam("token") String token) {
        Optional<Job> job = find(token);
        if (job.isEmpty()) {
            return Pages.notFound();
        }
        if (job.get().channelId() != null) {
            jdbc.inTransaction(c -> {
                // the batches under way end before the time that withdraws this channel's jobs is taken
                org.allerta.dispatcher.registry.ErasureFence.close(c);
                var owners = new java.util.ArrayList<java.util.UUID>();
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT subscriber_id FROM channel WHERE channel_id = ?::uuid")) {
                    s.setString(1, job.get().channelId());
                    try (ResultSet rows = s.executeQuery()) {
                        while (rows.next()) {
                            owners.add(rows.getObject(1, java.util.UUID.class));
                        }
                    }
                }
                Cards.lock(c, owners);
                Instant now = clock.instant();
                try (PreparedStatement s = c.prepareStatement("""
                        UPDATE channel SET unsubscribed_at = ? WHERE channel_id = ?::uuid AND unsubscribed_at IS NULL
                        RETURNING subscriber_id, type""")) {
                    s.setTimestamp(1, Timestamp.from(now));
                    s.setString(2, job.get().channelId());
                    try (ResultSet rows = s.executeQuery()) {
                        while (rows.next()) {
                            // the notices of this channel still queued are not sent either
                            SubscriberService.withdrawQueued(c, outbox, rows.getObject(1, java.util.UUID.class),
                                    org.allerta.contracts.Channel.valueOf(rows.getString(2)), now);
                        }
                    }
                }
                Cards.refresh(c, owners);
                return owners.size();
            });
        }
        return Response.ok(Pages.page("Allerta", """
                <h1>Fatto <span lang="en">/ Done</span></h1>
                <p>Non riceverai più avvisi a questo indirizzo.</p>
                <p lang="en">You will no longer receive notices at this address.</p>""")).cacheControl(noStore())
                .build();
    }

    /** The job of a tracked link's token, nothing recorded. */
    private Optional<Job> lookUp(String token) {
        return Tokens.wellFormed(token) ? job(token, tokens.jobId(token)) : Optional.empty();
    }

    /** The job of an unsubscribe token (or of a token issued before unsubscribe links had their own). */
    private Optional<Job> find(String token) {
        return Tokens.wellFormed(token) ? job(token, tokens.jobIdToUnsubscribe(token)) : Optional.empty();
    }

    /** The job that {@code jobId} (read from the token with its key) or the token's legacy hash names. */
    private Optional<Job> job(String token, Optional<java.util.UUID> jobId) {
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT event_id, channel_id FROM job WHERE " + BY_TOKEN)) {
                byToken(s, 1, token, jobId);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(new Job(rows.getString(1), rows.getString(2))) : Optional.empty();
                }
            }
        });
    }

    /**
     * Records the first time of a click or an open; either also means the notice was sent and delivered (it reached
     * its person), so that a notice first reported failed moves to delivered rather than out of every count.
     */
    private Optional<Job> mark(String token, String column) {
        if (!Tokens.wellFormed(token)) {
            return Optional.empty();
        }
        Optional<Job> job = jdbc.inTransaction(c -> {
            // the row locked and its first times read, so that only a first click or open is counted
            java.util.UUID jobId;
            Job found;
            String purpose;
            String channel;
            String change;
            EventCounts.Flags before;
            try (PreparedStatement s = c.prepareStatement("SELECT job_id, event_id, channel_id, purpose, channel,"
                    + " change, " + EventCounts.FLAGS + " FROM job WHERE " + BY_TOKEN + " FOR UPDATE")) {
                byToken(s, 1, token);
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.<Job>empty();
                    }
                    jobId = rows.getObject(1, java.util.UUID.class);
                    found = new Job(rows.getString(2), rows.getString(3));
                    purpose = rows.getString(4);
                    channel = rows.getString(5);
                    change = rows.getString(6);
                    before = EventCounts.Flags.of(rows, 7);
                }
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE job SET " + column + " = coalesce(" + column
                    + ", ?), sent_at = coalesce(sent_at, ?), delivered_at = coalesce(delivered_at, ?)"
                    + " WHERE job_id = ? RETURNING " + EventCounts.FLAGS)) {
                Timestamp now = Timestamp.from(clock.instant());
                s.setTimestamp(1, now);
                s.setTimestamp(2, now);
                s.setTimestamp(3, now);
                s.setObject(4, jobId);
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    var counts = new EventCounts();
                    counts.change(purpose, found.eventId(), channel, change, before, EventCounts.Flags.of(rows, 1));
                    counts.write(c);
                }
            }
            return Optional.of(found);
        });
        job.map(Job::eventId).ifPresent(eventId -> statsPending.touch(java.util.List.of(eventId)));
        return job;
    }

    private void byToken(PreparedStatement s, int index, String token) throws SQLException {
        byToken(s, index, token, tokens.jobId(token));
    }

    private static void byToken(PreparedStatement s, int index, String token, Optional<java.util.UUID> jobId)
            throws SQLException {
        if (jobId.isPresent()) {
            s.setObject(index, jobId.get());
        } else {
            s.setNull(index, java.sql.Types.OTHER);
        }
        s.setBytes(index + 1, Tokens.legacyHash(token));
    }

    private static CacheControl noStore() {
        var cache = new CacheControl();
        cache.setNoStore(true);
        return cache;
    }
}
