package org.allerta.intake.event;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.intake.Features;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class EventPublishingTest {

    static Response post(String key, String json) {
        return given().header("Authorization", "Bearer " + key).contentType("application/geo+json").body(json)
                .when().post("/v1/events");
    }

    static String id() {
        return "OMS-" + UUID.randomUUID();
    }

    @Test
    void acceptsAnOutageStoresItAndEmitsItOnAlertsEvents() {
        String publisherEventId = id();
        Response answer = post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).json());
        answer.then().statusCode(202).header("Location", notNullValue()).body("revision", equalTo(1))
                .body("status", equalTo("ACTIVE"));
        String eventId = answer.path("eventId");
        assertThat(answer.header("Location")).endsWith("/v1/events/" + eventId);

        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).get("/v1/events/" + eventId)
                .then().statusCode(200).body("revision", equalTo(1)).body("area.type", equalTo("Polygon"))
                .body("publisherEventId", equalTo(publisherEventId)).body("kind", equalTo("POWER_OUTAGE"));

        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            var records = reader.await(r -> eventId.equals(r.key()), 1, Duration.ofSeconds(30));
            AlertEvent emitted = Json.fromBytes(records.get(0).value(), AlertEvent.class);
            assertThat(emitted.revision()).isEqualTo(1);
            assertThat(emitted.publisherId()).isEqualTo("dev-publisher");
            assertThat(new String(records.get(0).headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8))
                    .isEqualTo(eventId + "/1");
            assertThat(new String(records.get(0).headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8))
                    .isEqualTo("org.allerta.AlertEvent");
        }
    }

    /** A regional tag is kept as its language, the one citizens choose: "it-IT" reaches Italian readers. */
    @Test
    void aRegionalLanguageTagIsKeptAsItsLanguage() {
        String json = Features.outage(id()).property("headline", Json.mapper().createObjectNode()
                .put("it-IT", "Guasto in zona").put("en-GB", "Power cut")).json();
        String eventId = post(Features.PUBLISHER_KEY, json).then().statusCode(202).extract().path("eventId");
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).get("/v1/events/" + eventId)
                .then().statusCode(200).body("headline.it", equalTo("Guasto in zona"))
                .body("headline.en", equalTo("Power cut"));
    }

    @Test
    void anIdenticalRepeatIsIdempotentAndNotReEmitted() {
        String json = Features.outage(id()).json();
        String eventId = post(Features.PUBLISHER_KEY, json).then().statusCode(202).extract().path("eventId");
        post(Features.PUBLISHER_KEY, json).then().statusCode(200).body("revision", equalTo(1))
                .body("eventId", equalTo(eventId)).body("outcome", equalTo("UNCHANGED"));
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            reader.await(r -> eventId.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> eventId.equals(r.key()))).hasSize(1);
        }
    }

    /**
     * An ended event does not start again: a late retry of its first message, arriving after its end, is refused
     * instead of telling everyone the power is out again.
     */
    @Test
    void anEndedEventDoesNotBecomeActiveAgain() {
        String publisherEventId = id();
        String first = Features.outage(publisherEventId).json();
        String eventId = post(Features.PUBLISHER_KEY, first).then().statusCode(202).extract().path("eventId");
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("status", "RESOLVED").json())
                .then().statusCode(202).body("revision", equalTo(2));
        post(Features.PUBLISHER_KEY, first).then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:event-ended"));
        // what it says of its end may still be corrected
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("status", "CANCELLED").json())
                .then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(3));
    }

    /** A repeat whose sentAt has more digits than the database keeps (as .NET writes it) is the same repeat. */
    @Test
    void aRepeatWithASentAtFinerThanAMicrosecondIsUnchanged() {
        String json = Features.outage(id()).property("sentAt", "2026-11-28T10:00:00.1234567+01:00").json();
        post(Features.PUBLISHER_KEY, json).then().statusCode(202).body("revision", equalTo(1));
        post(Features.PUBLISHER_KEY, json).then().statusCode(200).body("revision", equalTo(1))
                .body("outcome", equalTo("UNCHANGED"));
    }

    /**
     * Two messages sent the same second (a publisher stamping to the second) are two revisions; the first of them
     * again, a retry or a batch read again after a crash, is a repeat: it does not turn the event back into it.
     */
    @Test
    void theEarlierOfTwoMessagesSentTheSameSecondArrivingAgainIsARepeat() {
        String publisherEventId = id();
        String first = Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:00:00Z")
                .property("expectedRestorationAt", "2026-11-28T11:00:00Z").json();
        String second = Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:00:00Z")
                .property("expectedRestorationAt", "2026-11-28T12:00:00Z").json();
        String eventId = post(Features.PUBLISHER_KEY, first).then().statusCode(202).body("revision", equalTo(1))
                .extract().path("eventId");
        post(Features.PUBLISHER_KEY, second).then().statusCode(202).body("revision", equalTo(2));
        post(Features.PUBLISHER_KEY, first).then().statusCode(200).body("revision", equalTo(2))
                .body("outcome", equalTo("UNCHANGED"));
        post(Features.PUBLISHER_KEY, second).then().statusCode(200).body("revision", equalTo(2))
                .body("outcome", equalTo("UNCHANGED"));
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).get("/v1/events/" + eventId).then()
                .body("expectedRestorationAt", equalTo("2026-11-28T12:00:00Z"));
        // a third message of that second, saying something new, is a change
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:00:00Z")
                .property("expectedRestorationAt", "2026-11-28T13:00:00Z").json())
                .then().statusCode(202).body("revision", equalTo(3));
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            reader.await(r -> eventId.equals(r.key()), 3, Duration.ofSeconds(30));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> eventId.equals(r.key()))).hasSize(3);
        }
    }

    @Test
    void aChangeGivesTheNextRevisionAndAnOlderSentAtIsRefusedAsStale() {
        String publisherEventId = id();
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:00:00Z")
                .json()).then().statusCode(202).body("revision", equalTo(1));
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:05:00Z")
                .property("expectedRestorationAt", "2026-11-28T14:00:00+01:00").json())
                .then().statusCode(202).body("revision", equalTo(2));
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:01:00Z")
                .property("severity", "SEVERE").json())
                .then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:stale-revision"));
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("sentAt", "2026-11-28T10:10:00Z")
                .property("status", "RESOLVED").json())
                .then().statusCode(202).body("revision", equalTo(3)).body("status", equalTo("RESOLVED"));
    }

    private static void testMode(String publisherId, boolean on) {
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/json")
                .body("{\"testMode\": " + on + "}").put("/v1/admin/publishers/" + publisherId).then().statusCode(200);
    }

    /**
     * A real event never becomes a test, nor the reverse, when its publisher's test mode changes between two
     * revisions: those told of a real outage would miss its end (withheld as a test), and a test's first notices,
     * withheld, would never go out once it turned real. A new event is published instead.
     */
    @Test
    void aTestAndARealEventDoNotFollowEachOther() {
        Features.NewPublisher switching = Features.newPublisher("switching", "Rete elettrica", false, "POWER_OUTAGE");
        String publisherId = switching.id();
        String key = switching.key();
        String real = id();
        post(key, Features.outage(real).json()).then().statusCode(202);
        testMode(publisherId, true);
        post(key, Features.outage(real).property("status", "RESOLVED").json()).then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:test-mismatch"))
                .body("problems[0].where", equalTo("/properties/test"));
        String drill = id();
        post(key, Features.outage(drill).json()).then().statusCode(202);
        testMode(publisherId, false);
        post(key, Features.outage(drill).property("severity", "SEVERE").json()).then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:test-mismatch"));
        post(key, Features.outage(real).property("status", "RESOLVED").json()).then().statusCode(202)
                .body("revision", equalTo(2));
    }

    @Test
    void concurrentPostsOfOneEventAreSerialisedWithoutLostOrDuplicatedRevisions() throws Exception {
        String publisherEventId = id();
        var pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Integer>> posts = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String json = Features.outage(publisherEventId)
                        .property("description", Json.mapper().createObjectNode().put("it", "aggiornamento " + i))
                        .json();
                posts.add(() -> post(Features.PUBLISHER_KEY, json).then().statusCode(202).extract().path("revision"));
            }
            Set<Integer> revisions = new TreeSet<>();
            for (Future<Integer> f : pool.invokeAll(posts)) {
                revisions.add(f.get());
            }
            assertThat(revisions).hasSize(12).first().isEqualTo(1);
            assertThat(revisions).last().isEqualTo(12);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void normalisesClockwiseRingsInsteadOfRefusingThem() {
        String json = Features.outage(id()).ring(new double[][] {{8.60, 44.90}, {8.60, 44.91}, {8.61, 44.91},
                {8.61, 44.90}, {8.60, 44.90}}).json();
        Response answer = post(Features.PUBLISHER_KEY, json);
        answer.then().statusCode(202);
        assertThat(answer.<List<String>>path("normalisations")).anyMatch(n -> n.contains("clockwise"));
        String eventId = answer.path("eventId");
        List<List<Float>> ring = given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                .get("/v1/events/" + eventId).path("area.coordinates[0]");
        // counter-clockwise now: the second position is east of the first
        assertThat(ring.get(1).get(0)).isGreaterThan(ring.get(0).get(0));
    }

    @Test
    void listsThePublishersEventsByStatusAndKind() {
        String publisherEventId = id();
        post(Features.PUBLISHER_KEY, Features.outage(publisherEventId).property("kind", "GAS_OUTAGE").json())
                .then().statusCode(202);
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                .queryParam("status", "ACTIVE").queryParam("kind", "GAS_OUTAGE").queryParam("size", "500")
                .get("/v1/events").then().statusCode(200)
                .body("items.findAll { it.publisherEventId == '" + publisherEventId + "' }.size()", equalTo(1))
                .body("items.every { it.kind == 'GAS_OUTAGE' }", equalTo(true));
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).queryParam("kind", "EARTHQUAKE")
                .get("/v1/events").then().statusCode(422).contentType("application/problem+json");
    }
}
