package org.allerta.intake.zone;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.UUID;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.ZoneStatus;
import org.allerta.intake.Features;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class ZoneTest {

    private static final String KEY = "Bearer " + Features.PUBLISHER_KEY;

    static Response status(String zoneId, String status) {
        return given().header("Authorization", KEY).contentType("application/json")
                .body("{\"status\":\"" + status + "\",\"note\":\"Mezzi in arrivo\",\"expectedAt\":\"2026-11-28T12:00:00+01:00\"}")
                .post("/v1/zones/" + zoneId + "/status").then().log().ifValidationFails().extract().response();
    }

    static AlertEvent event(String eventId) {
        return eventAs(KEY, eventId);
    }

    static String register(String zoneId) {
        put(KEY, zoneId, "Zona 4 - Cristo").then().statusCode(200).body("name", equalTo("Zona 4 - Cristo"));
        return zoneId;
    }

    /** Registers (or changes) a zone with the test outage's square as its area. */
    static Response put(String key, String zoneId, String name) {
        return given().header("Authorization", key).contentType("application/geo+json")
                .body(Features.outage("unused").property("name", name).json()
                        .replace("\"publisherEventId\":\"unused\",", ""))
                .put("/v1/zones/" + zoneId);
    }

    @Test
    void aZoneGoesNotStartedInProgressClearedAsOneEventThenTheNextSnowfallOpensANewOne() {
        String zoneId = register("z4-" + UUID.randomUUID().toString().substring(0, 8));
        String eventId = status(zoneId, "NOT_STARTED").then().statusCode(202).body("revision", equalTo(1))
                .extract().path("eventId");
        AlertEvent first = event(eventId);
        assertThat(first.kind()).isEqualTo(EventKind.ROAD_CLEARING);
        assertThat(first.zone().status()).isEqualTo(ZoneStatus.NOT_STARTED);
        assertThat(first.headline().get("it")).contains("non ancora iniziato").contains("Zona 4 - Cristo");

        status(zoneId, "NOT_STARTED").then().statusCode(200).body("outcome", equalTo("UNCHANGED"));
        status(zoneId, "IN_PROGRESS").then().statusCode(202).body("eventId", equalTo(eventId))
                .body("revision", equalTo(2));
        status(zoneId, "CLEARED").then().statusCode(202).body("eventId", equalTo(eventId))
                .body("revision", equalTo(3)).body("status", equalTo("RESOLVED"));
        assertThat(event(eventId).zone().status()).isEqualTo(ZoneStatus.CLEARED);
        assertThat(event(eventId).status()).isEqualTo(EventStatus.RESOLVED);
        status(zoneId, "CLEARED").then().statusCode(200).body("outcome", equalTo("UNCHANGED"));

        String next = status(zoneId, "NOT_STARTED").then().statusCode(202).body("revision", equalTo(1))
                .extract().path("eventId");
        assertThat(next).isNotEqualTo(eventId);
    }

    /**
     * A crew onboarded in test mode opens its zone as a test; once the mode is switched off, the zone is not stuck on
     * that test: its next status ends the test quietly and, when it opens, goes out as a new, real event.
     */
    @Test
    void aZoneOpenedInTestModeGoesOnAsARealEventOnceTheModeIsOff() {
        var crew = Features.newPublisher("crew", "Squadra neve", true, "ROAD_CLEARING");
        String key = "Bearer " + crew.key();
        String zoneId = "zt-" + UUID.randomUUID().toString().substring(0, 8);
        put(key, zoneId, "Zona di prova").then().statusCode(200);
        String drill = statusAs(key, zoneId, "NOT_STARTED").then().statusCode(202).extract().path("eventId");
        assertThat(eventAs(key, drill).test()).isTrue();

        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/json")
                .body("{\"testMode\": false}").put("/v1/admin/publishers/" + crew.id()).then().statusCode(200);
        put(key, zoneId, "Zona di prova").then().statusCode(200);
        String real = statusAs(key, zoneId, "IN_PROGRESS").then().statusCode(202).body("revision", equalTo(1))
                .extract().path("eventId");
        assertThat(real).isNotEqualTo(drill);
        assertThat(eventAs(key, real).test()).isFalse();
        assertThat(eventAs(key, real).zone().status()).isEqualTo(ZoneStatus.IN_PROGRESS);
        AlertEvent ended = eventAs(key, drill);
        assertThat(ended.status()).isEqualTo(EventStatus.RESOLVED);
        assertThat(ended.test()).as("the test ended as a test").isTrue();
        statusAs(key, zoneId, "CLEARED").then().statusCode(202).body("eventId", equalTo(real))
                .body("status", equalTo("RESOLVED"));
    }

    private static Response statusAs(String key, String zoneId, String status) {
        return given().header("Authorization", key).contentType("application/json")
                .body("{\"status\":\"" + status + "\"}").post("/v1/zones/" + zoneId + "/status").then()
                .log().ifValidationFails().extract().response();
    }

    private static AlertEvent eventAs(String key, String eventId) {
        return Json.fromBytes(given().header("Authorization", key).get("/v1/events/" + eventId).asByteArray(),
                AlertEvent.class);
    }

    @Test
    void loadsACollectionOfZonesAllOrNothing() {
        String a = "za-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "zb-" + UUID.randomUUID().toString().substring(0, 8);
        String square = Features.outage("x").json();
        String geometry = Json.fromBytes(square.getBytes(), com.fasterxml.jackson.databind.JsonNode.class)
                .path("geometry").toString();
        String collection = "{\"type\":\"FeatureCollection\",\"features\":["
                + "{\"type\":\"Feature\",\"id\":\"" + a + "\",\"properties\":{\"name\":\"Zona A\"},\"geometry\":" + geometry + "},"
                + "{\"type\":\"Feature\",\"properties\":{\"zoneId\":\"" + b + "\",\"name\":\"Zona B\"},\"geometry\":" + geometry + "}]}";
        given().header("Authorization", KEY).contentType("application/geo+json").body(collection).post("/v1/zones")
                .then().statusCode(200).body("zones", equalTo(2));
        status(b, "IN_PROGRESS").then().statusCode(202);

        String broken = collection.replace("\"Zona B\"", "\"\"");
        given().header("Authorization", KEY).contentType("application/geo+json").body(broken).post("/v1/zones")
                .then().statusCode(422).body("problems[0].where", equalTo("/features/1/properties/name"));
    }

    @Test
    void refusesUnknownZonesAndStatuses() {
        status("never-registered", "IN_PROGRESS").then().statusCode(404);
        String zoneId = register("zs-" + UUID.randomUUID().toString().substring(0, 8));
        status(zoneId, "MELTED").then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:invalid-zone-status"));
        status(zoneId, "CLEARED").then().statusCode(409).body("type", equalTo("urn:allerta:problem:zone-not-open"));
    }
}
