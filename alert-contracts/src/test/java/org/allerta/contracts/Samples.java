package org.allerta.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builders of contract records for tests. */
public final class Samples {

    public static final Instant T0 = Instant.parse("2026-11-28T08:00:00Z");

    private Samples() {
    }

    public static JsonNode square(double lon, double lat, double side) {
        return Json.mapper().createObjectNode().put("type", "Polygon").set("coordinates",
                Json.mapper().valueToTree(List.of(List.of(
                        List.of(lon, lat), List.of(lon + side, lat), List.of(lon + side, lat + side),
                        List.of(lon, lat + side), List.of(lon, lat)))));
    }

    public static EventBuilder anOutage() {
        return new EventBuilder();
    }

    /** Builds {@link AlertEvent}s: {@code anOutage().revision(2).restorationAt(t).build()}. */
    public static final class EventBuilder {
        private String eventId = "ev-1";
        private long revision = 1;
        private EventKind kind = EventKind.POWER_OUTAGE;
        private EventStatus status = EventStatus.ACTIVE;
        private Severity severity = Severity.MODERATE;
        private Urgency urgency = Urgency.EXPECTED;
        private boolean test;
        private Map<String, String> headline = Map.of("it", "Interruzione di corrente", "en", "Power outage");
        private Instant restoration = T0.plusSeconds(7200);
        private Instant sentAt = T0;
        private ZoneRef zone;

        public EventBuilder id(String id) { this.eventId = id; return this; }
        public EventBuilder revision(long r) { this.revision = r; return this; }
        public EventBuilder kind(EventKind k) { this.kind = k; return this; }
        public EventBuilder status(EventStatus s) { this.status = s; return this; }
        public EventBuilder severity(Severity s) { this.severity = s; return this; }
        public EventBuilder urgency(Urgency u) { this.urgency = u; return this; }
        public EventBuilder test(boolean t) { this.test = t; return this; }
        public EventBuilder headline(Map<String, String> h) { this.headline = h; return this; }
        public EventBuilder restorationAt(Instant t) { this.restoration = t; return this; }
        public EventBuilder sentAt(Instant t) { this.sentAt = t; return this; }
        public EventBuilder zone(ZoneStatus s) {
            this.kind = EventKind.ROAD_CLEARING;
            this.zone = new ZoneRef("zone-4", "Zona 4 - Cristo", s, null, null);
            return this;
        }

        public AlertEvent build() {
            return new AlertEvent(eventId, revision, "pub-1", "OMS-42", kind, status, severity, urgency, test,
                    square(8.60, 44.90, 0.01), "Quartiere Cristo", headline,
                    Map.of("it", "Guasto sulla linea MT", "en", "Fault on the MV line"), T0.minusSeconds(600),
                    restoration, T0.plusSeconds(86_400), sentAt, T0.plusSeconds(1), List.of(), zone);
        }
    }

    /** One valid instance of every contract record on a topic. */
    public static List<Object> everyRecord() {
        return List.of(
                new Publisher("pub-1", "Rete Elettrica Alessandria", "a".repeat(64),
                        Set.of(EventKind.POWER_OUTAGE), square(8.5, 44.8, 0.3), 5000, false, true, T0),
                anOutage().zone(ZoneStatus.IN_PROGRESS).build(),
                new SubscriberPlaces("sub-1", List.of(
                        new SubscriberPlaces.Place("pl-1", PlaceCategory.HOME, "Via Dazio 90/H, Alessandria", null),
                        new SubscriberPlaces.Place("pl-2", PlaceCategory.SCHOOL, null, new LonLat(8.615, 44.913))),
                        Set.of(EventKind.POWER_OUTAGE, EventKind.ROAD_CLEARING), true, T0),
                new SubscriberErased("sub-2", T0),
                new SubscriberErased("sub-3", T0, Channel.SMS),
                new PlaceGeocoded("sub-1", "pl-1", GeocodingStatus.RESOLVED, new LonLat(8.6123, 44.9101),
                        "Via Dazio 90/H, 15121 Alessandria", 0.93, null, T0),
                new MatchChange("ev-1", 2, "sub-1", Change.AFFECTED, List.of("pl-1"), true, T0),
                new MatchProgress("ev-1", 2, ProgressPhase.FINISHED, Map.of(Change.AFFECTED, 10L, Change.UPDATED, 3L),
                        14, T0),
                new NotificationJob("job-1", JobPurpose.NOTICE, Channel.EMAIL, "ev-1", 2L, Change.AFFECTED, "sub-1",
                        "giulia@example.org", "it", "Interruzione di corrente", "Ciao Giulia", "<p>Ciao Giulia</p>",
                        Map.of("List-Unsubscribe", "<https://example.org/u/x>"), "https://example.org/r/x", true,
                        T0.plusSeconds(3600), T0),
                new Receipt("job-1", Channel.EMAIL, "ev-1", ReceiptStatus.FAILED, "EXPIRED", null, 3, T0),
                new ChannelBacklog(Channel.SMS, "ev-1", 1200, 5.0, 240.0, T0),
                new ChannelBacklog(Channel.SMS, null, 4800, 20.0, 240.0, T0, Map.of(0, 1500L, 1, 1480L),
                        Map.of(0, 3900L, 1, 3880L)),
                new EventStats("ev-1", 2, 100, Map.of(Channel.SMS, 60L, Channel.EMAIL, 40L),
                        Map.of(Change.AFFECTED, 100L), 5, 2, 0, 95, 90, 1, 0, 40, 12, Map.of(Channel.SMS, 5L),
                        Map.of(Channel.SMS, 1.0), T0),
                new DeadLetter("dl-1", Topics.INTAKE_RAW, "alert-intake", "OMS-42",
                        List.of(new DeadLetter.Problem("bad-signature", "header:allerta-signature",
                                "the signature does not match the payload")),
                        "{\"type\":\"Feature\"}", "utf-8", Map.of("allerta-publisher", "pub-1"), 0, 17L, T0),
                // every way a dead letter keeps its payload (RecordProducer.kept and the jobs' letters)
                new DeadLetter("dl-2", Topics.ALERTS_MATCHES, "dispatcher", null,
                        List.of(new DeadLetter.Problem("unparseable", "payload", "not JSON")),
                        "AAEC/w==", "base64", Map.of(), 2, 18L, T0),
                new DeadLetter("dl-3", Topics.ALERTS_EVENTS, "geo-matcher", "ev-1",
                        List.of(new DeadLetter.Problem("record-too-large", "payload", "over 64 KiB")),
                        "sha256:" + "ab".repeat(32), "digest", Map.of(), 1, 19L, T0),
                new DeadLetter("dl-4", Topics.JOBS_PREFIX + "sms", "notification-sender", "job-1",
                        List.of(new DeadLetter.Problem("unparseable", "payload", "not a job")),
                        "sha256:" + "cd".repeat(32), "redacted", Map.of(), 0, 20L, T0));
    }
}
