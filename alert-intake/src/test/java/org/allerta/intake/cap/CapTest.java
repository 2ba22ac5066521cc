package org.allerta.intake.cap;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.intake.Features;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class CapTest {

    static String oasis(String name) throws Exception {
        return Files.readString(Path.of(System.getProperty("allerta.root", ".."), "data/cap", name));
    }

    /** The same alert under fresh identifiers, so that tests do not see each other's messages. */
    static String fresh(String xml, String... identifiers) {
        String suffix = "-" + UUID.randomUUID();
        for (String id : identifiers) {
            xml = xml.replace(id, id + suffix);
        }
        return xml;
    }

    static Response post(String xml) {
        return post(xml.getBytes(StandardCharsets.UTF_8), "application/cap+xml");
    }

    static Response post(byte[] xml, String contentType) {
        return post(Features.PUBLISHER_KEY, xml, contentType);
    }

    static Response post(String key, byte[] xml, String contentType) {
        return given().header("Authorization", "Bearer " + key).contentType(contentType).body(xml).post("/v1/cap");
    }

    static AlertEvent event(String eventId) {
        return Json.fromBytes(given().header("Authorization", "Bearer " + Features.PUBLISHER_KEY)
                .get("/v1/events/" + eventId).asByteArray(), AlertEvent.class);
    }

    static String alert(String identifier, String sent, String msgType, String references, String polygon) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
                  <identifier>%s</identifier>
                  <sender>protezionecivile@comune.alessandria.it</sender>
                  <sent>%s</sent>
                  <status>Actual</status>
                  <msgType>%s</msgType>
                  <scope>Public</scope>
                  %s
                  <info>
                    <language>it-IT</language>
                    <category>Met</category>
                    <event>Allerta neve</event>
                    <urgency>Expected</urgency>
                    <severity>Severe</severity>
                    <certainty>Likely</certainty>
                    <headline>Nevicate intense su Alessandria</headline>
                    <area><areaDesc>Alessandria centro</areaDesc><polygon>%s</polygon></area>
                  </info>
                </alert>
                """.formatted(identifier, sent, msgType,
                references == null ? "" : "<references>" + references + "</references>", polygon);
    }

    static final String CENTRE = "44.90,8.60 44.90,8.62 44.92,8.62 44.92,8.60 44.90,8.60";

    @Test
    void theThunderstormPolygonLandsInCaliforniaNotAtLatitudeMinus120() throws Exception {
        Response answer = post(fresh(oasis("Oasis_ThunderstormWarning.xml"), "KSTO1055887203"));
        answer.then().statusCode(202);
        AlertEvent event = event(answer.path("eventId"));
        JsonNode first = event.area().path("coordinates").get(0).get(0);
        assertThat(first.get(0).asDouble()).as("longitude").isBetween(-125.0, -114.0);
        assertThat(first.get(1).asDouble()).as("latitude").isBetween(32.0, 42.0);
        assertThat(event.severity().name()).isEqualTo("SEVERE");
        assertThat(event.headline()).containsKey("en");
    }

    @Test
    void theEarthquakeUpdateWithoutItsOriginalStartsANewEventFromACircleOfRadiusZero() throws Exception {
        Response answer = post(fresh(oasis("Oasis_EarthquakeReport.xml"), "TRI13970876"));
        answer.then().statusCode(202).body("revision", equalTo(1));
        AlertEvent event = event(answer.path("eventId"));
        assertThat(event.references()).hasSize(1).allMatch(r -> r.contains("TRI13970876"));
        assertThat(event.area().path("type").asText()).isEqualTo("Polygon");
        assertThat(event.urgency().name()).isEqualTo("PAST");
    }

    @Test
    void alertsWithoutAPolygonOrCircleAreRefusedWithTheReason() throws Exception {
        post(fresh(oasis("Oasis_AmberAlert.xml"), "KAR0-0306112239-SW")).then().statusCode(422)
                .contentType("application/problem+json").body("type", equalTo("urn:allerta:problem:cap-no-area"));
        post(fresh(oasis("Oasis_HomelandAlert.xml"), "43b080713727")).then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:cap-no-area"));
    }

    @Test
    void anAlertItsUpdateAndItsCancelAreOneEventWithThreeRevisions() {
        String id = "AL-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(202).extract().path("eventId");
        String original = sender + "," + id + ",2026-11-28T08:00:00+01:00";
        post(alert(id + "-u", "2026-11-28T09:00:00+01:00", "Update", original,
                "44.90,8.60 44.90,8.63 44.93,8.63 44.93,8.60 44.90,8.60"))
                .then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(2));
        post(alert(id + "-c", "2026-11-28T10:00:00+01:00", "Cancel",
                sender + "," + id + "-u,2026-11-28T09:00:00+01:00", CENTRE))
                .then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(3))
                .body("status", equalTo("CANCELLED"));
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            assertThat(reader.await(r -> eventId.equals(r.key()), 3, Duration.ofSeconds(30))).hasSize(3);
        }
    }

    /** An Update whose every block says "AllClear" ends the event; one block still warning keeps it going. */
    @Test
    void anAllClearUpdateResolvesTheEvent() {
        String id = "CLEAR-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(202).extract().path("eventId");
        String original = sender + "," + id + ",2026-11-28T08:00:00+01:00";
        String partly = alert(id + "-p", "2026-11-28T09:00:00+01:00", "Update", original, CENTRE)
                .replace("<info>", "<info><responseType>AllClear</responseType>")
                .replace("</info>", "</info><info><language>en-GB</language><category>Met</category>"
                        + "<event>Snow</event><responseType>Monitor</responseType><urgency>Expected</urgency>"
                        + "<severity>Severe</severity><certainty>Likely</certainty>"
                        + "<headline>Heavy snow</headline></info>");
        post(partly).then().statusCode(202).body("revision", equalTo(2)).body("status", equalTo("ACTIVE"));
        String clear = alert(id + "-c", "2026-11-28T10:00:00+01:00", "Update",
                sender + "," + id + "-p,2026-11-28T09:00:00+01:00", CENTRE)
                .replace("<info>", "<info><responseType>Monitor</responseType><responseType>AllClear</responseType>");
        post(clear).then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(3))
                .body("status", equalTo("RESOLVED"));
        assertThat(event(eventId).status()).isEqualTo(org.allerta.contracts.EventStatus.RESOLVED);
    }

    /** A blank headline is no headline: the event's name tells people what happened, and without it the alert is refused. */
    @Test
    void aBlankHeadlineFallsBackToTheEventOrIsRefused() {
        String blank = alert("BLANK-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<headline>Nevicate intense su Alessandria</headline>", "<headline> </headline>");
        String eventId = post(blank).then().statusCode(202).extract().path("eventId");
        assertThat(event(eventId).headline()).containsEntry("it", "Allerta neve");
        post(blank.replace("BLANK-", "NONE-").replace("<event>Allerta neve</event>", "<event></event>")).then()
                .statusCode(422).body("type", equalTo("urn:allerta:problem:cap-missing-headline"));
    }

    /** CAP makes {@code <info>} optional: a Cancel naming only what it cancels ends the event as it stands. */
    @Test
    void aCancelWithoutInfoCancelsTheEventAsItStands() {
        String id = "BARE-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(202).extract().path("eventId");
        String cancel = """
                <?xml version="1.0" encoding="UTF-8"?>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
                  <identifier>%s-c</identifier><sender>%s</sender><sent>2026-11-28T11:00:00+01:00</sent>
                  <status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>
                  <references>%s,%s,2026-11-28T08:00:00+01:00</references>
                </alert>""".formatted(id, sender, sender, id);
        post(cancel).then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(2))
                .body("status", equalTo("CANCELLED"));
        AlertEvent cancelled = event(eventId);
        assertThat(cancelled.status()).isEqualTo(EventStatus.CANCELLED);
        assertThat(cancelled.headline()).containsEntry("it", "Nevicate intense su Alessandria");
        assertThat(cancelled.area()).isNotNull();
        // a Test message never touches a real alert
        post(alert(id + "-t", "2026-11-28T12:00:00+01:00", "Update", sender + "," + id + ",2026-11-28T08:00:00+01:00",
                CENTRE).replace("<status>Actual</status>", "<status>Test</status>"))
                .then().statusCode(422).body("type", equalTo("urn:allerta:problem:cap-test-mismatch"));
    }

    /**
     * CAP requires an {@code <area>} to have its {@code <areaDesc>} and makes its shapes optional: a Cancel whose
     * area names the place without a shape (or with geocodes only) cancels the event as it stands.
     */
    @Test
    void aCancelWhoseAreaHasNoShapeCancelsTheEventAsItStands() {
        String id = "DESC-" + UUID.randomUUID();
        String sent = "2026-11-28T08:00:00+01:00";
        String eventId = post(alert(id, sent, "Alert", null, CENTRE)).then().statusCode(202).extract()
                .path("eventId");
        String cancel = alert(id + "-c", "2026-11-28T11:00:00+01:00", "Cancel",
                "protezionecivile@comune.alessandria.it," + id + "," + sent, CENTRE)
                .replace("<polygon>" + CENTRE + "</polygon>",
                        "<geocode><valueName>ISTAT</valueName><value>006003</value></geocode>");
        post(cancel).then().statusCode(202).body("eventId", equalTo(eventId)).body("status", equalTo("CANCELLED"));
        assertThat(event(eventId).area()).isNotNull();
    }

    /**
     * One alert, two blocks of different gravity (a Severe zone and an Extreme one, in Italian): the event is as grave
     * and as urgent as its gravest block, says its headline, keeps both blocks' texts, and runs from the earliest
     * onset to the latest expiry.
     */
    @Test
    void severalInfoBlocksMakeOneEventAsGraveAsTheGravest() {
        String xml = alert("INFOS-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<headline>Nevicate intense su Alessandria</headline>",
                        "<headline>Nevicate intense su Alessandria</headline>"
                                + "<description>Strade innevate in centro.</description>"
                                + "<onset>2026-11-28T09:00:00+01:00</onset><expires>2026-11-29T09:00:00+01:00</expires>")
                .replace("</info>", """
                        </info>
                        <info>
                          <language>it_IT</language>
                          <category>Met</category><event>Allerta neve</event>
                          <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
                          <onset>2026-11-28T08:30:00+01:00</onset><expires>2026-11-29T18:00:00+01:00</expires>
                          <headline>Bufera di neve a Spinetta: restate in casa</headline>
                          <description>Strade chiuse a Spinetta.</description>
                          <area><areaDesc>Spinetta</areaDesc>
                            <polygon>44.88,8.68 44.88,8.70 44.89,8.70 44.89,8.68 44.88,8.68</polygon></area>
                        </info>
                        <info>
                          <language>eng</language>
                          <category>Met</category><event>Snow alert</event>
                          <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
                          <expires>2026-11-29T18:00:00+01:00</expires>
                          <headline>Blizzard in Spinetta: stay indoors</headline>
                          <area><areaDesc>Spinetta</areaDesc>
                            <polygon>44.88,8.68 44.88,8.70 44.89,8.70 44.89,8.68 44.88,8.68</polygon></area>
                        </info>""");
        String eventId = post(xml).then().statusCode(202).extract().path("eventId");
        AlertEvent event = event(eventId);
        assertThat(event.severity()).isEqualTo(org.allerta.contracts.Severity.EXTREME);
        assertThat(event.urgency()).isEqualTo(org.allerta.contracts.Urgency.IMMEDIATE);
        assertThat(event.headline()).containsOnlyKeys("it", "en")
                .containsEntry("it", "Bufera di neve a Spinetta: restate in casa")
                .containsEntry("en", "Blizzard in Spinetta: stay indoors");
        assertThat(event.description().get("it")).contains("Strade innevate in centro.")
                .contains("Strade chiuse a Spinetta.");
        assertThat(event.startedAt()).isEqualTo(java.time.Instant.parse("2026-11-28T07:30:00Z"));
        assertThat(event.expiresAt()).isEqualTo(java.time.Instant.parse("2026-11-29T17:00:00Z"));
    }

    /** A kind outside the publisher's remit is refused where the alert chose it: its category. */
    @Test
    void aKindOutsideTheRemitPointsAtTheCategory() {
        String key = Features.newPublisher("grid", "Rete elettrica", false, "POWER_OUTAGE").key();
        given().header("Authorization", "Bearer " + key).contentType("application/cap+xml")
                .body(alert("REMIT-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .post("/v1/cap").then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:kind-not-allowed"))
                .body("problems[0].where", equalTo("/alert/info[0]/category"));
    }

    /**
     * A remit narrowed during an alert (its kinds) still lets its publisher end it: an AllClear Update, or a Cancel
     * carrying its alert, over its area; an Update that keeps it going is refused, and a retry of the end is a repeat.
     */
    @Test
    void aRemitNarrowedDuringAnAlertStillLetsItsPublisherEndIt() {
        var grid = Features.newPublisher("grid", "Rete elettrica", false, "POWER_OUTAGE");
        String sender = "protezionecivile@comune.alessandria.it";
        String first = "NARROW-" + UUID.randomUUID();
        String second = "NARROW-" + UUID.randomUUID();
        String third = "NARROW-" + UUID.randomUUID();
        for (String id : java.util.List.of(first, second, third)) {
            postAs(grid.key(), power(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))).then()
                    .statusCode(202);
        }
        given().header("Authorization", "Bearer " + Features.ADMIN_KEY).contentType("application/json")
                .body("{\"allowedKinds\": [\"WATER_OUTAGE\"]}").put("/v1/admin/publishers/" + grid.id()).then()
                .statusCode(200);
        String update = power(alert(first + "-u", "2026-11-28T09:00:00+01:00", "Update",
                sender + "," + first + ",2026-11-28T08:00:00+01:00", CENTRE));
        postAs(grid.key(), update).then().statusCode(403).body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
        String allClear = update.replace("<info>", "<info><responseType>AllClear</responseType>");
        postAs(grid.key(), allClear).then().statusCode(202).body("status", equalTo("RESOLVED"));
        postAs(grid.key(), allClear).then().statusCode(200).body("outcome", equalTo("UNCHANGED"));
        // the area as the publisher's system exports it again: the ring from another vertex, a point on an edge
        postAs(grid.key(), power(alert(second + "-c", "2026-11-28T09:00:00+01:00", "Cancel",
                sender + "," + second + ",2026-11-28T08:00:00+01:00",
                "44.90,8.62 44.92,8.62 44.92,8.60 44.90,8.60 44.90,8.61 44.90,8.62"))).then().statusCode(202)
                .body("status", equalTo("CANCELLED"));
        // an end over more than the event's area is a publication of its own: checked
        postAs(grid.key(), power(alert(third + "-c", "2026-11-28T09:00:00+01:00", "Cancel",
                sender + "," + third + ",2026-11-28T08:00:00+01:00",
                "44.90,8.60 44.90,8.63 44.93,8.63 44.93,8.60 44.90,8.60"))).then().statusCode(403)
                .body("type", equalTo("urn:allerta:problem:kind-not-allowed"));
    }

    /** The test alert as a grid operator's: a power cut. */
    private static String power(String xml) {
        return xml.replace("<category>Met</category>", "<category>Infra</category>")
                .replace("<event>Allerta neve</event>", "<event>Interruzione di corrente</event>");
    }

    private static Response postAs(String key, String xml) {
        return post(key, xml.getBytes(StandardCharsets.UTF_8), "application/cap+xml");
    }

    @Test
    void aLanguageTagThatNamesNoLanguageIsRefused() {
        post(alert("LANG-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<language>it-IT</language>", "<language>italiano</language>"))
                .then().statusCode(422).body("type", equalTo("urn:allerta:problem:invalid-language"));
    }

    /** A publisher in test mode publishes tests: its own Actual updates and cancels still follow its alerts. */
    @Test
    void aPublisherInTestModeUpdatesAndCancelsItsOwnAlerts() {
        String key = Features.newPublisher("drill", "Esercitazione", true, "CIVIL_PROTECTION", "ROAD_CLEARING",
                "POWER_OUTAGE").key();
        String id = "DRILL-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = given().header("Authorization", "Bearer " + key).contentType("application/cap+xml")
                .body(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).post("/v1/cap").then()
                .statusCode(202).extract().path("eventId");
        given().header("Authorization", "Bearer " + key).contentType("application/cap+xml")
                .body(alert(id + "-c", "2026-11-28T09:00:00+01:00", "Cancel",
                        sender + "," + id + ",2026-11-28T08:00:00+01:00", CENTRE)).post("/v1/cap").then()
                .statusCode(202).body("eventId", equalTo(eventId)).body("status", equalTo("CANCELLED"));
    }

    /**
     * An Update that repeats the event as it stands, sent later, is no new revision, but an older message arriving
     * after it is stale all the same: the publisher's latest word stands.
     */
    @Test
    void anOlderUpdateArrivingAfterALaterRepeatIsStale() {
        String id = "REPEAT-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String original = sender + "," + id + ",2026-11-28T10:00:00+01:00";
        String eventId = post(alert(id, "2026-11-28T10:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(202).extract().path("eventId");
        post(alert(id + "-again", "2026-11-28T10:10:00+01:00", "Update", original, CENTRE))
                .then().body("eventId", equalTo(eventId)).body("revision", equalTo(1));
        post(alert(id + "-older", "2026-11-28T10:05:00+01:00", "Update", original,
                "44.90,8.60 44.90,8.63 44.93,8.63 44.93,8.60 44.90,8.60"))
                .then().statusCode(409).body("type", equalTo("urn:allerta:problem:stale-revision"));
    }

    @Test
    void anUpdateThenItsLateOriginalAreOneEventAndTheOriginalIsFoldedNotEmitted() {
        String id = "LATE-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String original = sender + "," + id + ",2026-11-28T08:00:00+01:00";
        String eventId = post(alert(id + "-u", "2026-11-28T09:00:00+01:00", "Update", original, CENTRE))
                .then().statusCode(202).body("revision", equalTo(1)).extract().path("eventId");
        post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(200).body("eventId", equalTo(eventId)).body("revision", equalTo(1))
                .body("outcome", equalTo("FOLDED"));
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            reader.await(r -> eventId.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> eventId.equals(r.key()))).hasSize(1);
        }
    }

    /** A late original whose own sent is written with another offset than its Update's reference is still it. */
    @Test
    void aLateOriginalWrittenWithAnotherOffsetIsFolded() {
        String id = "LATE-OFFSET-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = post(alert(id + "-u", "2026-11-28T09:00:00+01:00", "Update",
                sender + "," + id + ",2026-11-28T07:00:00Z", CENTRE))
                .then().statusCode(202).extract().path("eventId");
        post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(200).body("eventId", equalTo(eventId)).body("outcome", equalTo("FOLDED"));
    }

    /**
     * Alert A, then its Update U, then a Cancel X naming only U, X received before U: X starts its own event,
     * cancelled; when U comes, A's event is cancelled too, or the people told about A would never hear its end.
     */
    @Test
    void aCancelNamingOnlyALateUpdateEndsTheAlertTheUpdateFollows() {
        String id = "CHAIN-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String original = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(202).extract().path("eventId");
        post(alert(id + "-x", "2026-11-28T10:00:00+01:00", "Cancel",
                sender + "," + id + "-u,2026-11-28T09:00:00+01:00", CENTRE))
                .then().statusCode(202).body("status", equalTo("CANCELLED"));
        assertThat(event(original).status()).isEqualTo(EventStatus.ACTIVE);
        post(alert(id + "-u", "2026-11-28T09:00:00+01:00", "Update",
                sender + "," + id + ",2026-11-28T08:00:00+01:00", CENTRE))
                .then().statusCode(200).body("outcome", equalTo("FOLDED"));
        AlertEvent ended = event(original);
        assertThat(ended.status()).isEqualTo(EventStatus.CANCELLED);
        assertThat(ended.revision()).isEqualTo(2);
        // the same Update again changes nothing more
        post(alert(id + "-u", "2026-11-28T09:00:00+01:00", "Update",
                sender + "," + id + ",2026-11-28T08:00:00+01:00", CENTRE))
                .then().statusCode(200).body("outcome", equalTo("UNCHANGED"));
        assertThat(event(original).revision()).isEqualTo(2);
    }

    /** A Restricted or Private alert is for its addressees: refused, never told to every citizen of the area. */
    @Test
    void onlyPublicAlertsArePublished() {
        for (String scope : List.of("Restricted", "Private")) {
            post(alert("SCOPE-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                    .replace("<scope>Public</scope>", "<scope>" + scope + "</scope>")).then().statusCode(422)
                    .body("problems.type", org.hamcrest.Matchers.hasItem("urn:allerta:problem:cap-scope-not-public"));
        }
    }

    /** An identifier or a sender that references could not name (a comma, a space) is refused up front. */
    @Test
    void anIdentifierOrASenderWithACommaOrASpaceIsRefused() {
        post(alert("DPC," + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then()
                .statusCode(422)
                .body("problems.type", org.hamcrest.Matchers.hasItem("urn:allerta:problem:cap-invalid-name"));
        post(alert("SPACE-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("protezionecivile@comune.alessandria.it", "Protezione Civile")).then()
                .statusCode(422).body("problems.where", org.hamcrest.Matchers.hasItem("/alert/sender"));
    }

    @Test
    void theSameAlertTwiceIsOneRevision() {
        String xml = alert("TWICE-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE);
        String eventId = post(xml).then().statusCode(202).extract().path("eventId");
        post(xml).then().statusCode(200).body("eventId", equalTo(eventId)).body("outcome", equalTo("UNCHANGED"));
    }

    /**
     * An alert stamped an hour ahead (local time labelled as UTC) is refused: accepted, it would make every update or
     * cancel sent before that hour stale.
     */
    @Test
    void anAlertSentInTheFutureIsRefused() {
        String sent = java.time.OffsetDateTime.now(java.time.ZoneOffset.ofHours(1)).plusHours(1)
                .format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx"));
        post(alert("AHEAD-" + UUID.randomUUID(), sent, "Alert", null, CENTRE)).then().statusCode(422)
                .body("problems.type", org.hamcrest.Matchers.hasItem("urn:allerta:problem:sent-in-future"));
    }

    /** A circle over the 180th meridian would be an area GeoJSON cannot say in one ring: refused with the reason. */
    @Test
    void aCircleAcrossTheAntimeridianIsRefused() {
        String xml = alert("FIJI-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<polygon>" + CENTRE + "</polygon>", "<circle>-17.7,179.95 50</circle>");
        post(xml).then().statusCode(422).body("problems.type",
                org.hamcrest.Matchers.hasItem("urn:allerta:problem:coordinate-out-of-range"));
    }

    /** What the database could not hold is refused with its reason, never a server error. */
    @Test
    void anIdentifierTooLongAndAYearBeyondStorageAreRefused() {
        String random = java.util.stream.IntStream.range(0, 200).mapToObj(i -> UUID.randomUUID().toString())
                .collect(java.util.stream.Collectors.joining());
        post(alert(random, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:text-too-long"));
        post(alert("FAR-" + UUID.randomUUID(), "+300000-01-01T08:00:00+01:00", "Alert", null, CENTRE)).then()
                .statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:timestamp-out-of-range"));
    }

    /**
     * A Cancel that names only what it cancels and arrives before it is kept (there is no area to record an event
     * with): the alert, when it comes, starts cancelled and nobody is told. The Cancel again, before or after, is the
     * same answer; a Cancel of a real alert leaves a test alert of the same identifier alone.
     */
    @Test
    void aBareCancelBeforeItsAlertIsKeptAndTheAlertStartsCancelled() {
        String id = "BARE-EARLY-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String original = sender + "," + id + ",2026-11-28T08:00:00+01:00";
        String cancel = bareCancel(id + "-c", "2026-11-28T09:00:00+01:00", original);
        for (int i = 0; i < 2; i++) {
            post(cancel).then().statusCode(202).header("Location", org.hamcrest.Matchers.nullValue())
                    .body("outcome", equalTo("AWAITING_ORIGINAL")).body("status", equalTo("CANCELLED"))
                    .body("eventId", org.hamcrest.Matchers.nullValue());
        }
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                    .then().statusCode(202).body("status", equalTo("CANCELLED")).body("revision", equalTo(1))
                    .extract().path("eventId");
            reader.await(r -> eventId.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> eventId.equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), AlertEvent.class).status()))
                    .as("the alert never emitted live").containsExactly(EventStatus.CANCELLED);
            AlertEvent stored = event(eventId);
            assertThat(stored.status()).isEqualTo(EventStatus.CANCELLED);
            assertThat(stored.sentAt()).as("at the Cancel's time").isEqualTo(Instant.parse("2026-11-28T08:00:00Z"));
            post(cancel).then().statusCode(200).body("eventId", equalTo(eventId)).body("outcome", equalTo("UNCHANGED"));
            post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then().statusCode(200)
                    .body("eventId", equalTo(eventId)).body("outcome", equalTo("UNCHANGED"));
        }
        // a test alert is not cancelled by a real Cancel, nor the reverse
        String testId = "BARE-EARLY-TEST-" + UUID.randomUUID();
        post(cancel.replace(id + "-c", testId + "-c").replace(original, sender + "," + testId
                + ",2026-11-28T08:00:00+01:00")).then().statusCode(202).body("outcome", equalTo("AWAITING_ORIGINAL"));
        post(alert(testId, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<status>Actual</status>", "<status>Exercise</status>"))
                .then().statusCode(202).body("status", equalTo("ACTIVE"));
    }

    /** A Cancel that names only what it cancels, without {@code <info>}. */
    private static String bareCancel(String identifier, String sent, String references) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
                  <identifier>%s</identifier><sender>protezionecivile@comune.alessandria.it</sender>
                  <sent>%s</sent>
                  <status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>
                  <references>%s</references>
                </alert>""".formatted(identifier, sent, references);
    }

    /**
     * A kept Cancel is applied whatever way its message comes: an Update of a known alert that the Cancel names
     * (the Update cancels the event it follows), a message whose sent the Cancel wrote with another offset. A Cancel
     * stamped in the future is refused, as it would make the alert it names look sent in the future.
     */
    @Test
    void aKeptCancelCancelsAnUpdateOfAKnownAlertAndAMessageNamedWithAnotherOffset() {
        String id = "KEPT-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then().statusCode(202)
                .extract().path("eventId");
        String update = sender + "," + id + "-u,2026-11-28T08:30:00+01:00";
        post(bareCancel(id + "-c", "2026-11-28T09:00:00+01:00", update)).then().statusCode(202)
                .body("outcome", equalTo("AWAITING_ORIGINAL"));
        post(alert(id + "-u", "2026-11-28T08:30:00+01:00", "Update", sender + "," + id + ",2026-11-28T08:00:00+01:00",
                CENTRE)).then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(2))
                .body("status", equalTo("CANCELLED"));
        post(bareCancel(id + "-c", "2026-11-28T09:00:00+01:00", update)).then().statusCode(200)
                .body("eventId", equalTo(eventId)).body("outcome", equalTo("UNCHANGED"));

        String other = "KEPT-OFFSET-" + UUID.randomUUID();
        post(bareCancel(other + "-c", "2026-11-28T09:00:00+01:00", sender + "," + other + ",2026-11-28T07:00:00Z"))
                .then().statusCode(202).body("outcome", equalTo("AWAITING_ORIGINAL"));
        post(alert(other, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then().statusCode(202)
                .body("status", equalTo("CANCELLED"));

        // a kept Cancel named by an Update's reference: the Update follows the known alert, and cancels it
        String third = "KEPT-REF-" + UUID.randomUUID();
        String thirdEvent = post(alert(third, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then()
                .statusCode(202).extract().path("eventId");
        String lost = sender + "," + third + "-u1,2026-11-28T08:10:00+01:00";
        post(bareCancel(third + "-c", "2026-11-28T09:00:00+01:00", lost)).then().statusCode(202)
                .body("outcome", equalTo("AWAITING_ORIGINAL"));
        post(alert(third + "-u2", "2026-11-28T08:20:00+01:00", "Update", sender + "," + third
                + ",2026-11-28T08:00:00+01:00 " + lost, CENTRE)).then().statusCode(202)
                .body("eventId", equalTo(thirdEvent)).body("status", equalTo("CANCELLED"));

        String ahead = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).plusHours(2).withNano(0).toString();
        post(bareCancel("KEPT-AHEAD-" + UUID.randomUUID(), ahead, sender + ",NOT-YET,2026-11-28T08:00:00+01:00"))
                .then().statusCode(422).body("problems.type", hasItem("urn:allerta:problem:sent-in-future"));
    }

    /**
     * A late Update that a kept Cancel names, older than the event as it stands, cancels the event as it stands: it
     * does not take the area back to what it said.
     */
    @Test
    void aStaleUpdateNamedByAKeptCancelCancelsTheEventAsItStands() {
        String id = "KEPT-STALE-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String original = sender + "," + id + ",2026-11-28T08:00:00+01:00";
        String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then().statusCode(202)
                .extract().path("eventId");
        String wider = "44.89,8.59 44.89,8.63 44.93,8.63 44.93,8.59 44.89,8.59";
        post(alert(id + "-u2", "2026-11-28T08:30:00+01:00", "Update", original, wider)).then().statusCode(202)
                .body("revision", equalTo(2));
        JsonNode areaNow = event(eventId).area();
        String u1 = sender + "," + id + "-u1,2026-11-28T08:10:00+01:00";
        post(bareCancel(id + "-c", "2026-11-28T09:00:00+01:00", u1)).then().statusCode(202)
                .body("outcome", equalTo("AWAITING_ORIGINAL"));
        post(alert(id + "-u1", "2026-11-28T08:10:00+01:00", "Update", original, CENTRE)).then().statusCode(202)
                .body("eventId", equalTo(eventId)).body("revision", equalTo(3)).body("status", equalTo("CANCELLED"));
        AlertEvent cancelled = event(eventId);
        assertThat(cancelled.area()).as("the area as it stood").isEqualTo(areaNow);
        assertThat(cancelled.sentAt()).isEqualTo(Instant.parse("2026-11-28T08:00:00Z"));

        // a Test Cancel kept leaves a real alert of the same identifier alone
        String real = "KEPT-REAL-" + UUID.randomUUID();
        post(bareCancel(real + "-c", "2026-11-28T09:00:00+01:00", sender + "," + real + ",2026-11-28T08:00:00+01:00")
                .replace("<status>Actual</status>", "<status>Test</status>")).then().statusCode(202)
                .body("outcome", equalTo("AWAITING_ORIGINAL"));
        post(alert(real, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)).then().statusCode(202)
                .body("status", equalTo("ACTIVE"));
    }

    /** A reference whose sent is the same instant written with another offset names the same alert. */
    @Test
    void aReferenceWrittenWithAnotherOffsetNamesTheSameAlert() {
        String id = "OFFSET-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String eventId = post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(202).extract().path("eventId");
        post(alert(id + "-c", "2026-11-28T09:00:00+01:00", "Cancel", sender + "," + id + ",2026-11-28T07:00:00Z",
                CENTRE)).then().statusCode(202).body("eventId", equalTo(eventId)).body("revision", equalTo(2))
                .body("status", equalTo("CANCELLED"));
    }

    /**
     * A Cancel that arrives before the alert it cancels (another partition of intake.raw, two posts racing) starts
     * the event as cancelled; the late original is folded into it, never emitted as a live alert.
     */
    @Test
    void aCancelBeforeItsOriginalCancelsItAndTheLateOriginalNeverGoesLive() {
        String id = "EARLY-CANCEL-" + UUID.randomUUID();
        String sender = "protezionecivile@comune.alessandria.it";
        String original = sender + "," + id + ",2026-11-28T08:00:00+01:00";
        String eventId = post(alert(id + "-c", "2026-11-28T09:00:00+01:00", "Cancel", original, CENTRE))
                .then().statusCode(202).body("revision", equalTo(1)).body("status", equalTo("CANCELLED"))
                .extract().path("eventId");
        post(alert(id, "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE))
                .then().statusCode(200).body("eventId", equalTo(eventId)).body("outcome", equalTo("FOLDED"))
                .body("status", equalTo("CANCELLED"));
        assertThat(event(eventId).status()).isEqualTo(EventStatus.CANCELLED);
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            reader.await(r -> eventId.equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> eventId.equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), AlertEvent.class).status()))
                    .containsExactly(EventStatus.CANCELLED);
        }
    }

    @Test
    void testAndExerciseAlertsAreMarkedAsTests() {
        String xml = alert("T-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<status>Actual</status>", "<status>Exercise</status>");
        String eventId = post(xml).then().statusCode(202).extract().path("eventId");
        assertThat(event(eventId).test()).isTrue();
    }

    @Test
    void refusesADocumentWithAnExternalEntityWithoutReadingAnything() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>
                """;
        post(xxe).then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:xml-doctype-not-allowed"))
                .body(org.hamcrest.Matchers.not(containsString("root:")));
        String billionLaughs = """
                <?xml version="1.0"?>
                <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>
                """;
        post(billionLaughs).then().statusCode(400).body("type", equalTo("urn:allerta:problem:xml-doctype-not-allowed"));
    }

    /**
     * Thousands of small circles are counted before any is drawn or joined: refused at once, like one polygon with
     * too many vertices, instead of costing the union of them all.
     */
    @Test
    void refusesAnAlertWhoseShapesTogetherHaveTooManyVertices() {
        var circles = new StringBuilder();   // 200 circles × 65 vertices
        for (int i = 0; i < 200; i++) {
            circles.append(String.format(java.util.Locale.ROOT, "<circle>44.91,%.4f 0.5</circle>", 8.60 + i * 0.0001));
        }
        String xml = alert("MANY-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<polygon>" + CENTRE + "</polygon>", "CIRCLES");
        post(xml.replace("CIRCLES", circles)).then().statusCode(422)
                .body("problems.type", hasItem("urn:allerta:problem:too-many-vertices"));
        // the same shape in each language's <info> counts once, as the union keeps it once: 6,000 vertices twice
        var ring = new StringBuilder();
        for (int i = 0; i < 6_000; i++) {
            double angle = 2 * Math.PI * i / 6_000;
            ring.append(String.format(java.util.Locale.ROOT, "%.6f,%.6f ", 44.91 + 0.005 * Math.sin(angle),
                    8.61 + 0.005 * Math.cos(angle)));
        }
        ring.append(String.format(java.util.Locale.ROOT, "%.6f,%.6f", 44.91, 8.615));
        String twice = alert("TWICE-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null,
                ring.toString());
        String info = twice.substring(twice.indexOf("<info>"), twice.indexOf("</info>") + "</info>".length());
        twice = twice.replace(info, info + info.replace("it-IT", "en-GB").replace("Nevicate intense su Alessandria",
                "Heavy snow in Alessandria"));
        post(twice).then().statusCode(202);
    }

    /** CAP text gets the checks of a Feature's: no control character, and no text cut inside a character. */
    @Test
    void refusesControlCharactersAndCutsLongTextsBetweenCharacters() {
        String control = alert("CTRL-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("Nevicate intense su Alessandria", "Nevicate&#x85; intense");
        post(control).then().statusCode(422).body("problems.type", hasItem("urn:allerta:problem:invalid-characters"));
        String longHeadline = "x".repeat(299) + "\uD83C\uDF28" + " neve";   // an emoji across the 300th character
        String xml = alert("CUT-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("Nevicate intense su Alessandria", longHeadline);
        String eventId = post(xml).then().statusCode(202).extract().path("eventId");
        assertThat(event(eventId).headline().get("it")).isEqualTo("x".repeat(299));
    }

    /** Elements nested by the ten thousand would overflow the stack of whatever reads them: refused as unparseable. */
    @Test
    void refusesElementsNestedBeyondAnyAlert() {
        String deep = "<a>".repeat(40_000) + "x" + "</a>".repeat(40_000);
        String xml = alert("DEEP-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("<headline>", "<headline>" + deep);
        post(xml).then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:unparseable"));
    }

    @Test
    void honoursTheDeclaredEncoding() {
        String xml = alert("ENC-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
                .replace("Nevicate intense su Alessandria", "Città: nevicate, è prudente restare a casa");
        String eventId = post(xml.getBytes(StandardCharsets.ISO_8859_1), "application/xml")
                .then().statusCode(202).extract().path("eventId");
        assertThat(event(eventId).headline().get("it")).isEqualTo("Città: nevicate, è prudente restare a casa");
    }

    @Test
    void refusesOlderCapVersionsAndMalformedXml() {
        post(alert("OLD-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("cap:1.2", "cap:1.1")).then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:cap-version-unsupported"));
        post("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>").then().statusCode(400)
                .body("type", equalTo("urn:allerta:problem:unparseable"));
        post(alert("OPEN-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null,
                "44.90,8.60 44.90,8.62 44.92,8.62 44.92,8.60")).then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:ring-not-closed"))
                .body("problems[0].where", equalTo("/alert/info[0]/area[0]/polygon[0]"));
    }

    @Test
    void severalPolygonsAndAreasUniteIntoOneMultiPolygon() {
        String xml = alert("MULTI-" + UUID.randomUUID(), "2026-11-28T08:00:00+01:00", "Alert", null, CENTRE)
                .replace("</area>", "</area><area><areaDesc>Spinetta</areaDesc>"
                        + "<polygon>44.88,8.68 44.88,8.70 44.89,8.70 44.89,8.68 44.88,8.68</polygon>"
                        + "<circle>44.95,8.55 0.5</circle></area>");
        String eventId = post(xml).then().statusCode(202).extract().path("eventId");
        AlertEvent event = event(eventId);
        assertThat(event.area().path("type").asText()).isEqualTo("MultiPolygon");
        assertThat(event.area().path("coordinates").size()).isEqualTo(3);
        assertThat(event.areaDescription()).contains("Alessandria centro").contains("Spinetta");
    }
}
