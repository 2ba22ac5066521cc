package org.allerta.intake.publisher;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.intake.Features;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keys, kinds, territory and area limits, on the real database. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class AuthorisationTest {

    private String publisherId;
    private String key;
    private String secret;

    static JsonNode alessandria() throws Exception {
        Path file = Path.of(System.getProperty("allerta.root", ".."), "data/italy/comune_alessandria_006003_openpolis.geojson");
        return Json.mapper().readTree(file.toFile()).path("features").get(0).path("geometry");
    }

    static Response admin(String method, String path, String body) {
        var request = given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/json");
        if (body != null) {
            request.body(body);
        }
        return request.request(method, path);
    }

    @BeforeEach
    void createsAPowerUtilityOfAlessandria() throws Exception {
        publisherId = "amag-" + UUID.randomUUID().toString().substring(0, 8);
        var spec = Json.mapper().createObjectNode().put("publisherId", publisherId).put("name", "AMAG Reti Elettriche")
                .put("areaLimitKm2", 50.0);
        spec.putArray("allowedKinds").add("POWER_OUTAGE");
        spec.set("territory", alessandria());
        Response created = admin("POST", "/v1/admin/publishers", spec.toString());
        created.then().statusCode(201).body("apiKey", notNullValue()).body("signingSecret", notNullValue())
                .body("publisher.apiKeySha256", notNullValue());
        key = created.path("apiKey");
        secret = created.path("signingSecret");
        assertThat(key).hasSizeGreaterThanOrEqualTo(43);
    }

    private Response post(String apiKey, String json) {
        return given().header("Authorization", "Bearer " + apiKey).contentType("application/geo+json").body(json)
                .post("/v1/events");
    }

    @Test
    void acceptsAnOutageInsideItsTerritory() {
        post(key, Features.outage("in").square(8.60, 44.90, 0.01).json()).then().statusCode(202);
    }

    @Test
    void refusesCallsWithoutOrWithAWrongKey() {
        given().contentType("application/geo+json").body(Features.outage("x").json()).post("/v1/events")
                .then().statusCode(401).header("WWW-Authenticate", "Bearer").contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:unauthenticated"));
        post("not-a-key", Features.outage("x").json()).then().statusCode(401);
        given().header("Authorization", "Basic " + key).contentType("application/geo+json")
                .body(Features.outage("x").json()).post("/v1/events").then().statusCode(401);
    }

    @Test
    void refusesAKindOutsideItsRemit() {
        post(key, Features.outage("water").property("kind", "WATER_OUTAGE").json()).then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
    }

    @Test
    void refusesAnAreaOutsideItsTerritoryAndHintsAtSwappedCoordinates() {
        post(key, Features.outage("rome").square(12.45, 41.85, 0.02).json()).then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:outside-territory"));
        post(key, Features.outage("swapped").ring(new double[][] {{44.90, 8.60}, {44.90, 8.61}, {44.91, 8.61},
                {44.91, 8.60}, {44.90, 8.60}}).json()).then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:outside-territory"))
                .body("detail", org.hamcrest.Matchers.containsString("swapped"));
    }

    @Test
    void refusesAnAreaOverItsLimit() {
        post(key, Features.outage("big").square(8.55, 44.85, 0.1).json()).then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:area-too-large"));
    }

    /**
     * A publisher whose remit was narrowed after an event began (its kinds, its territory) may still end that event,
     * but neither start nor change one outside its remit.
     */
    @Test
    void aRemitNarrowedDuringAnEventStillLetsItsPublisherEndIt() {
        String publisherEventId = "OMS-" + UUID.randomUUID();
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.01).json()).then().statusCode(202);
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKinds\": [\"WATER_OUTAGE\"]}").then()
                .statusCode(200);
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.01)
                .property("expectedRestorationAt", "2026-11-28T20:00:00Z").json()).then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        post(key, Features.outage("OMS-" + UUID.randomUUID()).square(8.60, 44.90, 0.01).property("status",
                "RESOLVED").json()).then().statusCode(403).body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        // an end over another area is checked as any change is
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.02).property("status", "RESOLVED").json())
                .then().statusCode(403).body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.01).property("status", "RESOLVED").json())
                .then().statusCode(202).body("revision", equalTo(2)).body("status", equalTo("RESOLVED"));
        // the same end again (a retry) is a repeat
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.01).property("status", "RESOLVED").json())
                .then().statusCode(200).body("outcome", equalTo("UNCHANGED"));
        // once ended, a further revision of its end is checked too: another status, or the same end in new words
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.01).property("status", "CANCELLED").json())
                .then().statusCode(403).body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        post(key, Features.outage(publisherEventId).square(8.60, 44.90, 0.01).property("status", "RESOLVED")
                .property("headline", Json.mapper().createObjectNode().put("it", "Corrente tornata ovunque")).json())
                .then().statusCode(403).body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
    }

    /** The same for a snow crew's zone: cleared after the season's end narrowed the remit. */
    @Test
    void aZoneOpenWhenTheRemitNarrowedCanStillBeCleared() {
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKinds\": [\"POWER_OUTAGE\", \"ROAD_CLEARING\"]}")
                .then().statusCode(200);
        String zoneId = "zona-" + UUID.randomUUID().toString().substring(0, 8);
        given().header("Authorization", "Bearer " + key).contentType("application/geo+json")
                .body(Features.outage("unused").square(8.60, 44.90, 0.01).property("name", "Zona 4 - Cristo").json()
                        .replace("\"publisherEventId\":\"unused\",", ""))
                .put("/v1/zones/" + zoneId).then().statusCode(200);
        String status = "{\"status\":\"%s\",\"note\":\"Mezzi in arrivo\"}";
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(status.formatted("NOT_STARTED")).post("/v1/zones/" + zoneId + "/status").then().statusCode(202);
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKinds\": [\"POWER_OUTAGE\"]}").then()
                .statusCode(200);
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(status.formatted("IN_PROGRESS")).post("/v1/zones/" + zoneId + "/status").then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body(status.formatted("CLEARED")).post("/v1/zones/" + zoneId + "/status").then().statusCode(202)
                .body("status", equalTo("RESOLVED"));
    }

    /** A null territory lifts the limit (anywhere again); a null among the kinds is refused, not a server error. */
    @Test
    void aTerritoryCanBeLiftedAndANullKindIsRefused() {
        String rome = Features.outage("rome").square(12.48, 41.89, 0.01).json();
        post(key, rome).then().statusCode(403).body("type", equalTo("urn:allerta:problem:outside-territory"));
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"territory\": null}").then().statusCode(200);
        post(key, rome).then().statusCode(202);
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKinds\": [\"POWER_OUTAGE\", null]}").then()
                .statusCode(422).body("type", equalTo("urn:allerta:problem:invalid-kind"));
        // a misspelt kind too, naming it and the kinds there are
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKinds\": [\"POWER_OUTAGE\", \"WATER\"]}")
                .then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:invalid-kind"))
                .body("detail", org.hamcrest.Matchers.containsString("'WATER' is not one of"))
                .body("detail", org.hamcrest.Matchers.containsString("WATER_OUTAGE"));
        // a kind by its position, as a number or a numeric string, is no kind: it would grant whichever comes there
        for (String position : java.util.List.of("6", "\"0\"")) {
            admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKinds\": [" + position + "]}")
                    .then().statusCode(422).contentType("application/problem+json")
                    .body("type", equalTo("urn:allerta:problem:invalid-kind"));
        }
        admin("GET", "/v1/admin/publishers/" + publisherId, null).then().statusCode(200)
                .body("allowedKinds", equalTo(java.util.List.of("POWER_OUTAGE")));
        // and a value of the wrong type is a problem too, not the framework's own answer
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"areaLimitKm2\": {\"km2\": 5}}")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:unparseable"));
    }

    @Test
    void theAdminKeyAdministersButNeverPublishes() {
        post(Features.ADMIN_KEY, Features.outage("admin").json()).then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:publisher-key-required"));
        // nor through a snow crew's doors: a zone defined, a zone's list, a zone's state
        String zone = Features.outage("unused").square(8.60, 44.90, 0.01).property("name", "Zona 9").json()
                .replace("\"publisherEventId\":\"unused\",", "");
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/geo+json")
                .body(zone).put("/v1/zones/zona-admin").then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:publisher-key-required"));
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/geo+json")
                .body("{\"type\":\"FeatureCollection\",\"features\":[]}").post("/v1/zones").then()
                .statusCode(403).body("type", equalTo("urn:allerta:problem:publisher-key-required"));
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/json")
                .body("{\"status\":\"CLEARED\"}").post("/v1/zones/zona-admin/status").then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:publisher-key-required"));
        given().header("Authorization", "Bearer " + key).get("/v1/admin/publishers").then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:admin-key-required"));
    }

    @Test
    void aPublisherCannotReadAnotherPublishersEvents() {
        String eventId = post(Features.PUBLISHER_KEY, Features.outage("dev-" + UUID.randomUUID()).json())
                .then().statusCode(202).extract().path("eventId");
        given().header("Authorization", "Bearer " + key).get("/v1/events/" + eventId).then().statusCode(404);
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).get("/v1/events/" + eventId)
                .then().statusCode(200);
        // nor find them in its list, which holds its own
        String own = post(key, Features.outage("own-" + UUID.randomUUID()).square(8.60, 44.90, 0.01).json())
                .then().statusCode(202).extract().path("eventId");
        given().header("Authorization", "Bearer " + key).queryParam("size", 500).get("/v1/events").then()
                .statusCode(200).body("items.eventId", org.hamcrest.Matchers.hasItem(own))
                .body("items.eventId", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(eventId)))
                .body("items.publisherId", org.hamcrest.Matchers.everyItem(equalTo(publisherId)));
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).queryParam("size", 500).get("/v1/events")
                .then().statusCode(200).body("items.eventId", org.hamcrest.Matchers.hasItems(own, eventId));
    }

    @Test
    void rotatingTheKeyRetiresTheOldOne() {
        String newKey = admin("POST", "/v1/admin/publishers/" + publisherId + "/key", null).then().statusCode(200)
                .body("signingSecret", nullValue()).extract().path("apiKey");
        post(key, Features.outage("old").json()).then().statusCode(401);
        post(newKey, Features.outage("new").square(8.60, 44.90, 0.01).json()).then().statusCode(202);
    }

    /**
     * A key rotation and another change of the same publisher at the same moment: the change never writes the old
     * key back, so the new key, shown once, works.
     */
    @Test
    void aChangeAtTheMomentOfARotationKeepsTheNewKey() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            String latest = null;
            for (int i = 0; i < 10; i++) {
                String name = "Rinominato " + i;
                var rotation = pool.submit(() -> admin("POST", "/v1/admin/publishers/" + publisherId + "/key", null)
                        .then().statusCode(200).extract().<String>path("apiKey"));
                var renaming = pool.submit(() -> admin("PUT", "/v1/admin/publishers/" + publisherId,
                        "{\"name\": \"" + name + "\"}").then().statusCode(200));
                latest = rotation.get();
                renaming.get();
            }
            post(latest, Features.outage("after-race").square(8.60, 44.90, 0.01).json()).then().statusCode(202);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A misspelt property is refused, never ignored: "allowedKind" would leave the publisher unrestricted. */
    @Test
    void aMisspeltPropertyIsRefusedNotIgnored() {
        admin("PUT", "/v1/admin/publishers/" + publisherId, "{\"allowedKind\": [\"WATER_OUTAGE\"]}").then()
                .statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:unknown-property"))
                .body("problems[0].where", equalTo("/allowedKind"));
    }

    @Test
    void revokingAPublisherStopsItsKey() {
        admin("DELETE", "/v1/admin/publishers/" + publisherId, null).then().statusCode(200)
                .body("active", equalTo(false));
        post(key, Features.outage("revoked").json()).then().statusCode(401);
    }

    @Test
    void theKeyAndSecretAreShownOnceAndNeverPublished() {
        String shown = admin("GET", "/v1/admin/publishers/" + publisherId, null).then().statusCode(200)
                .extract().asString();
        assertThat(shown).doesNotContain(key).doesNotContain(secret).doesNotContain("signingSecret");
        try (var reader = new TopicReader(Topics.PUBLISHERS)) {
            var records = reader.await(r -> publisherId.equals(r.key()), 1, Duration.ofSeconds(30));
            String json = new String(records.get(0).value(), StandardCharsets.UTF_8);
            assertThat(json).contains("apiKeySha256").doesNotContain(key).doesNotContain(secret)
                    .doesNotContainIgnoringCase("secret");
        }
    }
}
