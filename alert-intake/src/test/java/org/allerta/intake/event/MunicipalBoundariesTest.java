package org.allerta.intake.event;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.allerta.contracts.Json;
import org.allerta.intake.Features;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real boundaries as real publishers send them: rings wound clockwise, multi-part municipalities. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class MunicipalBoundariesTest {

    @ParameterizedTest
    @ValueSource(strings = {"openpolis_limits_P_37_municipalities_bologna_province.geojson",
            "openpolis_limits_P_36_municipalities_modena_province.geojson"})
    void acceptsEveryMunicipalityNormalisingClockwiseRings(String file) throws Exception {
        JsonNode collection = Json.mapper().readTree(
                Path.of(System.getProperty("allerta.root", ".."), "data/italy", file).toFile());
        int accepted = 0;
        int normalised = 0;
        for (JsonNode municipality : collection.path("features")) {
            String name = municipality.path("properties").path("name").asText();
            JsonNode geometry = municipality.path("geometry");
            Response answer = given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                    .contentType("application/geo+json")
                    .body(Features.outage(name + "-" + UUID.randomUUID()).property("areaDescription", name)
                            .geometry(geometry).json())
                    .post("/v1/events");
            assertThat(answer.statusCode()).as(name + ": " + answer.asString()).isEqualTo(202);
            accepted++;
            List<String> notes = answer.path("normalisations");
            if (notes.stream().anyMatch(n -> n.contains("clockwise"))) {
                normalised++;
            }
            if (geometry.path("type").asText().equals("MultiPolygon")) {
                String eventId = answer.path("eventId");
                JsonNode stored = Json.mapper().readTree(given()
                        .header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                        .get("/v1/events/" + eventId).asString()).path("area");
                assertThat(stored.path("type").asText()).as(name).isEqualTo("MultiPolygon");
                assertThat(stored.path("coordinates").size()).as(name + " keeps every part")
                        .isEqualTo(geometry.path("coordinates").size());
            }
        }
        assertThat(accepted).isEqualTo(collection.path("features").size());
        assertThat(normalised).as("the openpolis rings are wound clockwise").isEqualTo(accepted);
    }
}
