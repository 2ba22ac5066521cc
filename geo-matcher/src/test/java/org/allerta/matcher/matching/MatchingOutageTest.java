package org.allerta.matcher.matching;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
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
import org.allerta.testsupport.Health;
import org.allerta.testsupport.LocalPostgis;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** While PostgreSQL is away the matcher waits on the revision it could not match, then matches it: nobody skipped. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class MatchingOutageTest {

    @TestHTTPResource("/")
    URL root;

    private static void send(String topic, String key, Object value) throws Exception {
        TopicWriter.send(topic, key, Json.toBytes(value));
    }

    private static long places(String subscriberId) throws Exception {
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM matcher.place WHERE subscriber_id = ?")) {
            s.setString(1, subscriberId);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    @Test
    void pausesWhileTheDatabaseIsDownAndMatchesTheRevisionOnceItIsBack() throws Exception {
        String base = root.toString().replaceAll("/$", "");
        String subscriber = "outage-" + UUID.randomUUID();
        send(Topics.SUBSCRIBERS_PLACES, subscriber, new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(9.505, 45.505))),
                Set.of(EventKind.GAS_OUTAGE), false, Instant.now()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> places(subscriber) == 1);

        String eventId = "outage-ev-" + UUID.randomUUID();
        var area = Json.mapper().readTree("{\"type\":\"Polygon\",\"coordinates\":[[[9.50,45.50],[9.51,45.50],"
                + "[9.51,45.51],[9.50,45.51],[9.50,45.50]]]}");
        var event = new AlertEvent(eventId, 1, "pub", eventId, EventKind.GAS_OUTAGE, EventStatus.ACTIVE,
                Severity.SEVERE, Urgency.IMMEDIATE, false, area, "Via Gas", Map.of("it", "Fuga di gas"), Map.of(),
                null, null, null, Instant.now(), Instant.now(), List.of(), null);

        try (var matches = new TopicReader(Topics.ALERTS_MATCHES); var progress = new TopicReader(Topics.ALERTS_PROGRESS)) {
            LocalPostgis.shared().stop();
            try {
                Health.awaitReadiness(base, false, Duration.ofSeconds(60));
                send(Topics.ALERTS_EVENTS, eventId, event);
                Thread.sleep(3000);
                assertThat(progress.drain(Duration.ofMillis(500)).stream()
                        .map(r -> Json.fromBytes(r.value(), MatchProgress.class))
                        .filter(p -> p.eventId().equals(eventId) && p.phase() == ProgressPhase.FINISHED))
                        .as("nothing finished without the database").isEmpty();
            } finally {
                LocalPostgis.shared().start();
            }
            Health.awaitReadiness(base, true, Duration.ofSeconds(60));
            progress.await(r -> {
                MatchProgress p = Json.fromBytes(r.value(), MatchProgress.class);
                return p.eventId().equals(eventId) && p.phase() == ProgressPhase.FINISHED;
            }, 1, Duration.ofSeconds(60));
            var told = matches.await(r -> {
                MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
                return m.eventId().equals(eventId) && m.subscriberId().equals(subscriber);
            }, 1, Duration.ofSeconds(30));
            assertThat(Json.fromBytes(told.get(0).value(), MatchChange.class).change()).isEqualTo(Change.AFFECTED);
        }
    }
}
