package org.allerta.intake.zone;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;
import org.allerta.contracts.ZoneRef;
import org.allerta.contracts.ZoneStatus;
import org.allerta.intake.event.EventInput;
import org.allerta.intake.event.EventRepository;
import org.allerta.intake.event.EventRepository.Current;
import org.allerta.intake.event.EventService;
import org.allerta.intake.event.Submission;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.GeoJson;
import org.allerta.service.geometry.OutageArea;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.intake.publisher.Remit;
import org.allerta.service.Jdbc;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;

/**
 * Snow-clearing zones. A zone is registered once (name and polygon); each status a crew posts becomes a revision of
 * the zone's open ROAD_CLEARING event: NOT_STARTED opens an event (the next snowfall opens a new one), IN_PROGRESS
 * revises it, CLEARED resolves and closes it. Posting the status the zone already has changes nothing.
 */
@ApplicationScoped
public class ZoneService {

    /** A zone as registered. */
    public record Zone(String zoneId, String name, JsonNode area, ZoneStatus status, String openEventId,
                       String lastEventId) {
    }

    private final Jdbc jdbc;
    private final EventService events;
    private final EventRepository repository;
    private final Remit remit;

    ZoneService(Jdbc jdbc, EventService events, EventRepository repository, Remit remit) {
        this.jdbc = jdbc;
        this.events = events;
        this.repository = repository;
        this.remit = remit;
    }

    /** Registers or changes zones; a zone with an open event gets a revision carrying its new area. */
    public List<Zone> register(PublisherRecord publisher, Map<String, ZoneDefinition> zones) {
        zones.values().forEach(z -> remit.check(publisher, EventKind.ROAD_CLEARING, "", z.area(), z.where()));
        return jdbc.inTransaction(c -> {
            var saved = new ArrayList<Zone>();
            for (var entry : zones.entrySet()) {
                saved.add(register(c, publisher, entry.getKey(), entry.getValue()));
            }
            return saved;
        });
    }

    private Zone register(Connection c, PublisherRecord publisher, String zoneId, ZoneDefinition definition)
            throws SQLException {
        Optional<Zone> existing = lock(c, publisher.publisherId(), zoneId);
        JsonNode area = GeoJson.write(definition.area().geometry());
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO zone (publisher_id, zone_id, name, area) VALUES (?, ?, ?, ?::jsonb)
                ON CONFLICT (publisher_id, zone_id) DO UPDATE SET name = excluded.name, area = excluded.area,
                    updated_at = now()""")) {
            s.setString(1, publisher.publisherId());
            s.setString(2, zoneId);
            s.setString(3, definition.name());
            s.setString(4, area.toString());
            s.executeUpdate();
        }
        if (existing.isPresent() && existing.get().openEventId() != null) {
            Current open = repository.lockById(c, existing.get().openEventId()).orElseThrow();
            // a zone opened in test mode stays a test until a status ends it (below)
            events.revise(c, publisher, open, input(zoneId, definition.name(), definition.area(),
                    existing.get().status(), open.alert().zone() == null ? null : open.alert().zone().note(),
                    open.alert().expectedRestorationAt(), open.alert().publisherEventId(), open.alert().test()));
        }
        return lock(c, publisher.publisherId(), zoneId).orElseThrow();
    }

    /** Applies a crew's status to a zone. */
    public Submission status(PublisherRecord publisher, String zoneId, ZoneStatus status, String note,
                             Instant expectedAt) {
        return jdbc.inTransaction(c -> {
            Zone zone = lock(c, publisher.publisherId(), zoneId)
                    .orElseThrow(() -> ProblemException.notFound("No zone " + zoneId + "; register it first with"
                            + " PUT /v1/zones/" + zoneId + "."));
            var issues = new ArrayList<Issue>();
            OutageArea area = new AreaValidator(1_000_000).read(zone.area(), "/zone/area", issues);
            if (area == null) {
                throw ProblemException.invalid("The zone's stored area is invalid.", issues);
            }
            if (status != ZoneStatus.CLEARED || zone.openEventId() == null) {
                // clearing an open zone only ends what was once allowed: a remit narrowed since (the season over,
                // the territory redrawn) must not leave its people told forever that their street waits
                remit.check(publisher, EventKind.ROAD_CLEARING, "", area, "/zone/area");
            }
            if (zone.openEventId() == null) {
                if (status == ZoneStatus.CLEARED) {
                    if (zone.lastEventId() != null && zone.status() == ZoneStatus.CLEARED) {
                        Current last = repository.lockById(c, zone.lastEventId()).orElseThrow();
                        return new Submission(last.eventId(), last.revision(), last.alert().status(),
                                Submission.Outcome.UNCHANGED, List.of());
                    }
                    throw ProblemException.conflict("zone-not-open", "Zone " + zoneId
                            + " has no open event to clear; post NOT_STARTED or IN_PROGRESS first.");
                }
                return openNext(c, publisher, zone, area, status, note, expectedAt);
            }
            Current open = repository.lockById(c, zone.openEventId()).orElseThrow();
            if (open.alert().test() && !publisher.testMode()) {
                // opened while the publisher was in test mode, which is over: the test ends as a test (nobody is
                // told), and what the crew posts from now on is real, a status that opens going out as a new event
                Submission ended = events.revise(c, publisher, open, input(zoneId, zone.name(), area,
                        ZoneStatus.CLEARED, null, null, open.alert().publisherEventId(), true));
                save(c, publisher.publisherId(), zoneId, ZoneStatus.CLEARED, null, open.eventId(),
                        countEvents(c, publisher.publisherId(), zoneId));
                return status == ZoneStatus.CLEARED ? ended
                        : openNext(c, publisher, zone, area, status, note, expectedAt);
            }
            Submission revised = events.revise(c, publisher, open, input(zoneId, zone.name(), area, status, note,
                    expectedAt, open.alert().publisherEventId(), false));
            save(c, publisher.publisherId(), zoneId, status, status == ZoneStatus.CLEARED ? null : open.eventId(),
                    open.eventId(), countEvents(c, publisher.publisherId(), zoneId));
            return revised;
        });
    }

    /** Opens the zone's next event (the next snowfall) with this status. */
    private Submission openNext(Connection c, PublisherRecord publisher, Zone zone, OutageArea area,
                                ZoneStatus status, String note, Instant expectedAt) throws SQLException {
        String zoneId = zone.zoneId();
        int next = countEvents(c, publisher.publisherId(), zoneId) + 1;
        Submission created = events.create(c, publisher, input(zoneId, zone.name(), area, status, note, expectedAt,
                "zone:" + zoneId + ":" + next, false));
        save(c, publisher.publisherId(), zoneId, status, created.eventId(), created.eventId(), next);
        return created;
    }

    /** {@code test}: a test whatever the publisher's mode (a zone opened in test mode); else as the mode says. */
    static EventInput input(String zoneId, String name, OutageArea area, ZoneStatus status, String note,
                            Instant expectedAt, String publisherEventId, boolean test) {
        Map<String, String> headline = switch (status) {
            case NOT_STARTED -> Map.of("it", "Sgombero neve non ancora iniziato: " + name,
                    "en", "Snow clearing not started yet: " + name);
            case IN_PROGRESS -> Map.of("it", "Sgombero neve in corso: " + name,
                    "en", "Snow clearing in progress: " + name);
            case CLEARED -> Map.of("it", "Strade sgomberate dalla neve: " + name,
                    "en", "Roads cleared of snow: " + name);
        };
        Map<String, String> description = note == null || note.isBlank() ? Map.of() : Map.of("it", note);
        return new EventInput(publisherEventId, EventKind.ROAD_CLEARING,
                status == ZoneStatus.CLEARED ? EventStatus.RESOLVED : EventStatus.ACTIVE, Severity.MODERATE,
                Urgency.EXPECTED, test, area, name, headline, description, null,
                status == ZoneStatus.CLEARED ? null : expectedAt, null, Instant.now(), List.of(),
                new ZoneRef(zoneId, name, status, note, expectedAt));
    }

    private static Optional<Zone> lock(Connection c, String publisherId, String zoneId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT zone_id, name, area, status, open_event_id,"
                + " last_event_id FROM zone WHERE publisher_id = ? AND zone_id = ? FOR UPDATE")) {
            s.setString(1, publisherId);
            s.setString(2, zoneId);
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                String status = rows.getString(4);
                return Optional.of(new Zone(rows.getString(1), rows.getString(2),
                        Json.fromBytes(rows.getBytes(3), JsonNode.class),
                        status == null ? null : ZoneStatus.valueOf(status), rows.getString(5), rows.getString(6)));
            }
        }
    }

    private static int countEvents(Connection c, String publisherId, String zoneId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT events FROM zone WHERE publisher_id = ? AND zone_id = ?")) {
            s.setString(1, publisherId);
            s.setString(2, zoneId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getInt(1) : 0;
            }
        }
    }

    private static void save(Connection c, String publisherId, String zoneId, ZoneStatus status, String openEventId,
                             String lastEventId, int events) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE zone SET status = ?, open_event_id = ?,"
                + " last_event_id = ?, events = ?, updated_at = now() WHERE publisher_id = ? AND zone_id = ?")) {
            s.setString(1, status.name());
            s.setString(2, openEventId);
            s.setString(3, lastEventId);
            s.setInt(4, events);
            s.setString(5, publisherId);
            s.setString(6, zoneId);
            s.executeUpdate();
        }
    }
}
