package org.allerta.matcher.reach;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.Publisher;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.matcher.Gazetteers;
import org.allerta.service.ApiKeys;
import org.allerta.testsupport.LocalPostgis;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicWriter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Reach previews: counts only, the publisher's remit enforced, nothing emitted. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class ReachTest {

    private static void send(String topic, String key, Object value) throws Exception {
        TopicWriter.send(topic, key, Json.toBytes(value));
    }

    private static long count(String sql, String parameter) throws Exception {
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static String square(double lon, double lat, double side) {
        return "{\"type\":\"Polygon\",\"coordinates\":[[[" + lon + "," + lat + "],[" + (lon + side) + "," + lat + "],["
                + (lon + side) + "," + (lat + side) + "],[" + lon + "," + (lat + side) + "],[" + lon + "," + lat + "]]]}";
    }

    /** A strip from {@code west} to {@code east} between 45.1 and 45.2 N. */
    private static String strip(double west, double east) {
        return "{\"type\":\"Polygon\",\"coordinates\":[[[" + west + ",45.1],[" + east + ",45.1],[" + east + ",45.2],["
                + west + ",45.2],[" + west + ",45.1]]]}";
    }

    @io.quarkus.test.common.http.TestHTTPResource("/v1/reach")
    java.net.URI reach;

    /**
     * A body sent in chunks, without a length, is refused before it is read: read whole, it could fill the memory
     * before the missing key refused it.
     */
    @Test
    void aBodyOfUnknownLengthIsRefusedBeforeItIsRead() throws Exception {
        // HTTP/2 preferred, as the JDK client does: the service speaks HTTP/1.1 only, where the length must be said
        var client = java.net.http.HttpClient.newHttpClient();
        var answer = client.send(java.net.http.HttpRequest.newBuilder(reach)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(square(8.6, 44.9, 0.01).getBytes())))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(answer.statusCode()).isEqualTo(411);
        org.assertj.core.api.Assertions.assertThat(answer.body()).contains("urn:allerta:problem:length-required");
    }

    @Test
    void countsWhoAnAreaWouldReachWithinThePublishersRemit() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // three subscribers in a box far from other tests: two follow power (one prioritised, with two places inside)
        send(Topics.SUBSCRIBERS_PLACES, "r1-" + run, new SubscriberPlaces("r1-" + run, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(9.101, 45.101)),
                new SubscriberPlaces.Place("work", PlaceCategory.WORK, null, new LonLat(9.102, 45.102))),
                Set.of(EventKind.POWER_OUTAGE), true, Instant.now()));
        send(Topics.SUBSCRIBERS_PLACES, "r2-" + run, new SubscriberPlaces("r2-" + run, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(9.103, 45.103))),
                Set.of(EventKind.POWER_OUTAGE), false, Instant.now()));
        send(Topics.SUBSCRIBERS_PLACES, "r3-" + run, new SubscriberPlaces("r3-" + run, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(9.104, 45.104))),
                Set.of(EventKind.WATER_OUTAGE), false, Instant.now()));
        // ten more, following power, so that a publisher is shown some counts and not others
        for (int i = 0; i < 10; i++) {
            send(Topics.SUBSCRIBERS_PLACES, "s" + i + "-" + run, new SubscriberPlaces("s" + i + "-" + run,
                    List.of(new SubscriberPlaces.Place("home", PlaceCategory.HOME, null,
                            new LonLat(9.105 + i * 0.0001, 45.105))), Set.of(EventKind.POWER_OUTAGE), false,
                    Instant.now()));
        }
        String key = "reach-key-" + run;
        String publisherId = "reach-" + run;
        send(Topics.PUBLISHERS, publisherId, new Publisher(publisherId, "Utility", ApiKeys.sha256(key),
                Set.of(EventKind.POWER_OUTAGE), Json.mapper().readTree(square(9.0, 45.0, 0.3)), 5000, false, true,
                Instant.now()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                count("SELECT count(*) FROM matcher.place WHERE subscriber_id LIKE ?", "r_-" + run) == 4
                        && count("SELECT count(*) FROM matcher.place WHERE subscriber_id LIKE ?", "s_-" + run) == 10
                        && count("SELECT count(*) FROM matcher.publisher_directory WHERE publisher_id = ?",
                        publisherId) == 1);
        String area = square(9.10, 45.10, 0.01);

        given().header("Authorization", Gazetteers.ADMIN).contentType("application/json")
                .body("{\"geometry\":" + area + "}").post("/v1/reach").then().statusCode(200)
                .body("subscribers", equalTo(13)).body("places", equalTo(14)).body("prioritised", equalTo(1))
                .body("$", not(hasKey("withheldBelow")));
        // a publisher is shown the counts of ten or more, rounded down to tens, not the one prioritised person
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"kind\":\"POWER_OUTAGE\",\"geometry\":" + area + "}").post("/v1/reach").then()
                .statusCode(200).body("subscribers", equalTo(10)).body("places", equalTo(10))
                .body("$", not(hasKey("prioritised"))).body("withheldBelow", equalTo(10));
        // an area drawn around one house says nothing about who lives there
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"kind\":\"POWER_OUTAGE\",\"geometry\":" + square(9.101, 45.101, 0.0002) + "}")
                .post("/v1/reach").then().statusCode(200).body("$", not(hasKey("subscribers")))
                .body("$", not(hasKey("places"))).body("$", not(hasKey("prioritised")))
                .body("withheldBelow", equalTo(10));
        given().header("Authorization", Gazetteers.ADMIN).contentType("application/json")
                .body("{\"geometry\":" + square(9.101, 45.101, 0.0002) + "}").post("/v1/reach").then()
                .statusCode(200).body("subscribers", equalTo(1)).body("prioritised", equalTo(1));
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"kind\":\"WATER_OUTAGE\",\"geometry\":" + area + "}").post("/v1/reach").then()
                .statusCode(403).body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"kind\":\"POWER_OUTAGE\",\"geometry\":" + square(12.4, 41.8, 0.01) + "}").post("/v1/reach")
                .then().statusCode(403).body("type", equalTo("urn:allerta:problem:outside-territory"));
        // the territory's tolerance is 100 m on the ground in every direction, as when publishing: at 45°N a degree
        // of longitude is about 78.6 km, so 90 m east of the territory is inside it and 130 m is not
        double degree = 111_320 * Math.cos(Math.toRadians(45.15));
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"kind\":\"POWER_OUTAGE\",\"geometry\":" + strip(9.29, 9.3 + 90 / degree) + "}")
                .post("/v1/reach").then().statusCode(200);
        given().header("Authorization", "Bearer " + key).contentType("application/json")
                .body("{\"kind\":\"POWER_OUTAGE\",\"geometry\":" + strip(9.29, 9.3 + 130 / degree) + "}")
                .post("/v1/reach").then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:outside-territory"));
        given().header("Authorization", "Bearer wrong").contentType("application/json")
                .body("{\"geometry\":" + area + "}").post("/v1/reach").then().statusCode(401);
        given().header("Authorization", Gazetteers.ADMIN).contentType("application/json")
                .body("{\"geometry\":{\"type\":\"Point\",\"coordinates\":[9.1,45.1]}}").post("/v1/reach").then()
                .statusCode(422).body("type", equalTo("urn:allerta:problem:unsupported-geometry-type"));
        // a misspelt kind or severity is named as alert-intake names it when publishing
        given().header("Authorization", Gazetteers.ADMIN).contentType("application/json")
                .body("{\"kind\":\"WATER\",\"geometry\":" + area + "}").post("/v1/reach").then()
                .statusCode(422).body("type", equalTo("urn:allerta:problem:invalid-kind"));
        given().header("Authorization", Gazetteers.ADMIN).contentType("application/json")
                .body("{\"kind\":\"WATER_OUTAGE\",\"severity\":\"HUGE\",\"geometry\":" + area + "}")
                .post("/v1/reach").then()
                .statusCode(422).body("type", equalTo("urn:allerta:problem:invalid-severity"));
    }
}
