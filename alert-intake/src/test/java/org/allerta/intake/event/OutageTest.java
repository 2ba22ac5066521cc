package org.allerta.intake.event;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URL;
import java.time.Duration;
import java.util.UUID;
import org.allerta.contracts.Topics;
import org.allerta.intake.Features;
import org.allerta.testsupport.Health;
import org.allerta.testsupport.LocalKafka;
import org.allerta.testsupport.LocalPostgis;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.junit.jupiter.api.Test;

/** Dependencies going away: the database (503, come back later) and the broker (accepted, delivered later). */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class OutageTest {

    @TestHTTPResource("/")
    URL root;

    private String base() {
        return root.toString().replaceAll("/$", "");
    }

    @Test
    void answers503WithRetryAfterWhileTheDatabaseIsDown() {
        Health.awaitReadiness(base(), true, Duration.ofSeconds(60));
        LocalPostgis.shared().stop();
        try {
            given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("application/geo+json")
                    .body(Features.outage("DB-" + UUID.randomUUID()).json()).post("/v1/events")
                    .then().statusCode(503).header("Retry-After", "5").contentType("application/problem+json")
                    .body("type", equalTo("urn:allerta:problem:unavailable"));
        } finally {
            LocalPostgis.shared().start();
        }
        Health.awaitReadiness(base(), true, Duration.ofSeconds(60));
        given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY).contentType("application/geo+json")
                .body(Features.outage("DB-" + UUID.randomUUID()).json()).post("/v1/events").then().statusCode(202);
    }

    @Test
    void acceptsWhileTheBrokerIsDownAndDeliversOnceItIsBack() {
        Health.awaitReadiness(base(), true, Duration.ofSeconds(60));
        LocalKafka.shared().stop();
        String eventId;
        try {
            eventId = given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                    .contentType("application/geo+json").body(Features.outage("BROKER-" + UUID.randomUUID()).json())
                    .post("/v1/events").then().statusCode(202).extract().path("eventId");
            assertThat(Health.get(base(), "/q/health/ready").status()).as("still ready").isEqualTo(200);
        } finally {
            LocalKafka.shared().start();
        }
        String id = eventId;
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            reader.await(r -> id.equals(r.key()), 1, Duration.ofSeconds(90));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> id.equals(r.key()))).hasSize(1);
        }
    }
}
