package org.allerta.intake.event;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;
import org.allerta.contracts.ZoneRef;
import org.allerta.service.geometry.OutageArea;

/**
 * A publisher's input, validated and normalised, before it is versioned: what a GeoJSON Feature, a CAP alert or a
 * zone status change says about one event.
 */
public record EventInput(
        String publisherEventId,
        EventKind kind,
        EventStatus status,
        Severity severity,
        Urgency urgency,
        boolean test,
        OutageArea area,
        String areaDescription,
        Map<String, String> headline,
        Map<String, String> description,
        Instant startedAt,
        Instant expectedRestorationAt,
        Instant expiresAt,
        Instant sentAt,
        List<String> references,
        ZoneRef zone) {

    public EventInput {
        headline = headline == null ? Map.of() : Map.copyOf(headline);
        description = description == null ? Map.of() : Map.copyOf(description);
        references = references == null ? List.of() : List.copyOf(references);
    }

    /** The same input with another status (a CAP Cancel, a cleared zone). */
    public EventInput withStatus(EventStatus newStatus) {
        return new EventInput(publisherEventId, kind, newStatus, severity, urgency, test, area, areaDescription,
                headline, description, startedAt, expectedRestorationAt, expiresAt, sentAt, references, zone);
    }

    /** The same input sent at another moment (a CAP message cancelled by a later Cancel kept for it). */
    public EventInput withSentAt(Instant newSentAt) {
        return new EventInput(publisherEventId, kind, status, severity, urgency, test, area, areaDescription,
                headline, description, startedAt, expectedRestorationAt, expiresAt, newSentAt, references, zone);
    }

    /** The same input under another publisher event id. */
    public EventInput withPublisherEventId(String id) {
        return new EventInput(id, kind, status, severity, urgency, test, area, areaDescription, headline,
                description, startedAt, expectedRestorationAt, expiresAt, sentAt, references, zone);
    }
}
