package org.allerta.intake.event;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.stream.Stream;
import org.allerta.contracts.Json;
import org.allerta.intake.Features;
import org.allerta.testsupport.Meters;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way an event can be wrong gets its own problem type, a pointer to where, and no 5xx. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class RefusalTest {

    private static Features ok() {
        return Features.outage("refused-" + System.nanoTime());
    }

    private static String polygon(String coordinates) {
        return "{\"type\":\"Polygon\",\"coordinates\":" + coordinates + "}";
    }

    private static String withGeometry(String geometry) {
        ObjectNode feature = ok().node();
        feature.set("geometry", Json.fromBytes(geometry.getBytes(), com.fasterxml.jackson.databind.JsonNode.class));
        return feature.toString();
    }

    private static String manyVertices(int n) {
        ArrayNode ring = Json.mapper().createArrayNode();
        for (int i = 0; i < n; i++) {
            double angle = 2 * Math.PI * i / n;
            ring.addArray().add(8.6 + 0.01 * Math.cos(angle)).add(44.9 + 0.01 * Math.sin(angle));
        }
        ring.add(ring.get(0).deepCopy());
        return withGeometry("{\"type\":\"Polygon\",\"coordinates\":[" + ring + "]}");
    }

    /** An input wrong in many places is told of the first hundred, and how many more there are. */
    @org.junit.jupiter.api.Test
    void anInputWrongInManyPlacesListsTheFirstHundred() {
        Features feature = ok();
        for (int i = 0; i < 250; i++) {
            feature = feature.property("unknown" + i, "x");
        }
        io.restassured.path.json.JsonPath answer = given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                .contentType("application/geo+json").body(feature.json()).post("/v1/events").then().statusCode(422)
                .extract().jsonPath();
        assertThat(answer.getList("problems")).hasSize(101);
        assertThat(answer.getString("problems[100].type")).isEqualTo("urn:allerta:problem:more-issues");
        assertThat(answer.getString("problems[100].why")).startsWith("150 more issues");
    }

    static Stream<Arguments> invalidEvents() {
        String deep = "[".repeat(1000) + "]".repeat(1000);
        return Stream.of(
                Arguments.of("truncated JSON", "{\"type\":\"Feature\",", 400, "unparseable"),
                Arguments.of("empty body", "", 400, "unparseable"),
                Arguments.of("deeply nested JSON", deep, 400, "unparseable"),
                Arguments.of("duplicate keys", "{\"type\":\"Feature\",\"type\":\"Feature\"}", 400, "unparseable"),
                Arguments.of("trailing garbage", ok().json() + " x", 400, "unparseable"),
                Arguments.of("a JSON array", "[]", 422, "not-a-feature"),
                Arguments.of("a FeatureCollection", ok().node().put("type", "FeatureCollection").toString(), 422,
                        "not-a-feature"),
                Arguments.of("no properties", ok().node().without("properties").toString(), 422, "missing-property"),
                Arguments.of("no publisherEventId", ok().without("publisherEventId").json(), 422, "missing-property"),
                Arguments.of("publisherEventId not a string",
                        ok().property("publisherEventId", Json.mapper().getNodeFactory().numberNode(42)).json(), 422,
                        "invalid-property"),
                Arguments.of("the id of a zone's event", ok().property("publisherEventId", "zone:zona-4:2").json(),
                        422, "reserved-publisher-event-id"),
                Arguments.of("the id of a CAP alert", ok().property("publisherEventId",
                        "protezionecivile@regione.piemonte.it,PC-2026-0042,2026-11-28T10:00:00+01:00").json(), 422,
                        "reserved-publisher-event-id"),
                Arguments.of("unknown kind", ok().property("kind", "EARTHQUAKE").json(), 422, "invalid-kind"),
                Arguments.of("unknown status", ok().property("status", "OPEN").json(), 422, "invalid-status"),
                Arguments.of("no severity", ok().without("severity").json(), 422, "missing-property"),
                Arguments.of("unknown urgency", ok().property("urgency", "NOW").json(), 422, "invalid-urgency"),
                Arguments.of("no headline", ok().without("headline").json(), 422, "missing-property"),
                Arguments.of("headline as a string", ok().property("headline", "Guasto").json(), 422,
                        "invalid-language-map"),
                Arguments.of("not a language tag",
                        ok().property("headline", Json.mapper().createObjectNode().put("Italiano", "Guasto")).json(),
                        422, "invalid-language"),
                // a key so long that matching it against the language pattern would recurse out of the stack
                Arguments.of("a language tag of 45,000 characters",
                        ok().property("headline", Json.mapper().createObjectNode().put("ab" + "-xx".repeat(15_000),
                                "Guasto")).json(), 422, "invalid-language"),
                Arguments.of("one language twice, once with its region",
                        ok().property("headline", Json.mapper().createObjectNode().put("it", "Guasto")
                                .put("it-IT", "Guasto in zona")).json(), 422, "duplicate-language"),
                Arguments.of("empty description text",
                        ok().property("description", Json.mapper().createObjectNode().put("it", " ")).json(), 422,
                        "invalid-language-map"),
                Arguments.of("headline too long",
                        ok().property("headline", Json.mapper().createObjectNode().put("it", "x".repeat(301))).json(),
                        422, "text-too-long"),
                Arguments.of("a NUL character in the id", ok().property("publisherEventId", "OMS\u00001").json(), 422,
                        "invalid-characters"),
                Arguments.of("a control character in the headline",
                        ok().property("headline", Json.mapper().createObjectNode().put("it", "Guasto\u0007")).json(),
                        422, "invalid-characters"),
                Arguments.of("misspelt property", ok().property("expectedRestoration", "2026-11-28T10:00:00Z").json(),
                        422, "unknown-property"),
                Arguments.of("not a timestamp", ok().property("expectedRestorationAt", "tomorrow").json(), 422,
                        "invalid-timestamp"),
                Arguments.of("timestamp without offset", ok().property("sentAt", "2026-11-28T10:00:00").json(), 422,
                        "invalid-timestamp"),
                Arguments.of("sent an hour ahead of the server's clock", ok().property("sentAt",
                        java.time.Instant.now().plusSeconds(3600).toString()).json(), 422, "sent-in-future"),
                Arguments.of("a year no storage holds", ok().property("sentAt", "+300000-01-01T00:00:00Z").json(),
                        422, "timestamp-out-of-range"),
                Arguments.of("no geometry", ok().node().without("geometry").toString(), 422, "missing-geometry"),
                Arguments.of("a Point", withGeometry("{\"type\":\"Point\",\"coordinates\":[8.6,44.9]}"), 422,
                        "unsupported-geometry-type"),
                Arguments.of("empty polygon", withGeometry(polygon("[]")), 422, "empty-geometry"),
                Arguments.of("unclosed ring",
                        withGeometry(polygon("[[[8.6,44.9],[8.61,44.9],[8.61,44.91],[8.6,44.91]]]")), 422,
                        "ring-not-closed"),
                Arguments.of("ring of three positions",
                        withGeometry(polygon("[[[8.6,44.9],[8.61,44.9],[8.6,44.9]]]")), 422, "ring-too-short"),
                Arguments.of("bow tie",
                        withGeometry(polygon("[[[8.6,44.9],[8.61,44.91],[8.61,44.9],[8.6,44.91],[8.6,44.9]]]")), 422,
                        "self-intersection"),
                Arguments.of("ring touching itself at a vertex",
                        withGeometry(polygon("[[[8.60,44.90],[8.62,44.90],[8.61,44.91],[8.62,44.92],[8.60,44.92],"
                                + "[8.61,44.91],[8.60,44.90]]]")), 422, "ring-self-intersection"),
                Arguments.of("hole outside its shell",
                        withGeometry(polygon("[[[8.6,44.9],[8.61,44.9],[8.61,44.91],[8.6,44.91],[8.6,44.9]],"
                                + "[[8.7,44.9],[8.7,44.91],[8.71,44.91],[8.71,44.9],[8.7,44.9]]]")), 422,
                        "hole-outside-shell"),
                Arguments.of("overlapping MultiPolygon parts",
                        withGeometry("{\"type\":\"MultiPolygon\",\"coordinates\":["
                                + "[[[8.60,44.90],[8.62,44.90],[8.62,44.92],[8.60,44.92],[8.60,44.90]]],"
                                + "[[[8.61,44.91],[8.63,44.91],[8.63,44.93],[8.61,44.93],[8.61,44.91]]]]}"), 422,
                        "self-intersection"),
                Arguments.of("latitude out of range",
                        withGeometry(polygon("[[[44.9,120],[44.91,120],[44.91,121],[44.9,120]]]")), 422,
                        "coordinate-out-of-range"),
                Arguments.of("longitude out of range",
                        withGeometry(polygon("[[[200,44.9],[201,44.9],[201,44.91],[200,44.9]]]")), 422,
                        "coordinate-out-of-range"),
                Arguments.of("a number too big to be finite",
                        withGeometry(polygon("[[[8.123,44.9],[8.61,44.9],[8.61,44.91],[8.123,44.9]]]"))
                                .replace("8.123", "1e400"), 422,
                        "coordinate-out-of-range"),
                Arguments.of("coordinates as strings",
                        withGeometry(polygon("[[[\"8.6\",\"44.9\"],[8.61,44.9],[8.61,44.91],[8.6,44.9]]]")), 422,
                        "invalid-position"),
                Arguments.of("a position with one number",
                        withGeometry(polygon("[[[8.6],[8.61,44.9],[8.61,44.91],[8.6,44.9]]]")), 422,
                        "invalid-position"),
                Arguments.of("a ring across the 180th meridian",
                        withGeometry(polygon("[[[170,0],[-170,0],[-170,10],[170,10],[170,0]]]")), 422,
                        "crosses-antimeridian"),
                Arguments.of("10,001 vertices", manyVertices(10_001), 422, "too-many-vertices"));
    }

    @ParameterizedTest(name = "{0} -> {2} {3}")
    @MethodSource("invalidEvents")
    void refusesWithItsSpecificProblem(String name, String body, int status, String type) {
        var labels = java.util.Map.of("type", type, "status", Integer.toString(status));
        double before = Meters.value(root(), "allerta_refusals_total", labels);
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("application/geo+json")
                .body(body).when().post("/v1/events")
                .then().statusCode(status).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:" + type)).body("status", equalTo(status))
                .body("detail", notNullValue());
        // counted for the operator, by type and status
        org.assertj.core.api.Assertions.assertThat(Meters.value(root(), "allerta_refusals_total", labels))
                .isEqualTo(before + 1);
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    private String root() {
        String text = url.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    @Test
    void saysWhereTheProblemIs() {
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("application/geo+json")
                .body(withGeometry(polygon("[[[8.6,44.9],[8.61,44.9],[8.61,44.91],[8.6,44.91]]]")))
                .post("/v1/events").then().statusCode(422)
                .body("problems[0].where", equalTo("/geometry/coordinates/0"))
                .body("problems[0].type", equalTo("urn:allerta:problem:ring-not-closed"));
    }

    @Test
    void refusesAWrongContentType() {
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("text/plain")
                .body(ok().json()).post("/v1/events").then().statusCode(415)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:unsupported-media-type"));
    }

    /**
     * An input under the body limit whose event, as written, would not fit in one broker record is refused: stored,
     * it would never leave the outbox and would hold back every event behind it.
     */
    @Test
    void refusesAnEventTooLargeToTravel() {
        var descriptions = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < 200; i++) {
            descriptions.put("" + (char) ('a' + i / 26) + (char) ('a' + i % 26), "d".repeat(4_700));
        }
        String body = ok().property("description", descriptions).json();
        org.assertj.core.api.Assertions.assertThat(body.length()).isLessThan(1_048_576);
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("application/geo+json")
                .body(body).post("/v1/events").then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:event-too-large"));
    }

    @Test
    void refusesABodyOverTheLimit() {
        String big = ok().property("areaDescription", "x".repeat(1_100_000)).json();
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("application/geo+json")
                .body(big).post("/v1/events").then().statusCode(413).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:body-too-large"));
    }
}
