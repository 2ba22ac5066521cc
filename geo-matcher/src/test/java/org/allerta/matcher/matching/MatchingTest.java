package org.allerta.matcher.matching;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.MatchProgress;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.ProgressPhase;
import org.allerta.contracts.Severity;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.contracts.Urgency;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.junit.jupiter.api.Test;

/** The lifecycle of one event against known places, on the real broker and PostGIS. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class MatchingTest {

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final Instant t0 = Instant.parse("2026-11-28T08:00:00Z");

    private String id(String name) {
        return name + "-" + run;
    }

    private static void send(String topic, String key, Object value) throws Exception {
        TopicWriter.send(topic, key, Json.toBytes(value));
    }

    private void subscriber(String name, double lon, double lat, Set<EventKind> kinds, boolean priority)
            throws Exception {
        String subscriberId = id(name);
        send(Topics.SUBSCRIBERS_PLACES, subscriberId, new SubscriberPlaces(subscriberId,
                List.of(new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(lon, lat))), kinds,
                priority, Instant.now()));
    }

    /** A subscriber following power cuts with three places, "home", "work" and "far"; returns their id. */
    private String homeWorkAndFar(String name, LonLat home, LonLat work, LonLat far) throws Exception {
        String subscriberId = id(name);
        send(Topics.SUBSCRIBERS_PLACES, subscriberId, new SubscriberPlaces(subscriberId, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, home),
                new SubscriberPlaces.Place("work", PlaceCategory.WORK, null, work),
                new SubscriberPlaces.Place("far", PlaceCategory.OTHER, null, far)),
                Set.of(EventKind.POWER_OUTAGE), false, Instant.now()));
        return subscriberId;
    }

    private static JsonNode polygon(double[][]... rings) {
        var coordinates = Json.mapper().createArrayNode();
        for (double[][] ring : rings) {
            var r = coordinates.addArray();
            for (double[] p : ring) {
                r.addArray().add(p[0]).add(p[1]);
            }
        }
        return Json.mapper().createObjectNode().put("type", "Polygon").set("coordinates", coordinates);
    }

    private static double[][] box(double x0, double y0, double x1, double y1) {
        return new double[][] {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
    }

    private static double[][] clockwise(double[][] ring) {
        double[][] reversed = new double[ring.length][];
        for (int i = 0; i < ring.length; i++) {
            reversed[i] = ring[ring.length - 1 - i];
        }
        return reversed;
    }

    private AlertEvent event(String eventId, long revision, EventKind kind, Severity severity, EventStatus status,
                             JsonNode area, Instant restoration, Instant sentAt) {
        return new AlertEvent(eventId, revision, "pub", "p-" + eventId, kind, status, severity, Urgency.EXPECTED,
                false, area, "test", Map.of("it", "Guasto"), Map.of(), null, restoration, null, sentAt, sentAt,
                List.of(), null);
    }

    /** Publishes a revision and returns, once its matching FINISHED, the changes per subscriber name. */
    private Map<String, Change> publish(AlertEvent event, TopicReader matches, TopicReader progress,
                                        Map<String, Instant> decidedAt) throws Exception {
        send(Topics.ALERTS_EVENTS, event.eventId(), event);
        var finished = progress.await(r -> {
            MatchProgress p = Json.fromBytes(r.value(), MatchProgress.class);
            return p.eventId().equals(event.eventId()) && p.revision() == event.revision()
                    && p.phase() == ProgressPhase.FINISHED;
        }, 1, Duration.ofSeconds(60));
        long expected = Json.fromBytes(finished.get(0).value(), MatchProgress.class).subscribers();
        var records = matches.await(r -> {
            MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
            return m.eventId().equals(event.eventId()) && m.revision() == event.revision();
        }, (int) expected, Duration.ofSeconds(30));
        var changes = new HashMap<String, Change>();
        for (var r : records) {
            MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
            String name = m.subscriberId().substring(0, m.subscriberId().lastIndexOf('-'));
            assertThat(changes.put(name, m.change())).as("one change per subscriber and revision").isNull();
            if (decidedAt != null) {
                decidedAt.put(name, m.at());
            }
        }
        return changes;
    }

    @Test
    void followsAnEventThroughItsLifecycle() throws Exception {
        Set<EventKind> power = Set.of(EventKind.POWER_OUTAGE);
        subscriber("inside", 8.605, 44.908, power, false);
        subscriber("water-only", 8.606, 44.906, Set.of(EventKind.WATER_OUTAGE), false);
        subscriber("outside", 8.650, 44.950, power, false);
        subscriber("boundary", 8.600, 44.905, power, false);
        subscriber("vertex", 8.600, 44.900, power, false);
        subscriber("priority", 8.607, 44.907, power, true);
        subscriber("in-hole", 8.603, 44.903, power, false);
        Thread.sleep(3000);

        String eventId = id("ev");
        JsonNode withHole = polygon(box(8.60, 44.90, 8.61, 44.91), clockwise(box(8.602, 44.902, 8.604, 44.904)));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            var decidedAt = new HashMap<String, Instant>();
            Map<String, Change> r1 = publish(event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, withHole, t0.plusSeconds(3600), t0), matches, progress, decidedAt);
            assertThat(r1).isEqualTo(Map.of("inside", Change.AFFECTED, "boundary", Change.AFFECTED,
                    "vertex", Change.AFFECTED, "priority", Change.AFFECTED));
            Instant prioritised = decidedAt.remove("priority");
            assertThat(decidedAt.values()).as("prioritised first").allMatch(at -> at.isAfter(prioritised));

            Map<String, Change> r2 = publish(event(eventId, 2, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, withHole, t0.plusSeconds(7200), t0.plusSeconds(60)), matches, progress, null);
            assertThat(r2).as("a new restoration estimate is material").isEqualTo(Map.of("inside", Change.UPDATED,
                    "boundary", Change.UPDATED, "vertex", Change.UPDATED, "priority", Change.UPDATED));

            JsonNode grown = polygon(box(8.60, 44.90, 8.66, 44.96), clockwise(box(8.602, 44.902, 8.604, 44.904)));
            Map<String, Change> r3 = publish(event(eventId, 3, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, grown, t0.plusSeconds(7200), t0.plusSeconds(120)), matches, progress, null);
            assertThat(r3).as("only the newly covered").isEqualTo(Map.of("outside", Change.AFFECTED));

            JsonNode shrunk = polygon(box(8.60, 44.90, 8.61, 44.91));
            Map<String, Change> r4 = publish(event(eventId, 4, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, shrunk, t0.plusSeconds(7200), t0.plusSeconds(180)), matches, progress, null);
            assertThat(r4).isEqualTo(Map.of("outside", Change.NO_LONGER_AFFECTED, "in-hole", Change.AFFECTED));

            send(Topics.ALERTS_EVENTS, eventId, event(eventId, 3, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, grown, t0.plusSeconds(7200), t0.plusSeconds(120)));
            decidedAt.clear();
            Map<String, Change> r5 = publish(event(eventId, 5, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.RESOLVED, shrunk, t0.plusSeconds(7200), t0.plusSeconds(240)), matches, progress,
                    decidedAt);
            assertThat(r5).as("exactly those told AFFECTED; the stale revision 3 changed nothing").isEqualTo(Map.of(
                    "inside", Change.RESOLVED, "boundary", Change.RESOLVED, "vertex", Change.RESOLVED,
                    "priority", Change.RESOLVED, "in-hole", Change.RESOLVED));
            Instant prioritisedResolved = decidedAt.remove("priority");
            assertThat(decidedAt.values()).as("prioritised first when it is over too")
                    .allMatch(at -> at.isAfter(prioritisedResolved));
            assertThat(matches.drain(Duration.ofSeconds(1)).stream()
                    .map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId) && m.revision() == 3)
                    .collect(Collectors.toList())).as("revision 3 was matched once").hasSize(1);
        }
    }

    /**
     * An area in two parts (a MultiPolygon): the people of both parts are told; the part dropped by an update lets its
     * people go; the part coming back tells them again, as a new notice (rule 3); a cancellation ends it for exactly
     * those told (rule 4). Each revision's matching is announced STARTED before its changes, then FINISHED.
     */
    @Test
    void anAreaInTwoPartsLetsAPartGoTakesItBackAndIsCancelled() throws Exception {
        Set<EventKind> gas = Set.of(EventKind.GAS_OUTAGE);
        subscriber("north", 9.405, 44.525, gas, false);
        subscriber("south", 9.405, 44.505, gas, false);
        subscriber("between", 9.405, 44.515, gas, false);
        subscriber("south-water", 9.406, 44.506, Set.of(EventKind.WATER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(id("north"))
                && stored(id("south")) && stored(id("between")) && stored(id("south-water")));
        String eventId = id("parts");
        JsonNode both = multiPolygon(box(9.40, 44.52, 9.41, 44.53), box(9.40, 44.50, 9.41, 44.51));
        JsonNode northOnly = multiPolygon(box(9.40, 44.52, 9.41, 44.53));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(eventId, 1, EventKind.GAS_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, both,
                    null, t0), matches, progress, null))
                    .isEqualTo(Map.of("north", Change.AFFECTED, "south", Change.AFFECTED));
            assertThat(publish(event(eventId, 2, EventKind.GAS_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                    northOnly, null, t0.plusSeconds(60)), matches, progress, null))
                    .isEqualTo(Map.of("south", Change.NO_LONGER_AFFECTED));
            assertThat(publish(event(eventId, 3, EventKind.GAS_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, both,
                    null, t0.plusSeconds(120)), matches, progress, null))
                    .as("back inside: told again").isEqualTo(Map.of("south", Change.AFFECTED));
            assertThat(publish(event(eventId, 4, EventKind.GAS_OUTAGE, Severity.MODERATE, EventStatus.CANCELLED,
                    both, null, t0.plusSeconds(180)), matches, progress, null))
                    .isEqualTo(Map.of("north", Change.RESOLVED, "south", Change.RESOLVED));
            var phases = progress.drain(Duration.ofSeconds(1)).stream()
                    .map(r -> Json.fromBytes(r.value(), MatchProgress.class))
                    .filter(p -> p.eventId().equals(eventId)).toList();
            for (long revision = 1; revision <= 4; revision++) {
                long rev = revision;
                assertThat(phases.stream().filter(p -> p.revision() == rev).map(MatchProgress::phase))
                        .as("revision %d announced STARTED, then FINISHED", rev)
                        .containsExactly(ProgressPhase.STARTED, ProgressPhase.FINISHED);
            }
        }
    }

    private static JsonNode multiPolygon(double[][]... parts) {
        var coordinates = Json.mapper().createArrayNode();
        for (double[][] ring : parts) {
            coordinates.add(polygon(ring).get("coordinates"));
        }
        return Json.mapper().createObjectNode().put("type", "MultiPolygon").set("coordinates", coordinates);
    }

    @Test
    void aPlaceAddedDuringAnActiveEventIsToldAtOnce() throws Exception {
        String eventId = id("late");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            publish(event(eventId, 1, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                    polygon(box(8.80, 44.70, 8.81, 44.71)), null, t0), matches, progress, null);
            subscriber("late", 8.805, 44.705, Set.of(EventKind.WATER_OUTAGE), false);
            subscriber("late-other-kind", 8.806, 44.706, Set.of(EventKind.GAS_OUTAGE), false);
            var told = matches.await(r -> {
                MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
                return m.eventId().equals(eventId) && m.subscriberId().equals(id("late"));
            }, 1, Duration.ofSeconds(30));
            MatchChange change = Json.fromBytes(told.get(0).value(), MatchChange.class);
            assertThat(change.change()).isEqualTo(Change.AFFECTED);
            assertThat(change.revision()).isEqualTo(1);
            assertThat(change.placeIds()).containsExactly("home");
            assertThat(matches.drain(Duration.ofSeconds(2)).stream().map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId) && m.subscriberId().equals(id("late-other-kind"))))
                    .as("kinds still apply").isEmpty();

            Map<String, Change> resolved = publish(event(eventId, 2, EventKind.WATER_OUTAGE, Severity.MODERATE,
                    EventStatus.RESOLVED, polygon(box(8.80, 44.70, 8.81, 44.71)), null, t0.plusSeconds(60)),
                    matches, progress, null);
            assertThat(resolved).as("the late arrival is told it is over").isEqualTo(Map.of("late", Change.RESOLVED));
        }
    }

    /**
     * Someone who moves their only place out of an active event's area is told at once that they are no longer
     * affected, and hears nothing of the event's end; someone who moves within the area hears nothing new.
     */
    @Test
    void aPlaceMovedOutOfAnActiveEventIsToldNoLongerAffected() throws Exception {
        String eventId = id("moved");
        JsonNode area = polygon(box(8.90, 44.70, 8.91, 44.71));
        subscriber("mover", 8.905, 44.705, Set.of(EventKind.WATER_OUTAGE), false);
        subscriber("stayer", 8.906, 44.706, Set.of(EventKind.WATER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> stored(id("mover")) && stored(id("stayer")));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(eventId, 1, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, area,
                    null, t0), matches, progress, null)).containsOnlyKeys("mover", "stayer");
            subscriber("mover", 8.950, 44.750, Set.of(EventKind.WATER_OUTAGE), false);
            subscriber("stayer", 8.907, 44.707, Set.of(EventKind.WATER_OUTAGE), false);
            MatchChange left = awaitChange(matches, eventId, "mover", Change.NO_LONGER_AFFECTED);
            assertThat(left.revision()).isEqualTo(1);
            assertThat(left.placeIds()).containsExactly("home");
            awaitStoredAt("stayer", 8.907);
            assertThat(matches.drain(Duration.ofSeconds(2)).stream().map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId) && m.subscriberId().equals(id("stayer"))
                            && m.revision() == 1))
                    .as("moving within the area changes nothing").hasSize(1);
            assertThat(publish(event(eventId, 2, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.RESOLVED,
                    area, null, t0.plusSeconds(60)), matches, progress, null))
                    .as("the end is told to who is still there").isEqualTo(Map.of("stayer", Change.RESOLVED));
        }
    }

    private void awaitStoredAt(String name, double lon) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                    "SELECT 1 FROM place WHERE subscriber_id = ? AND abs(ST_X(geom) - ?) < 1e-9")) {
                s.setString(1, id(name));
                s.setDouble(2, lon);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    private MatchChange awaitChange(TopicReader matches, String eventId, String name, Change change) {
        return Json.fromBytes(matches.await(r -> {
            MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
            return m.eventId().equals(eventId) && m.subscriberId().equals(id(name)) && m.change() == change;
        }, 1, Duration.ofSeconds(30)).get(0).value(), MatchChange.class);
    }

    private List<MatchChange> changesOf(TopicReader matches, String eventId, String name) {
        return matches.drain(Duration.ofSeconds(3)).stream().map(r -> Json.fromBytes(r.value(), MatchChange.class))
                .filter(m -> m.eventId().equals(eventId) && m.subscriberId().equals(id(name))).toList();
    }

    /**
     * Between revisions, as at a revision: whom a civil-protection override reached stays affected while inside,
     * though the event is no longer EXTREME and they do not follow its kind; who stops following an outage's kind is
     * no longer affected by it.
     */
    @Test
    void betweenRevisionsTheOverrideKeepsWhomItReachedAndAnUnfollowedKindLetsGo() throws Exception {
        String civil = id("override-kept");
        String water = id("unfollowed");
        JsonNode civilArea = polygon(box(8.92, 44.70, 8.93, 44.71));
        JsonNode waterArea = polygon(box(8.92, 44.72, 8.93, 44.73));
        subscriber("reached", 8.925, 44.705, Set.of(EventKind.WATER_OUTAGE), false);
        subscriber("quitter", 8.925, 44.725, Set.of(EventKind.WATER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> stored(id("reached")) && stored(id("quitter")));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(civil, 1, EventKind.CIVIL_PROTECTION, Severity.EXTREME, EventStatus.ACTIVE,
                    civilArea, null, t0), matches, progress, null)).isEqualTo(Map.of("reached", Change.AFFECTED));
            assertThat(publish(event(civil, 2, EventKind.CIVIL_PROTECTION, Severity.SEVERE, EventStatus.ACTIVE,
                    civilArea, null, t0.plusSeconds(60)), matches, progress, null))
                    .isEqualTo(Map.of("reached", Change.UPDATED));
            assertThat(publish(event(water, 1, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                    waterArea, null, t0), matches, progress, null)).isEqualTo(Map.of("quitter", Change.AFFECTED));

            subscriber("reached", 8.926, 44.706, Set.of(EventKind.WATER_OUTAGE), false);
            subscriber("quitter", 8.925, 44.725, Set.of(EventKind.GAS_OUTAGE), false);
            MatchChange gone = awaitChange(matches, water, "quitter", Change.NO_LONGER_AFFECTED);
            assertThat(gone.revision()).isEqualTo(1);
            awaitStoredAt("reached", 8.926);
            assertThat(changesOf(matches, civil, "reached")).extracting(MatchChange::change)
                    .as("still inside the civil-protection area").containsExactly(Change.AFFECTED, Change.UPDATED);
        }
    }

    /**
     * Someone still inside whose places changed between revisions (a home replaced by another inside the area) is told
     * nothing, and the end names the place they have now.
     */
    @Test
    void theEndNamesThePlacesSomeoneInsideHasNow() throws Exception {
        String eventId = id("moved-inside");
        JsonNode area = polygon(box(8.98, 44.62, 8.99, 44.63));
        String subscriberId = id("mover");
        send(Topics.SUBSCRIBERS_PLACES, subscriberId, new SubscriberPlaces(subscriberId, List.of(
                new SubscriberPlaces.Place("old-home", PlaceCategory.HOME, null, new LonLat(8.985, 44.625))),
                Set.of(EventKind.POWER_OUTAGE), false, Instant.now()));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(subscriberId));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, area,
                    null, t0), matches, progress, null)).isEqualTo(Map.of("mover", Change.AFFECTED));
            send(Topics.SUBSCRIBERS_PLACES, subscriberId, new SubscriberPlaces(subscriberId, List.of(
                    new SubscriberPlaces.Place("new-home", PlaceCategory.HOME, null, new LonLat(8.986, 44.626))),
                    Set.of(EventKind.POWER_OUTAGE), false, Instant.now()));
            awaitStoredAt("mover", 8.986);
            // the place-id refresh happens in the late-arrival step, once the place is stored: give it its turn
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                        "SELECT 1 FROM late_arrival WHERE subscriber_id = ?")) {
                    s.setString(1, subscriberId);
                    try (ResultSet rows = s.executeQuery()) {
                        return !rows.next();
                    }
                }
            });
            assertThat(changesOf(matches, eventId, "mover")).extracting(MatchChange::change)
                    .as("still inside: nothing new to tell").containsExactly(Change.AFFECTED);
            publish(event(eventId, 2, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.RESOLVED, area, null,
                    t0.plusSeconds(60)), matches, progress, null);
            MatchChange end = awaitChange(matches, eventId, "mover", Change.RESOLVED);
            assertThat(end.placeIds()).containsExactly("new-home");
        }
    }

    /**
     * A civil-protection alert that was never EXTREME follows interests like any other: someone who stops following
     * civil protection while inside is told NO_LONGER_AFFECTED at once, and hears neither its updates nor its end;
     * someone who still follows it does.
     */
    @Test
    void aCivilProtectionAlertNeverExtremeLetsGoWhoStopsFollowingIt() throws Exception {
        String civil = id("never-extreme");
        JsonNode area = polygon(box(8.98, 44.60, 8.99, 44.61));
        Set<EventKind> both = Set.of(EventKind.CIVIL_PROTECTION, EventKind.POWER_OUTAGE);
        subscriber("cp-stays", 8.985, 44.605, both, false);
        subscriber("cp-quits", 8.986, 44.606, both, false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> stored(id("cp-stays")) && stored(id("cp-quits")));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(civil, 1, EventKind.CIVIL_PROTECTION, Severity.SEVERE, EventStatus.ACTIVE, area,
                    null, t0), matches, progress, null))
                    .isEqualTo(Map.of("cp-stays", Change.AFFECTED, "cp-quits", Change.AFFECTED));

            subscriber("cp-quits", 8.986, 44.606, Set.of(EventKind.POWER_OUTAGE), false);
            MatchChange gone = awaitChange(matches, civil, "cp-quits", Change.NO_LONGER_AFFECTED);
            assertThat(gone.revision()).isEqualTo(1);

            // a material revision (an end now expected): an update to whoever still follows it
            assertThat(publish(event(civil, 2, EventKind.CIVIL_PROTECTION, Severity.SEVERE, EventStatus.ACTIVE, area,
                    t0.plusSeconds(7200), t0.plusSeconds(60)), matches, progress, null))
                    .isEqualTo(Map.of("cp-stays", Change.UPDATED));
            assertThat(publish(event(civil, 3, EventKind.CIVIL_PROTECTION, Severity.SEVERE, EventStatus.RESOLVED, area,
                    null, t0.plusSeconds(120)), matches, progress, null)).isEqualTo(Map.of("cp-stays", Change.RESOLVED));
        }
    }

    /**
     * A matching that failed after some of its changes left may have told the dispatcher more than the affected set
     * says: until a matching of that event commits, nobody there is told between revisions that they left.
     */
    @Test
    void nobodyIsToldTheyLeftAnEventWhoseMatchingIsInDoubt() throws Exception {
        String eventId = id("in-doubt");
        JsonNode area = polygon(box(8.94, 44.70, 8.95, 44.71));
        subscriber("doubt", 8.945, 44.705, Set.of(EventKind.WATER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(id("doubt")));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(eventId, 1, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, area,
                    null, t0), matches, progress, null)).isEqualTo(Map.of("doubt", Change.AFFECTED));
            try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                    "INSERT INTO matching_under_way (event_id, revision) VALUES (?, 2)")) {
                s.setString(1, eventId);
                s.executeUpdate();
            }
            subscriber("doubt", 8.990, 44.790, Set.of(EventKind.WATER_OUTAGE), false);
            // nor is a newcomer told they are inside: the revision in doubt, which comes again, may be its end
            subscriber("doubt-newcomer", 8.946, 44.706, Set.of(EventKind.WATER_OUTAGE), false);
            awaitStoredAt("doubt", 8.990);
            awaitStoredAt("doubt-newcomer", 8.946);
            List<MatchChange> told = matches.drain(Duration.ofSeconds(3)).stream()
                    .map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId)).toList();
            assertThat(told).as("nothing told while the matching is in doubt: only the first revision's notice")
                    .extracting(m -> m.subscriberId(), MatchChange::change)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(id("doubt"), Change.AFFECTED));
            // the event's next matching tells them, and clears the doubt
            assertThat(publish(event(eventId, 2, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, area,
                    t0.plusSeconds(7200), t0.plusSeconds(60)), matches, progress, null))
                    .isEqualTo(Map.of("doubt", Change.NO_LONGER_AFFECTED, "doubt-newcomer", Change.AFFECTED));
            try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                    "SELECT count(*) FROM matching_under_way WHERE event_id = ?")) {
                s.setString(1, eventId);
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    assertThat(rows.getLong(1)).isZero();
                }
            }
        }
    }

    /** An event past its expiry (its end never published) tells no one who arrives after it of an old outage. */
    @Test
    void anExpiredEventTellsNoNewcomer() throws Exception {
        String eventId = id("expired");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            AlertEvent expired = new AlertEvent(eventId, 1, "pub", "p-" + eventId, EventKind.WATER_OUTAGE,
                    EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false, polygon(box(8.82, 44.70, 8.83, 44.71)),
                    "test", Map.of("it", "Guasto"), Map.of(), null, null, t0.minusSeconds(3600), t0.minusSeconds(7200),
                    t0.minusSeconds(7200), List.of(), null);
            publish(expired, matches, progress, null);
            subscriber("too-late", 8.825, 44.705, Set.of(EventKind.WATER_OUTAGE), false);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!stored(id("too-late")) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(stored(id("too-late"))).isTrue();
            assertThat(matches.drain(Duration.ofSeconds(3)).stream().map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId) && m.subscriberId().equals(id("too-late"))))
                    .as("not told of an outage that expired an hour ago").isEmpty();
        }
    }

    /**
     * Someone told of an alert who moves away after its expiry (its end not yet published) hears that they are no
     * longer affected, and is not told its end about a place that is no longer theirs.
     */
    @Test
    void whoLeavesAnExpiredEventIsToldSoAndNotItsEnd() throws Exception {
        String eventId = id("expired-leaver");
        JsonNode area = polygon(box(8.84, 44.70, 8.85, 44.71));
        subscriber("late-leaver", 8.845, 44.705, Set.of(EventKind.WATER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(id("late-leaver")));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            Instant expiry = Instant.now().plusSeconds(3);
            assertThat(publish(new AlertEvent(eventId, 1, "pub", "p-" + eventId, EventKind.WATER_OUTAGE,
                    EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false, area, "test",
                    Map.of("it", "Guasto"), Map.of(), null, null, expiry, t0, t0, List.of(), null),
                    matches, progress, null)).isEqualTo(Map.of("late-leaver", Change.AFFECTED));
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiry).toMillis()) + 500);
            subscriber("late-leaver", 8.950, 44.750, Set.of(EventKind.WATER_OUTAGE), false);
            MatchChange left = awaitChange(matches, eventId, "late-leaver", Change.NO_LONGER_AFFECTED);
            assertThat(left.revision()).isEqualTo(1);
            assertThat(publish(new AlertEvent(eventId, 2, "pub", "p-" + eventId, EventKind.WATER_OUTAGE,
                    EventStatus.RESOLVED, Severity.MODERATE, Urgency.EXPECTED, false, area, "test",
                    Map.of("it", "Guasto"), Map.of(), null, null, expiry, t0, t0.plusSeconds(60), List.of(), null),
                    matches, progress, null)).as("no end told about a place that left").isEmpty();
        }
    }

    @Inject
    AgroalDataSource dataSource;

    @Inject
    Retention retention;

    /**
     * Who was inside an alert that only expired is kept while its publisher may still extend or end it, and forgotten
     * once it has been expired for the retention period; an alert without an expiry keeps its set.
     */
    @Test
    void whoWasInsideAnAlertThatOnlyExpiredIsForgottenAfterTheRetentionPeriod() throws Exception {
        subscriber("retained", 9.305, 44.305, Set.of(EventKind.WATER_OUTAGE), false);
        long deadline = System.currentTimeMillis() + 30_000;
        while (!stored(id("retained")) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        Instant expiry = Instant.now().plusSeconds(120);
        String expiring = id("retention-expiring");
        String open = id("retention-open");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            publish(new AlertEvent(expiring, 1, "pub", "p-" + expiring, EventKind.WATER_OUTAGE, EventStatus.ACTIVE,
                    Severity.MODERATE, Urgency.EXPECTED, false, polygon(box(9.30, 44.30, 9.31, 44.31)), "test",
                    Map.of("it", "Guasto"), Map.of(), null, null, expiry, t0, t0, List.of(), null),
                    matches, progress, null);
            publish(event(open, 1, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                    polygon(box(9.30, 44.30, 9.31, 44.31)), null, t0), matches, progress, null);
        }
        assertThat(affected(expiring)).isEqualTo(1);
        assertThat(affected(open)).isEqualTo(1);
        Duration period = Duration.ofDays(90);
        retention.sweep(expiry.plus(period).minusSeconds(60));
        assertThat(affected(expiring)).as("expired for less than the period").isEqualTo(1);
        assertThat(retention.sweep(expiry.plus(period).plusSeconds(60)).events()).isPositive();
        assertThat(affected(expiring)).as("expired for longer than the period").isZero();
        assertThat(affected(open)).as("an alert without an expiry").isEqualTo(1);
    }

    private long affected(String eventId) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM affected WHERE event_id = ?")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private boolean stored(String subscriberId) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT 1 FROM place WHERE subscriber_id = ?")) {
            s.setString(1, subscriberId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next();
            }
        }
    }

    /**
     * A place stored while a revision is being matched is matched against the active events only once that matching
     * has committed (both hold the {@link MatchingLock}): neither can then miss or forget the other's people.
     */
    @Test
    void aPlaceStoredWhileARevisionIsMatchedIsMatchedAfterIt() throws Exception {
        String eventId = id("locked");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            publish(event(eventId, 1, EventKind.WATER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                    polygon(box(8.82, 44.72, 8.83, 44.73)), null, t0), matches, progress, null);
            java.util.function.Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> toldWaiting =
                    r -> {
                        MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
                        return m.eventId().equals(eventId) && m.subscriberId().equals(id("waiting"));
                    };
            try (Connection matching = dataSource.getConnection()) {
                matching.setAutoCommit(false);
                MatchingLock.acquireShared(matching); // as the matching of a revision does for its whole transaction
                subscriber("waiting", 8.825, 44.725, Set.of(EventKind.WATER_OUTAGE), false);
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(id("waiting")));
                assertThat(matches.drain(Duration.ofSeconds(3)).stream().filter(toldWaiting))
                        .as("nobody is matched beside a revision's matching").isEmpty();
                matching.rollback();
            }
            MatchChange told = Json.fromBytes(matches.await(toldWaiting, 1, Duration.ofSeconds(30)).get(0).value(),
                    MatchChange.class);
            assertThat(told.change()).isEqualTo(Change.AFFECTED);
        }
    }

    /** An erased person leaves the event's affected set at once, and hears nothing more of it. */
    @Test
    void anErasedPersonIsForgottenByTheActiveEvents() throws Exception {
        subscriber("erased", 8.865, 44.765, Set.of(EventKind.POWER_OUTAGE), false);
        subscriber("kept", 8.866, 44.766, Set.of(EventKind.POWER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> stored(id("erased")) && stored(id("kept")));
        String eventId = id("erasure-ev");
        JsonNode area = polygon(box(8.86, 44.76, 8.87, 44.77));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, area,
                    null, t0), matches, progress, null)).containsOnlyKeys("erased", "kept");
            TopicWriter.send(Topics.SUBSCRIBERS_PLACES, id("erased"), null);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !stored(id("erased")));
            try (Connection c = dataSource.getConnection();
                 PreparedStatement s = c.prepareStatement("SELECT count(*) FROM affected WHERE subscriber_id = ?")) {
                s.setString(1, id("erased"));
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    assertThat(rows.getLong(1)).as("no affected row left for the erased person").isZero();
                }
            }
            assertThat(publish(event(eventId, 2, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.RESOLVED,
                    area, null, t0.plusSeconds(60)), matches, progress, null))
                    .isEqualTo(Map.of("kept", Change.RESOLVED));
        }
    }

    /**
     * Erased while a revision that saw them inside is being matched: the revision's commit writes their affected row
     * back, and the next pass of the late arrivals removes it without a word; the event's end does not name them.
     */
    @Test
    void anErasedPersonIsForgottenAlsoByARevisionMatchedMeanwhile() throws Exception {
        subscriber("erased-midway", 8.875, 44.775, Set.of(EventKind.POWER_OUTAGE), false);
        subscriber("kept-midway", 8.876, 44.776, Set.of(EventKind.POWER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> stored(id("erased-midway")) && stored(id("kept-midway")));
        String eventId = id("erasure-midway");
        JsonNode area = polygon(box(8.87, 44.77, 8.88, 44.78));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            try (Connection hold = dataSource.getConnection()) {
                hold.setAutoCommit(false);
                try (var s = hold.createStatement()) {
                    // the matching's save waits behind this lock, after its changes were sent
                    s.execute("LOCK TABLE event_state IN SHARE MODE");
                }
                send(Topics.ALERTS_EVENTS, eventId, event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE,
                        EventStatus.ACTIVE, area, null, t0));
                awaitChange(matches, eventId, "erased-midway", Change.AFFECTED);
                TopicWriter.send(Topics.SUBSCRIBERS_PLACES, id("erased-midway"), null);
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> !stored(id("erased-midway")));
                hold.commit();
            }
            progress.await(r -> {
                MatchProgress p = Json.fromBytes(r.value(), MatchProgress.class);
                return p.eventId().equals(eventId) && p.phase() == ProgressPhase.FINISHED;
            }, 1, Duration.ofSeconds(60));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                        "SELECT count(*) FROM affected WHERE subscriber_id = ?")) {
                    s.setString(1, id("erased-midway"));
                    try (ResultSet rows = s.executeQuery()) {
                        rows.next();
                        return rows.getLong(1) == 0;
                    }
                }
            });
            assertThat(publish(event(eventId, 2, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.RESOLVED,
                    area, null, t0.plusSeconds(60)), matches, progress, null))
                    .isEqualTo(Map.of("kept-midway", Change.RESOLVED));
        }
    }

    /**
     * An event whose area alert-intake would have refused is dead-lettered with the reason before anything is marked
     * as under way or announced as started, and the next event is matched.
     */
    @Test
    void anEventWithAnAreaThatCannotBeReadIsDeadLetteredBeforeItStarts() throws Exception {
        subscriber("after-poison", 8.965, 44.865, Set.of(EventKind.POWER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(id("after-poison")));
        String poison = id("bad-area");
        JsonNode unreadable = Json.mapper().createObjectNode().put("type", "Polygon").put("coordinates", "x");
        String next = id("good-area");
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ); var matches = new TopicReader(Topics.ALERTS_MATCHES);
             var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            send(Topics.ALERTS_EVENTS, poison, event(poison, 1, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, unreadable, null, t0));
            DeadLetter letter = Json.fromBytes(dlq.await(r -> poison.equals(r.key()), 1, Duration.ofSeconds(30))
                    .get(0).value(), DeadLetter.class);
            assertThat(letter.source()).isEqualTo(Topics.ALERTS_EVENTS);
            assertThat(letter.reasons().get(0).type()).isEqualTo("urn:allerta:problem:invalid-geometry");
            assertThat(publish(event(next, 1, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                    polygon(box(8.96, 44.86, 8.97, 44.87)), null, t0), matches, progress, null))
                    .isEqualTo(Map.of("after-poison", Change.AFFECTED));
            assertThat(progress.drain(Duration.ofSeconds(1))).as("nothing announced for the unreadable event")
                    .noneMatch(r -> poison.equals(r.key()));
            assertThat(dlq.drain(Duration.ofSeconds(1))).as("dead-lettered once, not once per retry")
                    .filteredOn(r -> poison.equals(r.key())).hasSize(1);
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM matching_under_way WHERE event_id = ?")) {
            s.setString(1, poison);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                assertThat(rows.getLong(1)).isZero();
            }
        }
    }

    /** A revision delivered again after it was matched sends its FINISHED marker again, the same, and no change. */
    @Test
    void aRevisionDeliveredAgainSendsItsFinishedMarkerAgain() throws Exception {
        subscriber("again", 8.845, 44.745, Set.of(EventKind.POWER_OUTAGE), false);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored(id("again")));
        String eventId = id("again-ev");
        AlertEvent event = event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE,
                polygon(box(8.84, 44.74, 8.85, 44.75)), null, t0);
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            assertThat(publish(event, matches, progress, null)).isEqualTo(Map.of("again", Change.AFFECTED));
            send(Topics.ALERTS_EVENTS, eventId, event);
            var finished = progress.await(r -> {
                MatchProgress p = Json.fromBytes(r.value(), MatchProgress.class);
                return p.eventId().equals(eventId) && p.phase() == ProgressPhase.FINISHED;
            }, 2, Duration.ofSeconds(30));
            MatchProgress first = Json.fromBytes(finished.get(0).value(), MatchProgress.class);
            MatchProgress again = Json.fromBytes(finished.get(1).value(), MatchProgress.class);
            assertThat(again.counts()).isEqualTo(first.counts()).isEqualTo(Map.of(Change.AFFECTED, 1L));
            assertThat(again.subscribers()).isEqualTo(first.subscribers());
            assertThat(matches.drain(Duration.ofSeconds(2)).stream().map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId))).as("no change sent twice").hasSize(1);
        }
    }

    /**
     * A thin and detailed area (a band 111 m high along a diagonal, 6,002 vertices, about 1 % of its bounding box) is
     * matched through its parts ({@code ST_Subdivide}): the same exact set as a whole area gives, a vertex included,
     * the places in its box but off the band excluded, and each place named once even where parts meet.
     */
    @Test
    void aThinDetailedAreaIsMatchedInPartsWithTheSameExactSet() throws Exception {
        int steps = 3000;
        double step = 0.1 / steps;
        double[][] ring = new double[2 * (steps + 1) + 1][];
        for (int i = 0; i <= steps; i++) {
            ring[i] = new double[] {9.0 + i * step, 45.0 + i * step};                       // the lower edge
            ring[2 * (steps + 1) - 1 - i] = new double[] {9.0 + i * step, 45.001 + i * step}; // the upper, back
        }
        ring[ring.length - 1] = ring[0];
        assertThat(ring.length - 1).isGreaterThan(EventMatcher.DETAILED_VERTICES);
        Set<EventKind> power = Set.of(EventKind.POWER_OUTAGE);
        for (int k = 1; k <= 6; k++) {
            subscriber("band-" + k, 9.0 + k * 0.013, 45.0005 + k * 0.013, power, false);
        }
        subscriber("band-vertex", ring[1500][0], ring[1500][1], power, false);
        subscriber("band-middle", 9.05, 45.0505, power, false);
        subscriber("band-box-only", 9.08, 45.02, power, false);
        subscriber("band-beside", 9.05, 45.0525, power, false);
        String both = homeWorkAndFar("band-two", new LonLat(9.02, 45.0205), new LonLat(9.09, 45.0905),
                new LonLat(9.09, 45.01));
        Thread.sleep(3000);
        String eventId = id("band");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            Map<String, Change> changes = publish(event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, polygon(ring), null, t0), matches, progress, null);
            var expected = new HashMap<String, Change>();
            for (String name : List.of("band-1", "band-2", "band-3", "band-4", "band-5", "band-6", "band-vertex",
                    "band-middle", "band-two")) {
                expected.put(name, Change.AFFECTED);
            }
            assertThat(changes).isEqualTo(expected);
            var placesOf = matches.drain(Duration.ZERO).stream().map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId))
                    .collect(Collectors.toMap(MatchChange::subscriberId, MatchChange::placeIds));
            assertThat(placesOf.get(both)).containsExactly("home", "work");
            assertThat(placesOf.values()).as("each place once").allMatch(ids -> ids.size() == Set.copyOf(ids).size());
        }
    }

    /**
     * The spatial statements are planned for the area each is given, however often the connection ran them: a generic
     * plan made without the area takes any area for a small one, and finds a city's million places one index probe
     * at a time.
     */
    @Test
    void aStatementRunOftenOnAConnectionIsStillPlannedForItsArea() throws Exception {
        String box = "{\"type\":\"Polygon\",\"coordinates\":[[[8.0,44.0],[9.5,44.0],[9.5,45.5],[8.0,45.5],[8.0,44.0]]]}";
        try (Connection c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute("PREPARE inside_area (text) AS SELECT count(*) FROM place"
                    + " WHERE ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))");
            try {
                for (int i = 0; i < 8; i++) {
                    s.execute("EXECUTE inside_area ('" + box + "')");
                }
                var plan = new StringBuilder();
                try (var rows = s.executeQuery("EXPLAIN EXECUTE inside_area ('" + box + "')")) {
                    while (rows.next()) {
                        plan.append(rows.getString(1)).append('\n');
                    }
                }
                assertThat(plan.toString()).as("planned with the area itself, not a parameter: %s", plan)
                        .doesNotContain("$1");
            } finally {
                s.execute("DEALLOCATE inside_area");
            }
        }
    }

    @Test
    void aNewEventsFirstSliceTellsEachPersonOnceWithAllTheirPlacesInside() throws Exception {
        // the test profile's first slice is found from two places inside: of the three here, at least one is this
        // person's, so they are in the slice, and their change must still name both their places inside
        Set<EventKind> power = Set.of(EventKind.POWER_OUTAGE);
        subscriber("slice-0", 8.901, 44.601, power, false);
        String both = homeWorkAndFar("slice-places", new LonLat(8.902, 44.602), new LonLat(8.908, 44.608),
                new LonLat(8.95, 44.65));
        Thread.sleep(3000);
        String eventId = id("slice");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            Map<String, Change> changes = publish(event(eventId, 1, EventKind.POWER_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, polygon(box(8.90, 44.60, 8.91, 44.61)), null, t0), matches, progress, null);
            assertThat(changes).isEqualTo(Map.of("slice-0", Change.AFFECTED, "slice-places", Change.AFFECTED));
            MatchChange twoPlaces = matches.drain(Duration.ZERO).stream()
                    .map(r -> Json.fromBytes(r.value(), MatchChange.class))
                    .filter(m -> m.eventId().equals(eventId) && m.subscriberId().equals(both))
                    .findFirst().orElseThrow();
            assertThat(twoPlaces.placeIds()).containsExactly("home", "work");
        }
    }

    /**
     * Rule 5 as Allerta refines it: an urgency that makes a SEVERE alert an emergency that quiet hours do not hold is
     * material (those inside hear it, and a notice held for someone's night goes out at the dispatcher); below that
     * threshold the urgency alone is not.
     */
    @Test
    void anUrgencyThatMakesTheAlertAnEmergencyIsToldAsAnUpdate() throws Exception {
        subscriber("urgent-gas", 8.805, 44.705, Set.of(EventKind.GAS_OUTAGE), false);
        Thread.sleep(3000);
        String eventId = id("urgency");
        JsonNode area = polygon(box(8.80, 44.70, 8.81, 44.71));
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            AlertEvent first = event(eventId, 1, EventKind.GAS_OUTAGE, Severity.SEVERE, EventStatus.ACTIVE, area,
                    null, t0);
            assertThat(publish(first, matches, progress, null)).isEqualTo(Map.of("urgent-gas", Change.AFFECTED));
            assertThat(publish(withUrgency(event(eventId, 2, EventKind.GAS_OUTAGE, Severity.SEVERE,
                    EventStatus.ACTIVE, area, null, t0.plusSeconds(60)), Urgency.IMMEDIATE), matches, progress, null))
                    .as("SEVERE, EXPECTED -> IMMEDIATE").isEqualTo(Map.of("urgent-gas", Change.UPDATED));
            assertThat(publish(withUrgency(event(eventId, 3, EventKind.GAS_OUTAGE, Severity.SEVERE,
                    EventStatus.ACTIVE, area, null, t0.plusSeconds(120)), Urgency.IMMEDIATE), matches, progress, null))
                    .as("a repeat").isEmpty();
        }
        String moderate = id("urgency-moderate");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            publish(event(moderate, 1, EventKind.GAS_OUTAGE, Severity.MODERATE, EventStatus.ACTIVE, area, null, t0),
                    matches, progress, null);
            assertThat(publish(withUrgency(event(moderate, 2, EventKind.GAS_OUTAGE, Severity.MODERATE,
                    EventStatus.ACTIVE, area, null, t0.plusSeconds(60)), Urgency.IMMEDIATE), matches, progress, null))
                    .as("MODERATE: quiet hours hold it either way").isEmpty();
        }
    }

    private static AlertEvent withUrgency(AlertEvent e, Urgency urgency) {
        return new AlertEvent(e.eventId(), e.revision(), e.publisherId(), e.publisherEventId(), e.kind(), e.status(),
                e.severity(), urgency, e.test(), e.area(), e.areaDescription(), e.headline(), e.description(),
                e.startedAt(), e.expectedRestorationAt(), e.expiresAt(), e.sentAt(), e.receivedAt(), e.references(),
                e.zone());
    }

    @Test
    void extremeCivilProtectionReachesEveryoneInsideWhateverTheyFollow() throws Exception {
        subscriber("cp-power", 8.705, 44.805, Set.of(EventKind.POWER_OUTAGE), false);
        subscriber("cp-nothing", 8.706, 44.806, Set.of(), false);
        Thread.sleep(3000);
        String eventId = id("cp");
        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            Map<String, Change> severe = publish(event(eventId, 1, EventKind.CIVIL_PROTECTION, Severity.SEVERE,
                    EventStatus.ACTIVE, polygon(box(8.70, 44.80, 8.71, 44.81)), null, t0), matches, progress, null);
            assertThat(severe).as("SEVERE civil protection follows interests").isEmpty();
            Map<String, Change> extreme = publish(event(eventId, 2, EventKind.CIVIL_PROTECTION, Severity.EXTREME,
                    EventStatus.ACTIVE, polygon(box(8.70, 44.80, 8.71, 44.81)), null, t0.plusSeconds(60)), matches,
                    progress, null);
            assertThat(extreme).isEqualTo(Map.of("cp-power", Change.AFFECTED, "cp-nothing", Change.AFFECTED));
            // back to SEVERE, same area: those the override reached are still inside, not "no longer affected";
            // they hear the update and, later, the end
            Map<String, Change> lowered = publish(event(eventId, 3, EventKind.CIVIL_PROTECTION, Severity.SEVERE,
                    EventStatus.ACTIVE, polygon(box(8.70, 44.80, 8.71, 44.81)), null, t0.plusSeconds(120)), matches,
                    progress, null);
            assertThat(lowered).isEqualTo(Map.of("cp-power", Change.UPDATED, "cp-nothing", Change.UPDATED));
            Map<String, Change> over = publish(event(eventId, 4, EventKind.CIVIL_PROTECTION, Severity.SEVERE,
                    EventStatus.RESOLVED, polygon(box(8.70, 44.80, 8.71, 44.81)), null, t0.plusSeconds(180)), matches,
                    progress, null);
            assertThat(over).isEqualTo(Map.of("cp-power", Change.RESOLVED, "cp-nothing", Change.RESOLVED));
        }
    }
}
