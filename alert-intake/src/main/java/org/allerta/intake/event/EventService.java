package org.allerta.intake.event;

import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.contracts.rules.RevisionOrder;
import org.allerta.intake.event.EventRepository.Current;
import org.allerta.intake.event.Submission.Outcome;
import org.allerta.service.geometry.GeoJson;
import org.allerta.service.outbox.Outbox;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.intake.publisher.Remit;
import org.allerta.service.Jdbc;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;

/**
 * Turns accepted inputs into revisions: authorises them against the publisher's remit, then, in one PostgreSQL
 * transaction, locks the event, refuses a stale input (409), recognises an identical repeat (no new revision), or
 * stores revision n+1 together with its outbox record for {@code alerts.events}. Concurrent inputs for one event are
 * serialised by the row lock (and, for the very first revision, by the unique key, with a retry), so no revision is
 * lost or duplicated.
 */
@ApplicationScoped
public class EventService {

    private final Jdbc jdbc;
    private final EventRepository events;
    private final Outbox outbox;
    private final Remit remit;

    EventService(Jdbc jdbc, EventRepository events, Outbox outbox, Remit remit) {
        this.jdbc = jdbc;
        this.events = events;
        this.outbox = outbox;
        this.remit = remit;
    }

    /**
     * True when the input ends an active event of the same kind over its area (or a part of it), or says again the end
     * it had, in the same words (a retry of the end, answered as a repeat). A new wording of an end already told is a
     * change like any other, checked against the remit.
     */
    public static boolean endsAsItStands(Optional<Current> current, EventInput input) {
        if (current.isEmpty()) {
            return false;
        }
        AlertEvent now = current.get().alert();
        boolean sameEnd = now.status() == input.status()
                && now.headline().equals(input.headline() == null ? Map.of() : input.headline())
                && now.description().equals(input.description() == null ? Map.of() : input.description())
                && java.util.Objects.equals(now.areaDescription(), input.areaDescription());
        return (now.status() == EventStatus.ACTIVE || sameEnd) && now.kind() == input.kind()
                && within(input, now);
    }

    /**
     * Whether the input's area lies within the event's as it stands: the same area written again (its ring from
     * another vertex, a point added on an edge, as a publisher's system exports it anew) or a part of it.
     */
    private static boolean within(EventInput input, AlertEvent now) {
        if (GeoJson.write(input.area().geometry()).equals(now.area())) {
            return true;
        }
        var stood = new org.allerta.service.geometry.AreaValidator(Integer.MAX_VALUE).read(now.area(), "/area",
                new java.util.ArrayList<>());
        return stood != null && stood.geometry().covers(input.area().geometry());
    }

    /** Authorises and versions one input under the publisher's own event id. */
    public Submission submit(PublisherRecord publisher, EventInput input) {
        boolean ending = input.status() != EventStatus.ACTIVE;
        if (!ending) {
            remit.check(publisher, input.kind(), "/properties/kind", input.area(), "/geometry");
        }
        return jdbc.inTransactionRetryingConflicts(c -> {
            lock(c, publisher.publisherId() + "\u001f" + input.publisherEventId());
            Optional<Current> current = events.lockByPublisherId(c, publisher.publisherId(), input.publisherEventId());
            if (ending && !endsAsItStands(current, input)) {
                remit.check(publisher, input.kind(), "/properties/kind", input.area(), "/geometry");
            }
            // the end of an active event, of its kind and over its area, is not checked against the remit: it ends
            // what was allowed when it began, and a remit narrowed since must not leave its people told that the
            // outage goes on
            return current.isPresent() ? revise(c, publisher, current.get(), input) : create(c, publisher, input);
        });
    }

    /**
     * Serialises every input for one key until the transaction ends (a transaction-scoped advisory lock), so that
     * concurrent first revisions of the same event wait for each other instead of colliding.
     */
    public static void lock(Connection c, String key) throws SQLException {
        try (var s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            s.setString(1, key);
            s.execute();
        }
    }

    /** How far ahead of this server's clock a publisher's {@code sentAt} may be (clocks drift). */
    static final Duration CLOCK_TOLERANCE = Duration.ofMinutes(5);

    /**
     * Refuses a {@code sentAt} in the future: it would become the event's latest, and every later update or cancel
     * sent before it (a desk tool's local time labelled as UTC, say) would be refused as stale until that moment.
     */
    private static void notFromTheFuture(EventInput input) {
        notFromTheFuture(input.sentAt(), "/properties/sentAt");
    }

    /** Refuses a message stamped ahead of this server's clock by more than the tolerance ({@code where} names it). */
    public static void notFromTheFuture(Instant sentAt, String where) {
        Instant now = Instant.now();
        if (sentAt != null && sentAt.isAfter(now.plus(CLOCK_TOLERANCE))) {
            throw ProblemException.invalid("The input was sent in the future.", List.of(Issue.of("sent-in-future",
                    where, "sentAt " + sentAt + " is more than " + CLOCK_TOLERANCE.toMinutes()
                            + " minutes ahead of this server's clock (" + now + "): check the sender's"
                            + " clock and time zone.")));
        }
    }

    /** Stores revision 1 of a new event (inside the caller's transaction). */
    public Submission create(Connection c, PublisherRecord publisher, EventInput input) throws SQLException {
        notFromTheFuture(input);
        AlertEvent alert = alert(UUID.randomUUID().toString(), 1, publisher, input);
        byte[] json = fitting(Json.toBytes(alert));
        events.insert(c, alert, json, contentSha256(alert));
        emit(c, alert, json);
        return new Submission(alert.eventId(), 1, alert.status(), Outcome.CREATED, input.area().normalisations());
    }

    /** Stores revision n+1 of a locked event, or recognises a repeat, or refuses a stale input. */
    public Submission revise(Connection c, PublisherRecord publisher, Current current, EventInput input)
            throws SQLException {
        notFromTheFuture(input);
        if (RevisionOrder.isStale(input.sentAt(), current.sentAt())) {
            throw ProblemException.conflict("stale-revision", "This input was sent at " + input.sentAt()
                    + ", before the revision already accepted (sent at " + current.sentAt() + "); it is ignored.");
        }
        if (current.alert().status() != EventStatus.ACTIVE && input.status() == EventStatus.ACTIVE) {
            // an ended event does not start again: those told it was over would be told it is on again by what is,
            // as often as not, a late retry of an earlier message; an outage that is back is a new event
            throw ProblemException.conflict("event-ended", "Event " + current.eventId() + " has ended ("
                    + current.alert().status() + "); it does not become active again. If the outage is back, "
                    + "publish it as a new event (another publisherEventId).");
        }
        AlertEvent candidate = alert(current.eventId(), current.revision() + 1, publisher,
                input.withPublisherEventId(current.alert().publisherEventId()));
        if (candidate.test() != current.alert().test()) {
            // a test never becomes real nor the reverse: citizens told of a real outage would miss its end, and a
            // test's first notices, withheld, would never be sent when it turned real
            throw ProblemException.invalid("A test and a real event do not follow each other.", List.of(
                    org.allerta.service.problem.Problem.Issue.of("test-mismatch", "/properties/test",
                            "Event " + current.eventId() + " is " + (current.alert().test() ? "a test" : "real")
                                    + "; this revision would make it " + (candidate.test() ? "a test" : "real")
                                    + (publisher.testMode() ? " (the publisher is in test mode)" : "")
                                    + ". Publish a new event instead.")));
        }
        String hash = contentSha256(candidate);
        // a repeat: the publisher said the same again, later (an older message arriving after it is stale all the
        // same); or, sent at the same moment as the latest, what an earlier revision said (a retry, a replay, a batch
        // read again after a crash), not a change back to it
        if (hash.equals(current.contentSha256()) || (input.sentAt() != null
                && !RevisionOrder.isStale(current.sentAt(), input.sentAt())
                && repeatsAnEarlierRevision(c, current, input.sentAt(), hash))) {
            if (input.sentAt() != null) {
                // no later than the stored sentAt for the second kind: changes nothing there
                events.advanceSentAt(c, current.eventId(), input.sentAt());
            }
            return new Submission(current.eventId(), current.revision(), current.alert().status(), Outcome.UNCHANGED,
                    input.area().normalisations());
        }
        byte[] json = fitting(Json.toBytes(candidate));
        events.update(c, candidate, json, hash);
        emit(c, candidate, json);
        return new Submission(candidate.eventId(), candidate.revision(), candidate.status(), Outcome.REVISED,
                input.area().normalisations());
    }

    private boolean repeatsAnEarlierRevision(Connection c, Current current, Instant sentAt, String hash)
            throws SQLException {
        for (AlertEvent earlier : events.earlierSentAt(c, current.eventId(), current.revision(), sentAt)) {
            if (hash.equals(contentSha256(earlier))) {
                return true;
            }
        }
        return false;
    }

    /** The latest revision of an event, for its publisher or the admin (null publisher); 404 otherwise. */
    public AlertEvent get(String eventId, String publisherId) {
        return jdbc.inTransaction(c -> events.byId(c, eventId))
                .filter(e -> publisherId == null || publisherId.equals(e.publisherId()))
                .orElseThrow(() -> ProblemException.notFound("No event " + eventId + "."));
    }

    /**
     * The largest event record accepted (bytes of its JSON): below the broker's limit for one record (1 MB by
     * default), headers included. An event past it could never leave the outbox, and would hold back every event
     * behind it; it is refused instead. CAP circles become polygons and every language its own texts, so an input
     * under the body limit may still make an event past this one.
     */
    static final int MAX_EVENT_BYTES = 900 * 1024;

    private static byte[] fitting(byte[] json) {
        if (json.length > MAX_EVENT_BYTES) {
            throw ProblemException.invalid("The event would take " + json.length + " bytes once written, more than "
                    + "the " + MAX_EVENT_BYTES + " an event may take: simplify its area (fewer vertices or circles) "
                    + "or shorten its texts.", List.of(org.allerta.service.problem.Problem.Issue.of(
                    "event-too-large", "", json.length + " bytes; at most " + MAX_EVENT_BYTES)));
        }
        return json;
    }

    private void emit(Connection c, AlertEvent alert, byte[] json) throws SQLException {
        outbox.add(c, Topics.ALERTS_EVENTS, alert.eventId(), AlertEvent.class, json,
                alert.eventId() + "/" + alert.revision(), alert.eventId());
    }

    private static AlertEvent alert(String eventId, long revision, PublisherRecord publisher, EventInput input) {
        return new AlertEvent(eventId, revision, publisher.publisherId(), input.publisherEventId(), input.kind(),
                input.status(), input.severity(), input.urgency(), input.test() || publisher.testMode(),
                GeoJson.write(input.area().geometry()), input.areaDescription(), input.headline(),
                input.description(), input.startedAt(), input.expectedRestorationAt(), input.expiresAt(),
                input.sentAt(), Instant.now(), input.references(), input.zone());
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper CANONICAL = Json.mapper().copy()
            .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** What makes two revisions the same: everything but ids, revision number and timestamps of sending. */
    static String contentSha256(AlertEvent a) {
        AlertEvent content = new AlertEvent("-", 1, a.publisherId(), a.publisherEventId(), a.kind(), a.status(),
                a.severity(), a.urgency(), a.test(), a.area(), a.areaDescription(), a.headline(), a.description(),
                a.startedAt(), a.expectedRestorationAt(), a.expiresAt(), null, null, List.of(), a.zone());
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                    CANONICAL.writeValueAsBytes(content)));
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
