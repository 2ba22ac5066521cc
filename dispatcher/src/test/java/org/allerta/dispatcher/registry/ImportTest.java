package org.allerta.dispatcher.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/** Bulk registration from CSV: rows registered on their own, refused rows reported, a second run changes nothing. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class ImportTest {

    @Test
    void aCsvOfPeopleIsRegisteredOnceWithAReport() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String csv = """
                externalId,name,language,sms,email,category,label,address,lon,lat,interests,quietFrom,quietTo,consentSource
                imp-1-%1$s,Giulia Rossi,it,333 123 4567,,HOME,Casa,"Via Dazio 90/H, Alessandria",,,POWER_OUTAGE|WATER_OUTAGE,22:00,07:00,"registro comunale, 2025"
                imp-2-%1$s,John Smith,en,,john@example.org,WORK,Office,,8.61,44.91,ROAD_CLEARING,,,
                imp-3-%1$s,Nessuno,it,12,,HOME,,,,,METEORS,,,
                """.formatted(run);
        for (int attempt = 1; attempt <= 2; attempt++) {
            given().header("Authorization", RegistryTest.ADMIN).contentType("text/csv").body(csv)
                    .post("/v1/subscribers/import").then().statusCode(200)
                    .body("rows", equalTo(3))
                    .body("created", equalTo(attempt == 1 ? 2 : 0))
                    .body("existing", equalTo(attempt == 1 ? 0 : 2))
                    .body("refused", equalTo(1))
                    .body("refusals[0].line", equalTo(4))
                    .body("refusals[0].problems.where", hasItem("channels[0].address"))
                    .body("refusals[0].problems.where", hasItem("places[0]"))
                    .body("refusals[0].problems.where", hasItem("interests[0]"));
        }
        given().header("Authorization", RegistryTest.APP).queryParam("externalId", "imp-1-" + run)
                .get("/v1/subscribers").then().statusCode(200)
                .body("[0].channels[0].address", equalTo("+393331234567"))
                .body("[0].channels[0].verified", equalTo(true))
                .body("[0].channels[0].consentSource", equalTo("registro comunale, 2025"))
                .body("[0].quietHours.from", equalTo("22:00"));
        given().header("Authorization", RegistryTest.APP).queryParam("externalId", "imp-2-" + run)
                .get("/v1/subscribers").then().statusCode(200)
                .body("[0].channels[0].verified", equalTo(false))
                .body("[0].places[0].lon", equalTo(8.61f));
        given().header("Authorization", RegistryTest.APP).contentType("text/csv").body(csv)
                .post("/v1/subscribers/import").then().statusCode(403);
    }
}
