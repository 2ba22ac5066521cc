package org.allerta.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.allerta.contracts.Json;

/** Builds GeoJSON Features for tests: {@code Features.outage("OMS-1").square(8.6, 44.9, 0.01).json()}. */
public final class Features {

    public static final String PUBLISHER_KEY = "test-publisher-key";
    public static final String ADMIN_KEY = "test-admin-key";

    private final ObjectNode feature = Json.mapper().createObjectNode();
    private final ObjectNode properties;

    private Features(String publisherEventId) {
        feature.put("type", "Feature");
        properties = feature.putObject("properties");
        properties.put("publisherEventId", publisherEventId);
        properties.put("kind", "POWER_OUTAGE");
        properties.put("severity", "MODERATE");
        properties.putObject("headline").put("it", "Interruzione di corrente").put("en", "Power outage");
        properties.put("areaDescription", "Quartiere Cristo");
        square(8.60, 44.90, 0.01);
    }

    /** A publisher the admin created for one test: its id and its key. */
    public record NewPublisher(String id, String key) {
    }

    /** Creates a publisher (id {@code prefix-<random>}) of these kinds, in test mode or not, with the admin key. */
    public static NewPublisher newPublisher(String prefix, String name, boolean testMode, String... kinds) {
        String id = prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        ObjectNode spec = Json.mapper().createObjectNode().put("publisherId", id).put("name", name)
                .put("testMode", testMode);
        ArrayNode allowed = spec.putArray("allowedKinds");
        for (String kind : kinds) {
            allowed.add(kind);
        }
        String key = io.restassured.RestAssured.given().header("Authorization", "Bearer " + ADMIN_KEY)
                .contentType("application/json").body(spec.toString()).post("/v1/admin/publishers").then()
                .statusCode(201).extract().path("apiKey");
        return new NewPublisher(id, key);
    }

    public static Features outage(String publisherEventId) {
        return new Features(publisherEventId);
    }

    /** A counter-clockwise square with its south-west corner at (lon, lat). */
    public Features square(double lon, double lat, double side) {
        return ring(new double[][] {{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side},
                {lon, lat}});
    }

    /** A Polygon with one ring, positions as given. */
    public Features ring(double[][] positions) {
        ObjectNode geometry = feature.putObject("geometry");
        geometry.put("type", "Polygon");
        ArrayNode ring = geometry.putArray("coordinates").addArray();
        for (double[] p : positions) {
            ring.addArray().add(p[0]).add(p[1]);
        }
        return this;
    }

    public Features geometry(JsonNode geometry) {
        feature.set("geometry", geometry);
        return this;
    }

    public Features property(String name, String value) {
        properties.put(name, value);
        return this;
    }

    public Features property(String name, JsonNode value) {
        properties.set(name, value);
        return this;
    }

    public Features without(String name) {
        properties.remove(name);
        return this;
    }

    public ObjectNode node() {
        return feature;
    }

    public String json() {
        return feature.toString();
    }
}
