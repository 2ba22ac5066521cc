package org.allerta.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Revision {@code revision} of event {@code eventId}: the canonical form of every accepted input, on
 * {@code alerts.events} (key = event id). Revisions of one event strictly increase; a consumer keeps the newest
 * by {@link org.allerta.contracts.rules.RevisionOrder}.
 *
 * <p>{@code area} is a GeoJSON (RFC 7946) Polygon or MultiPolygon in EPSG:4326 (lon, lat), valid, with
 * counter-clockwise outer rings. A point on its boundary is inside.
 *
 * @param eventId               Allerta's id for the event (stable across revisions)
 * @param revision              1, 2, 3... per event
 * @param publisherId           who published it
 * @param publisherEventId      the publisher's own id for the event (CAP identifier for CAP input)
 * @param kind                  what it is about
 * @param status                ACTIVE, RESOLVED or CANCELLED
 * @param severity              CAP severity
 * @param urgency               CAP urgency
 * @param test                  a test or exercise: never reaches citizens
 * @param area                  the affected area (GeoJSON geometry)
 * @param areaDescription       the area in words ("Quartiere Cristo")
 * @param headline              short text per language tag ("it", "en")
 * @param description           longer text per language tag
 * @param startedAt             when the outage started, if known
 * @param expectedRestorationAt when service is expected back, if known
 * @param expiresAt             after this the event needs no more notices
 * @param sentAt                the publisher's own timestamp of this revision
 * @param receivedAt            when intake accepted this revision
 * @param references            CAP references (sender,identifier,sent) this revision follows
 * @param zone                  for ROAD_CLEARING: the zone and its status
 */
public record AlertEvent(
        String eventId,
        long revision,
        String publisherId,
        String publisherEventId,
        EventKind kind,
        EventStatus status,
        Severity severity,
        Urgency urgency,
        boolean test,
        JsonNode area,
        String areaDescription,
        Map<String, String> headline,
        Map<String, String> description,
        Instant startedAt,
        Instant expectedRestorationAt,
        Instant expiresAt,
        Instant sentAt,
        Instant receivedAt,
        List<String> references,
        ZoneRef zone) {

    public AlertEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(severity, "severity");
        if (revision < 1) {
            throw new IllegalArgumentException("revision must be >= 1");
        }
        urgency = urgency == null ? Urgency.UNKNOWN : urgency;
        headline = headline == null ? Map.of() : Map.copyOf(headline);
        description = description == null ? Map.of() : Map.copyOf(description);
        references = references == null ? List.of() : List.copyOf(references);
    }
}
