package org.allerta.dispatcher.registry;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.containsString;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.PlaceGeocoded;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The subscriber registry through its REST API, on the real broker and PostgreSQL. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class RegistryTest {

    static final String APP = "Bearer test-app-key";
    static final String ADMIN = "Bearer test-admin-key";

    @Inject
    AgroalDataSource db;

    @org.junit.jupiter.api.AfterEach
    void cardsMatchTheirRows() throws Exception {
        org.allerta.dispatcher.registry.CardsCheck.cardsMatchTheirRows(db);
    }

    private final String run = UUID.randomUUID().toString().substring(0, 8);

    static String giulia(String externalId, String phone) {
        return """
                {"externalId": "%s", "name": "Giulia Rossi", "language": "it",
                 "channels": [{"type": "SMS", "address": "%s", "kinds": ["POWER_OUTAGE", "ROAD_CLEARING"]},
                              {"type": "EMAIL", "address": "giulia@Example.ORG"}],
                 "places": [{"label": "Casa", "category": "HOME", "address": "Via Dazio 90/H, Alessandria"},
                            {"label": "Scuola di Luca", "category": "SCHOOL", "lon": 8.6150, "lat": 44.9130}],
                 "interests": ["POWER_OUTAGE", "WATER_OUTAGE", "ROAD_CLEARING", "SCHOOL_CLOSURE"],
                 "profile": ["RESIDENT", "PARENT"],
                 "priority": {"medicallyDependent": true, "consent": {"at": "2026-11-20T10:00:00Z", "wording": "v1"}},
                 "quietHours": {"from": "22:00", "to": "07:00", "zone": "Europe/Rome"}}""".formatted(externalId, phone);
    }

    @Test
    void everyConcurrentRegistrationReachesTheMatcher() throws Exception {
        // outbox rows commit out of id order under concurrency: each one must still be published, once at least
        int threads = 8;
        int each = 40;
        var ids = java.util.concurrent.ConcurrentHashMap.<String>newKeySet();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            var work = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        String body = """
                                {"externalId": "burst-%s-%d-%d", "name": "Persona %d", "language": "it",
                                 "channels": [{"type": "EMAIL", "address": "p%d.%d@example.org"}],
                                 "places": [{"category": "HOME", "lon": 8.61, "lat": 44.91}],
                                 "interests": ["POWER_OUTAGE"]}""".formatted(run, thread, i, i, thread, i);
                        ids.add(given().header("Authorization", APP).contentType(ContentType.JSON).body(body)
                                .post("/v1/subscribers").then().statusCode(201).extract().jsonPath()
                                .getString("id"));
                    }
                }));
            }
            for (var f : work) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(ids).hasSize(threads * each);
        try (var reader = new TopicReader(Topics.SUBSCRIBERS_PLACES)) {
            var published = new java.util.HashSet<String>();
            var deadline = java.time.Instant.now().plusSeconds(60);
            while (!published.containsAll(ids) && java.time.Instant.now().isBefore(deadline)) {
                reader.drain(Duration.ofMillis(500)).stream().map(ConsumerRecord::key).filter(ids::contains)
                        .forEach(published::add);
            }
            assertThat(ids).as("registrations published on " + Topics.SUBSCRIBERS_PLACES)
                    .allMatch(published::contains);
        }
        // the registry in numbers: no matcher runs here, so these places wait for their geocoding
        JsonPath summary = given().header("Authorization", APP).get("/v1/subscribers/summary").then().statusCode(200)
                .extract().jsonPath();
        assertThat(summary.getLong("subscribers")).isGreaterThanOrEqualTo(threads * each);
        assertThat(summary.getLong("places.PENDING")).isGreaterThanOrEqualTo(threads * each);
        assertThat(summary.getLong("channels.EMAIL.awaitingVerification")).isGreaterThanOrEqualTo(threads * each);
        given().header("Authorization", "Bearer not-a-key").get("/v1/subscribers/summary").then().statusCode(401);
    }

    /**
     * Numbers as people and apps write them: with the country code but no "+" (as wa.me links do), with non-breaking
     * spaces; a device's locale as the language.
     */
    @Test
    void numbersAndLanguagesAsAppsWriteThem() {
        String wa = "39333" + (1000000 + (int) (Math.random() * 8999999));
        given().header("Authorization", APP).contentType(ContentType.JSON).body(giulia("wa-" + run, wa)
                        .replace("\"language\": \"it\"", "\"language\": \"it_IT\""))
                .post("/v1/subscribers").then().statusCode(201)
                .body("channels[0].address", equalTo("+" + wa))
                .body("language", equalTo("it"));
        given().header("Authorization", APP).contentType(ContentType.JSON).body(giulia("nbsp-" + run,
                        "333\u00a0765\u00a04321").replace("\"language\": \"it\"", "\"language\": \"en-GB\""))
                .post("/v1/subscribers").then().statusCode(201)
                .body("channels[0].address", equalTo("+393337654321"))
                .body("language", equalTo("en"));
    }

    @Test
    void registrationIsValidatedNormalisedAndIdempotentByExternalId() throws Exception {
        String body = giulia("app-" + run, "333 123 4567");
        JsonPath created = given().header("Authorization", APP).contentType(ContentType.JSON).body(body)
                .post("/v1/subscribers").then().statusCode(201)
                .header("Location", containsString("/v1/subscribers/"))
                .body("channels[0].address", equalTo("+393331234567"))
                .body("channels[0].verified", equalTo(false))
                .body("channels[1].address", equalTo("giulia@example.org"))
                .body("priority.consent.wording", equalTo("v1"))
                .extract().jsonPath();
        String id = created.getString("id");

        given().header("Authorization", APP).contentType(ContentType.JSON).body(body)
                .post("/v1/subscribers").then().statusCode(200).body("id", equalTo(id));
        // the same externalId with other details is not a retry: nothing changes, and the answer says where to PUT
        given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(body.replace("333 123 4567", "333 765 4321")).post("/v1/subscribers").then().statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:external-id-registered"))
                .header("Location", containsString("/v1/subscribers/" + id));
        given().header("Authorization", APP).get("/v1/subscribers/" + id).then().statusCode(200)
                .body("channels[0].address", equalTo("+393331234567"));
        given().header("Authorization", ADMIN).queryParam("externalId", "app-" + run)
                .get("/v1/subscribers").then().statusCode(200).body("id", equalTo(List.of(id)));

        // the matcher hears of places, kinds and the priority flag: no name, label or contact
        try (var reader = new TopicReader(Topics.SUBSCRIBERS_PLACES)) {
            ConsumerRecord<String, byte[]> record = reader.await(r -> id.equals(r.key()), 1, Duration.ofSeconds(30))
                    .get(0);
            String json = new String(record.value());
            assertThat(json).doesNotContain("Giulia").doesNotContain("Casa").doesNotContain("Luca")
                    .doesNotContain("393331234567").doesNotContain("example.org");
            SubscriberPlaces places = Json.fromBytes(record.value(), SubscriberPlaces.class);
            assertThat(places.priority()).isTrue();
            assertThat(places.places()).hasSize(2);
            assertThat(places.places().get(0).address()).isEqualTo("Via Dazio 90/H, Alessandria");
            assertThat(places.places().get(1).point()).isEqualTo(new LonLat(8.6150, 44.9130));
        }
    }

    /** A consent dated in a year no database column holds is refused with its place, not a server error. */
    @Test
    void aConsentTimeBeyondAnyStoredYearIsRefused() {
        given().header("Authorization", APP).contentType(ContentType.JSON).body("""
                {"name": "Giulia Rossi", "language": "it",
                 "channels": [{"type": "SMS", "address": "+393331234567"}],
                 "places": [{"label": "Casa", "category": "HOME", "lon": 8.615, "lat": 44.913}],
                 "interests": ["POWER_OUTAGE"],
                 "priority": {"medicallyDependent": true,
                              "consent": {"at": "+300000-01-01T00:00:00Z", "wording": "v1"}}}""")
                .post("/v1/subscribers").then().statusCode(422).contentType("application/problem+json")
                .body("problems.where", hasItem("priority.consent.at"))
                .body("problems.type", hasItem("urn:allerta:problem:timestamp-out-of-range"));
    }

    /**
     * A VULNERABLE profile says something of the person's health: refused without the consent recorded for priority
     * (also when priority is declined), kept with it.
     */
    @Test
    void aVulnerableProfileIsStoredOnlyWithConsent() {
        String body = """
                {"name": "Giulia Rossi", "language": "it",
                 "channels": [{"type": "SMS", "address": "+393331234567"}],
                 "places": [{"label": "Casa", "category": "HOME", "lon": 8.615, "lat": 44.913}],
                 "interests": ["POWER_OUTAGE"],
                 "profile": ["RESIDENT", "VULNERABLE"]%s}""";
        for (String priority : List.of("", ", \"priority\": {\"medicallyDependent\": false}")) {
            given().header("Authorization", APP).contentType(ContentType.JSON).body(body.formatted(priority))
                    .post("/v1/subscribers").then().statusCode(422).contentType("application/problem+json")
                    .body("problems.where", hasItem("profile"))
                    .body("problems.type", hasItem("urn:allerta:problem:consent-required"));
        }
        given().header("Authorization", APP).contentType(ContentType.JSON).body(body.formatted(
                        ", \"priority\": {\"medicallyDependent\": true, \"consent\": {\"at\": \"2026-11-20T10:00:00Z\","
                                + " \"wording\": \"v1\"}}"))
                .post("/v1/subscribers").then().statusCode(201)
                .body("profile", hasItem("VULNERABLE"));
    }

    /**
     * Quiet hours from and to the same time would keep nothing quiet though shown as set; seconds would be lost
     * unsaid: both are refused.
     */
    @Test
    void quietHoursNeedASpanInMinutes() {
        for (String span : List.of("\"from\": \"00:00\", \"to\": \"00:00\"", "\"from\": \"22:00\", \"to\": \"22:00\"",
                "\"from\": \"22:00:30\", \"to\": \"07:00\"", "\"from\": \"7:00\", \"to\": \"22:00\"")) {
            given().header("Authorization", APP).contentType(ContentType.JSON).body("""
                    {"name": "Giulia Rossi", "language": "it",
                     "channels": [{"type": "SMS", "address": "+393331234567"}],
                     "places": [{"label": "Casa", "category": "HOME", "lon": 8.615, "lat": 44.913}],
                     "interests": ["POWER_OUTAGE"],
                     "quietHours": {%s, "zone": "Europe/Rome"}}""".formatted(span))
                    .post("/v1/subscribers").then().statusCode(422)
                    .body("problems.where", hasItem("quietHours"));
        }
    }

    /** A fixed offset is refused as the zone of quiet hours: it is an hour off half the year in Rome. */
    @Test
    void quietHoursNeedARegionNotAFixedOffset() {
        for (String zone : List.of("+01:00", "GMT+1", "Etc/GMT-1")) {
            given().header("Authorization", APP).contentType(ContentType.JSON).body("""
                    {"name": "Giulia Rossi", "language": "it",
                     "channels": [{"type": "SMS", "address": "+393331234567"}],
                     "places": [{"label": "Casa", "category": "HOME", "lon": 8.615, "lat": 44.913}],
                     "interests": ["POWER_OUTAGE"],
                     "quietHours": {"from": "22:00", "to": "07:00", "zone": "%s"}}""".formatted(zone))
                    .post("/v1/subscribers").then().statusCode(422)
                    .body("problems.where", hasItem("quietHours.zone"));
        }
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        given().header("Authorization", APP).contentType(ContentType.JSON).body("""
                {"name": "", "language": "de",
                 "channels": [{"type": "SMS", "address": "12"}, {"type": "EMAIL", "address": "not-an-email"},
                              {"type": "FAX", "address": "x"}, {"type": "PUSH", "address": "tok-0123456789abcdef",
                               "verified": true, "consentSource": "x"}],
                 "places": [{"category": "HOME"}, {"lon": 200, "lat": 44}],
                 "interests": ["POWER_OUTAGE", "METEORS"],
                 "priority": {"medicallyDependent": true},
                 "quietHours": {"from": "25:00", "to": "07:00"},
                 "shoeSize": 42}""")
                .post("/v1/subscribers").then().statusCode(422)
                .contentType("application/problem+json")
                .body("problems.where", org.hamcrest.Matchers.hasItems("name", "language", "channels[0].address",
                        "channels[1].address", "channels[2].type", "channels[3].verified", "places[0]", "places[1]",
                        "interests[1]", "priority.consent", "quietHours", "shoeSize"));
        // a misspelt field at any depth is refused, never ignored: the person would not be prioritised, the SMS would
        // carry every kind, a true written "yes" would be read as false
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(giulia("typos", "+393331234567")
                        .replace("\"medicallyDependent\": true", "\"medicallyDependant\": true")
                        .replace("\"kinds\": [\"POWER_OUTAGE\", \"ROAD_CLEARING\"]", "\"kind\": [\"POWER_OUTAGE\"]")
                        .replace("\"zone\": \"Europe/Rome\"", "\"zone\": \"Europe/Rome\", \"form\": \"22:00\"")
                        .replace("\"lat\": 44.9130}", "\"lat\": 44.9130, \"lable\": \"x\"}")
                        .replace("{\"type\": \"EMAIL\", \"address\": \"giulia@Example.ORG\"}",
                                "{\"type\": \"EMAIL\", \"address\": \"giulia@Example.ORG\", \"verified\": \"yes\"}"))
                .post("/v1/subscribers").then().statusCode(422)
                .body("problems.where", org.hamcrest.Matchers.hasItems("priority.medicallyDependant",
                        "channels[0].kind", "channels[1].verified", "places[1].lable", "quietHours.form"));
        given().header("Authorization", APP).contentType(ContentType.JSON).body(giulia("future-consent", "+393331234567")
                        .replace("2026-11-20T10:00:00Z", "2199-01-01T00:00:00Z"))
                .post("/v1/subscribers").then().statusCode(422)
                .body("problems.where", hasItem("priority.consent.at"));
        given().contentType(ContentType.JSON).body(giulia("x", "+393331234567"))
                .post("/v1/subscribers").then().statusCode(401).contentType("application/problem+json");
        given().header("Authorization", "Bearer some-publisher-key").get("/v1/subscribers/" + UUID.randomUUID())
                .then().statusCode(401);
        given().header("Authorization", APP).contentType(ContentType.JSON).body("{not json")
                .post("/v1/subscribers").then().statusCode(400).contentType("application/problem+json");
        given().header("Authorization", APP).get("/v1/subscribers/" + UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    void doubleOptInConfirmsAChannelWithTheCodeItReceived() throws Exception {
        String phone = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        JsonPath created = given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(giulia("optin-" + run, phone)).post("/v1/subscribers").then().statusCode(201)
                .extract().jsonPath();
        String id = created.getString("id");
        String sms = created.getString("channels[0].id");
        NotificationJob job;
        try (var reader = new TopicReader(org.allerta.contracts.Channel.SMS.urgentJobsTopic())) {
            job = Json.fromBytes(reader.await(r -> id.equals(r.key()), 1, Duration.ofSeconds(30)).get(0).value(),
                    NotificationJob.class);
        }
        assertThat(job.purpose()).isEqualTo(JobPurpose.VERIFICATION);
        assertThat(job.recipient()).isEqualTo(phone);
        Matcher code = Pattern.compile("\\b(\\d{6})\\b").matcher(job.text());
        assertThat(code.find()).isTrue();
        String wrong = code.group(1).equals("000000") ? "111111" : "000000";

        given().header("Authorization", APP).contentType(ContentType.JSON).body("{\"code\": \"" + wrong + "\"}")
                .post("/v1/subscribers/" + id + "/channels/" + sms + "/verify").then().statusCode(422);
        given().header("Authorization", APP).contentType(ContentType.JSON).body("{\"code\": \"" + code.group(1) + "\"}")
                .post("/v1/subscribers/" + id + "/channels/" + sms + "/verify").then().statusCode(200)
                .body("channels[0].verified", equalTo(true)).body("channels[1].verified", equalTo(false));

        // what a GET answers can be written back as it is (read, change one field, write the whole): the read-only
        // fields are ignored, the confirmed channel stays confirmed, and no new code goes to it
        String read = given().header("Authorization", APP).get("/v1/subscribers/" + id).then().statusCode(200)
                .extract().asString();
        // and it is valid under the published schema, read-only fields and all
        assertThat(SubscriberSchemaTest.schema().validate(Json.mapper().readTree(read))).as(read).isEmpty();
        String renamed = read.replace("\"Giulia Rossi\"", "\"Giulia R.\"");
        given().header("Authorization", APP).contentType(ContentType.JSON).body(renamed)
                .put("/v1/subscribers/" + id).then().statusCode(200).body("name", equalTo("Giulia R."))
                .body("channels[0].id", equalTo(sms)).body("channels[0].verified", equalTo(true))
                .body("channels[1].verified", equalTo(false));
        // nor an admin tool that drops the read-only verifiedAt and changes the number: "double opt-in" is what
        // Allerta recorded, not a consent the tool declares, and the new number gets its code
        var tool = (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().readTree(read);
        var first = (com.fasterxml.jackson.databind.node.ObjectNode) tool.get("channels").get(0);
        assertThat(first.path("consentSource").asText()).isEqualTo("double opt-in");
        first.remove("verifiedAt");
        first.put("address", "+393338888" + (100 + (int) (Math.random() * 899)));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(tool.toString())
                .put("/v1/subscribers/" + id).then().statusCode(200).body("channels[0].verified", equalTo(false));
        // an app still cannot make a new address verified by saying so: it gets its code
        given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(renamed.replace(phone, "+393339999" + (100 + (int) (Math.random() * 899))))
                .put("/v1/subscribers/" + id).then().statusCode(200).body("channels[0].verified", equalTo(false));
        // a misspelt field is still refused in a replacement, and a read-only one in a registration
        given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(renamed.replace("\"name\":", "\"nickname\": \"G\", \"name\":"))
                .put("/v1/subscribers/" + id).then().statusCode(422).body("problems.where", hasItem("nickname"));
        given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(giulia("optin-id-" + run, phone).replace("{\"externalId\"", "{\"id\": \"" + id
                        + "\", \"externalId\""))
                .post("/v1/subscribers").then().statusCode(422).body("problems.where", hasItem("id"));

        // an app may not declare a channel verified; the admin may, saying where the consent came from
        String office = given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("""
                {"name": "Ufficio", "language": "en", "channels": [{"type": "EMAIL", "address": "office@example.org",
                  "verified": true, "consentSource": "municipal registry, 2025 campaign"}],
                 "places": [{"category": "WORK", "lon": 8.61, "lat": 44.91}]}""")
                .post("/v1/subscribers").then().statusCode(201)
                .body("channels[0].verified", equalTo(true))
                .body("channels[0].consentSource", equalTo("municipal registry, 2025 campaign"))
                .extract().path("id");
        // the admin's GET written back with another address does not carry the old address's consent to it
        String echoed = given().header("Authorization", ADMIN).get("/v1/subscribers/" + office).then()
                .statusCode(200).extract().asString().replace("office@example.org", "desk-" + run + "@example.org");
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(echoed)
                .put("/v1/subscribers/" + office).then().statusCode(200).body("channels[0].verified", equalTo(false));
        // declared anew, with its source and no verifiedAt, it is
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("""
                {"name": "Ufficio", "language": "en", "channels": [{"type": "EMAIL", "address": "desk-%s@example.org",
                  "verified": true, "consentSource": "signed form, 2026"}],
                 "places": [{"category": "WORK", "lon": 8.61, "lat": 44.91}]}""".formatted(run))
                .put("/v1/subscribers/" + office).then().statusCode(200).body("channels[0].verified", equalTo(true))
                .body("channels[0].consentSource", equalTo("signed form, 2026"));
    }

    /**
     * A channel is sent at most 5 codes before it is confirmed; once confirmed, a person who unsubscribed it by mistake
     * gets the same allowance again to confirm it anew, whatever it took the first time.
     */
    @Test
    void aChannelConfirmedAgainAfterAnUnsubscribeGetsFreshCodes() throws Exception {
        String phone = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        JsonPath created = given().header("Authorization", APP).contentType(ContentType.JSON).body("""
                {"externalId": "again-%s", "name": "Prova", "language": "it",
                 "channels": [{"type": "SMS", "address": "%s"}],
                 "places": [{"category": "HOME", "lon": 8.61, "lat": 44.91}], "interests": ["POWER_OUTAGE"]}"""
                .formatted(run, phone)).post("/v1/subscribers").then().statusCode(201).extract().jsonPath();
        String id = created.getString("id");
        String channel = "/v1/subscribers/" + id + "/channels/" + created.getString("channels[0].id");
        try (var reader = new TopicReader(org.allerta.contracts.Channel.SMS.urgentJobsTopic())) {
            // the registration's code and four more: one more is refused
            for (int i = 1; i < SubscriberService.MAX_CODES; i++) {
                given().header("Authorization", APP).post(channel + "/code").then().statusCode(202);
            }
            given().header("Authorization", APP).post(channel + "/code").then().statusCode(409)
                    .body("type", equalTo("urn:allerta:problem:too-many-codes"));
            given().header("Authorization", APP).contentType(ContentType.JSON)
                    .body("{\"code\": \"" + nthCode(reader, phone, SubscriberService.MAX_CODES) + "\"}")
                    .post(channel + "/verify").then().statusCode(200).body("channels[0].verified", equalTo(true));

            // unsubscribed, as the one-click link leaves it, then asked back: a fresh code, which confirms it again
            try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                    "UPDATE dispatcher.channel SET unsubscribed_at = now() WHERE subscriber_id = ?")) {
                s.setObject(1, UUID.fromString(id));
                assertThat(s.executeUpdate()).isEqualTo(1);
            }
            try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                    "SELECT dispatcher.refresh_dispatch_cards(ARRAY[?::uuid])")) {
                s.setString(1, id);
                s.execute();
            }
            given().header("Authorization", APP).post(channel + "/code").then().statusCode(202);
            given().header("Authorization", APP).contentType(ContentType.JSON)
                    .body("{\"code\": \"" + nthCode(reader, phone, SubscriberService.MAX_CODES + 1) + "\"}")
                    .post(channel + "/verify").then().statusCode(200).body("channels[0].verified", equalTo(true));
        }
    }

    /** The code in the {@code n}-th verification job to {@code phone}. */
    private static String nthCode(TopicReader reader, String phone, int n) {
        var jobs = reader.await(r -> phone.equals(Json.fromBytes(r.value(), NotificationJob.class).recipient()), n,
                Duration.ofSeconds(30));
        Matcher digits = Pattern.compile("\\b(\\d{6})\\b").matcher(Json.fromBytes(jobs.get(n - 1).value(),
                NotificationJob.class).text());
        assertThat(digits.find()).isTrue();
        return digits.group(1);
    }

    /**
     * Codes are counted per address, whoever registers it: registering the same number again and again (as new
     * people, or by removing and adding the channel) gets no fresh allowance, so an app cannot flood a phone with
     * codes or guess without end.
     */
    @Test
    void anAddressGetsNoFreshCodesByBeingRegisteredAgain() {
        String phone = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        String body = """
                {"externalId": "flood-%s-%d", "name": "Prova", "language": "it",
                 "channels": [{"type": "SMS", "address": "%s"}],
                 "places": [{"category": "HOME", "lon": 8.61, "lat": 44.91}], "interests": ["POWER_OUTAGE"]}""";
        for (int i = 0; i < SubscriberService.MAX_CODES_PER_ADDRESS; i++) {
            given().header("Authorization", APP).contentType(ContentType.JSON).body(body.formatted(run, i, phone))
                    .post("/v1/subscribers").then().statusCode(201);
        }
        // the person whose number it is still registers: unverified, without a code for today
        JsonPath owner = given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(body.formatted(run, SubscriberService.MAX_CODES_PER_ADDRESS, phone))
                .post("/v1/subscribers").then().statusCode(201).body("channels[0].verified", equalTo(false))
                .extract().jsonPath();
        given().header("Authorization", APP).post("/v1/subscribers/" + owner.getString("id") + "/channels/"
                        + owner.getString("channels[0].id") + "/code")
                .then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("urn:allerta:problem:too-many-codes"));
        // and the phone got the day's codes, not one more
        try (var reader = new org.allerta.testsupport.TopicReader(
                org.allerta.contracts.Channel.SMS.urgentJobsTopic())) {
            reader.await(r -> phone.equals(org.allerta.contracts.Json.fromBytes(r.value(),
                    org.allerta.contracts.NotificationJob.class).recipient()), SubscriberService.MAX_CODES_PER_ADDRESS,
                    java.time.Duration.ofSeconds(30));
            org.assertj.core.api.Assertions.assertThat(reader.drain(java.time.Duration.ofSeconds(2)).stream()
                    .filter(r -> phone.equals(org.allerta.contracts.Json.fromBytes(r.value(),
                            org.allerta.contracts.NotificationJob.class).recipient())))
                    .hasSize(SubscriberService.MAX_CODES_PER_ADDRESS);
        }
    }

    /**
     * Erased while the broker is away: the person's records still waiting in the outbox (their places' addresses, a
     * verification code to their phone) never leave; only the tombstone does.
     */
    @Test
    void erasureWithdrawsWhatWaitsInTheOutbox() throws Exception {
        try (Connection relay = db.getConnection(); java.sql.Statement hold = relay.createStatement()) {
            // the relay publishes only with this lock: holding it keeps the records in the outbox, as an absent
            // broker would
            long lock = org.allerta.service.outbox.OutboxRelay.lockId("dispatcher");
            try (ResultSet rows = hold.executeQuery("SELECT pg_advisory_lock(" + lock + ")")) {
                rows.next();
            }
            try {
                String id = given().header("Authorization", APP).contentType(ContentType.JSON)
                        .body(giulia("outbox-" + run, "+393339876500")).post("/v1/subscribers").then()
                        .statusCode(201).extract().path("id");
                assertThat(outbox(id, false)).as("places and a verification code waiting").isPositive();
                given().header("Authorization", APP).delete("/v1/subscribers/" + id).then().statusCode(204);
                assertThat(outbox(id, false)).as("records with personal data left waiting").isZero();
                assertThat(outbox(id, true)).as("the tombstone").isEqualTo(1);
                assertThat(erasures(id)).as("the erasure, for the sender to withdraw the queued jobs").isEqualTo(1);
            } finally {
                try (ResultSet rows = hold.executeQuery("SELECT pg_advisory_unlock(" + lock + ")")) {
                    rows.next();
                }
            }
        }
    }

    /**
     * A mistyped number corrected before its code left (the broker away): the stranger at the mistyped number gets
     * no code; the corrected one does.
     */
    @Test
    void aCorrectedNumbersCodeWaitingToLeaveIsWithdrawn() throws Exception {
        String mistyped = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        String corrected = "+39334" + (1000000 + (int) (Math.random() * 8999999));
        String id;
        try (Connection relay = db.getConnection(); java.sql.Statement hold = relay.createStatement()) {
            long lock = org.allerta.service.outbox.OutboxRelay.lockId("dispatcher");
            try (ResultSet rows = hold.executeQuery("SELECT pg_advisory_lock(" + lock + ")")) {
                rows.next();
            }
            try {
                id = given().header("Authorization", APP).contentType(ContentType.JSON)
                        .body(giulia("corrected-" + run, mistyped)).post("/v1/subscribers").then()
                        .statusCode(201).extract().path("id");
                assertThat(codesWaiting(id)).contains(mistyped);
                given().header("Authorization", APP).contentType(ContentType.JSON)
                        .body(giulia("corrected-" + run, corrected)).put("/v1/subscribers/" + id).then()
                        .statusCode(200).body("channels[0].address", equalTo(corrected));
                assertThat(codesWaiting(id)).contains(corrected).doesNotContain(mistyped)
                        // the e-mail channel did not change: its code still leaves
                        .contains("giulia@example.org");
                // and what was already queued for the mistyped number is withdrawn at the sender: the SMS channel
                // as it was, not the e-mail
                assertThat(withdrawals(id)).containsExactly(org.allerta.contracts.Channel.SMS);
            } finally {
                try (ResultSet rows = hold.executeQuery("SELECT pg_advisory_unlock(" + lock + ")")) {
                    rows.next();
                }
            }
        }
        try (var reader = new TopicReader(org.allerta.contracts.Channel.SMS.urgentJobsTopic())) {
            reader.await(r -> id.equals(r.key()) && corrected.equals(Json.fromBytes(r.value(),
                    NotificationJob.class).recipient()), 1, Duration.ofSeconds(30));
            assertThat(reader.drain(Duration.ofSeconds(2)).stream().filter(r -> id.equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), NotificationJob.class).recipient())).doesNotContain(mistyped);
        }
    }

    /**
     * A channel removed while a batch is being dispatched: the batch may have read the person's SMS channel and not
     * yet made its jobs. The removal waits for the batch, so that its time, which withdraws the channel's queued jobs
     * at the sender, comes after every job the batch made for that number; a change that removes no channel does not
     * wait.
     */
    @Test
    void aChannelRemovedWhileABatchIsUnderWayIsRemovedAfterTheBatch() throws Exception {
        String phone = "+39335" + (1000000 + (int) (Math.random() * 8999999));
        String withBoth = giulia("fenced-" + run, phone);
        String id = given().header("Authorization", APP).contentType(ContentType.JSON).body(withBoth)
                .post("/v1/subscribers").then().statusCode(201).extract().path("id");
        String emailOnly = withBoth.replaceFirst("\\{\"type\": \"SMS\"[^}]*\\},\\s*", "");
        assertThat(emailOnly).doesNotContain(phone);
        Instant released;
        try (Connection batch = db.getConnection()) {
            batch.setAutoCommit(false);
            ErasureFence.pass(batch);
            // renamed, the same channels: nothing to withdraw, no wait
            given().header("Authorization", APP).contentType(ContentType.JSON)
                    .body(withBoth.replace("Giulia Rossi", "Giulia Bianchi")).put("/v1/subscribers/" + id).then()
                    .statusCode(200);
            var removal = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", APP)
                    .contentType(ContentType.JSON).body(emailOnly).put("/v1/subscribers/" + id).then().extract()
                    .statusCode());
            Thread.sleep(1500);
            assertThat(removal).as("the removal waits for the batch under way").isNotDone();
            released = Instant.now();
            batch.commit();
            assertThat(removal.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
        }
        try (var reader = new TopicReader(Topics.SUBSCRIBERS_ERASED)) {
            var erased = Json.fromBytes(reader.await(r -> id.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), org.allerta.contracts.SubscriberErased.class);
            assertThat(erased.channel()).isEqualTo(org.allerta.contracts.Channel.SMS);
            assertThat(erased.erasedAt()).isAfterOrEqualTo(released);
        }
    }

    /** The channel types whose queued jobs this subscriber's records waiting in the outbox withdraw. */
    private List<org.allerta.contracts.Channel> withdrawals(String key) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT payload FROM dispatcher.outbox WHERE record_key = ? AND topic = ?")) {
            s.setString(1, key);
            s.setString(2, Topics.SUBSCRIBERS_ERASED);
            var channels = new java.util.ArrayList<org.allerta.contracts.Channel>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    channels.add(Json.fromBytes(rows.getBytes(1), org.allerta.contracts.SubscriberErased.class)
                            .channel());
                }
            }
            return channels;
        }
    }

    /** The recipients of the jobs waiting in the outbox for this subscriber. */
    private List<String> codesWaiting(String key) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT payload FROM dispatcher.outbox WHERE record_key = ? AND topic LIKE 'notifications.jobs.%'")) {
            s.setString(1, key);
            var recipients = new java.util.ArrayList<String>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    recipients.add(Json.fromBytes(rows.getBytes(1), NotificationJob.class).recipient());
                }
            }
            return recipients;
        }
    }

    /**
     * A place only renamed is the same place: it keeps its id, so its geocoding, and its name in the notices held for
     * it. A place moved is a new one.
     */
    @Test
    void aRenamedPlaceKeepsItsIdAndAMovedOneDoesNot() {
        String body = giulia("renamed-" + run, "+39336" + (1000000 + (int) (Math.random() * 8999999)));
        JsonPath created = given().header("Authorization", APP).contentType(ContentType.JSON).body(body)
                .post("/v1/subscribers").then().statusCode(201).extract().jsonPath();
        JsonPath renamed = given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(body.replace("\"Casa\"", "\"Casa mia\"").replace("\"lon\": 8.6150", "\"lon\": 8.6151"))
                .put("/v1/subscribers/" + created.getString("id")).then().statusCode(200).extract().jsonPath();
        assertThat(renamed.getString("places[0].label")).isEqualTo("Casa mia");
        assertThat(renamed.getString("places[0].id")).isEqualTo(created.getString("places[0].id"));
        assertThat(renamed.getString("places[1].id")).isNotEqualTo(created.getString("places[1].id"));
    }

    /** A confirmed e-mail address written again in another case is the same mailbox: confirmed still, no new code. */
    @Test
    void anAddressWrittenAgainInAnotherCaseStaysConfirmed() {
        String mail = "Giulia.Case-" + run + "@Example.org";
        String body = """
                {"name": "Giulia Rossi", "language": "it",
                 "channels": [{"type": "EMAIL", "address": "%s"%s}],
                 "places": [{"label": "Casa", "category": "HOME", "lon": 8.615, "lat": 44.913}]}""";
        JsonPath created = given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body(body.formatted(mail, ", \"verified\": true, \"consentSource\": \"signed form, 2026\""))
                .post("/v1/subscribers").then().statusCode(201).body("channels[0].verified", equalTo(true))
                .extract().jsonPath();
        given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(body.formatted(mail.toLowerCase(java.util.Locale.ROOT), ""))
                .put("/v1/subscribers/" + created.getString("id")).then().statusCode(200)
                .body("channels[0].id", equalTo(created.getString("channels[0].id")))
                .body("channels[0].verified", equalTo(true));
    }

    /**
     * A registration retried while the same person's erasure is under way waits for it, then registers the person
     * anew: never the subscriber being erased, nor an error.
     */
    @Test
    void aRegistrationRetriedDuringItsErasureRegistersAnew() throws Exception {
        String body = giulia("erased-retry-" + run, "+39335" + (1000000 + (int) (Math.random() * 8999999)));
        String before = given().header("Authorization", APP).contentType(ContentType.JSON).body(body)
                .post("/v1/subscribers").then().statusCode(201).extract().path("id");
        try (Connection erasing = db.getConnection()) {
            erasing.setAutoCommit(false);
            try (PreparedStatement s = erasing.prepareStatement(
                    "DELETE FROM dispatcher.subscriber WHERE subscriber_id = ?")) {
                s.setObject(1, UUID.fromString(before));
                assertThat(s.executeUpdate()).isEqualTo(1);
            }
            var retry = java.util.concurrent.CompletableFuture.supplyAsync(() -> given()
                    .header("Authorization", APP).contentType(ContentType.JSON).body(body).post("/v1/subscribers"));
            Thread.sleep(1_000);
            assertThat(retry).as("waits for the erasure").isNotDone();
            erasing.commit();
            var answer = retry.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(201);
            assertThat(answer.jsonPath().getString("id")).isNotEqualTo(before);
        }
    }

    private long outbox(String key, boolean tombstones) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM dispatcher.outbox WHERE record_key = ? AND (payload IS NULL) = ?"
                        + " AND topic <> '" + Topics.SUBSCRIBERS_ERASED + "'")) {
            s.setString(1, key);
            s.setBoolean(2, tombstones);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** The erasure records waiting in the outbox for this subscriber: nothing but the id and the time. */
    private long erasures(String key) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT payload FROM dispatcher.outbox WHERE record_key = ? AND topic = ?")) {
            s.setString(1, key);
            s.setString(2, Topics.SUBSCRIBERS_ERASED);
            long n = 0;
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    var erased = Json.fromBytes(rows.getBytes(1), org.allerta.contracts.SubscriberErased.class);
                    assertThat(erased.subscriberId()).isEqualTo(key);
                    n++;
                }
            }
            return n;
        }
    }

    @Test
    void geocodingOutcomesAreShownAndErasureLeavesNoPersonalData() throws Exception {
        JsonPath created = given().header("Authorization", APP).contentType(ContentType.JSON)
                .body(giulia("erase-" + run, "+393339876543")).post("/v1/subscribers").then().statusCode(201)
                .extract().jsonPath();
        String id = created.getString("id");
        String home = created.getString("places[0].id");
        TopicWriter.send(Topics.PLACES_GEOCODED, id, Json.toBytes(new PlaceGeocoded(id, home,
                GeocodingStatus.UNRESOLVED, null, null, 0, "NO_SUCH_NUMBER", Instant.now())));
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            JsonPath now = given().header("Authorization", APP).get("/v1/subscribers/" + id).then().statusCode(200)
                    .extract().jsonPath();
            if ("UNRESOLVED".equals(now.getString("places[0].geocoding.status"))) {
                assertThat(now.getString("places[0].geocoding.reason")).isEqualTo("NO_SUCH_NUMBER");
                break;
            }
            assertThat(System.currentTimeMillis()).as("geocoding outcome shown").isLessThan(deadline);
            Thread.sleep(200);
        }

        given().header("Authorization", APP).delete("/v1/subscribers/" + id).then().statusCode(204);
        given().header("Authorization", APP).get("/v1/subscribers/" + id).then().statusCode(404);
        UUID uuid = UUID.fromString(id);
        try (Connection c = db.getConnection()) {
            for (String table : List.of("subscriber", "channel", "place", "ledger", "held", "job")) {
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT count(*) FROM dispatcher." + table + " WHERE subscriber_id = ?")) {
                    s.setObject(1, uuid);
                    try (ResultSet rows = s.executeQuery()) {
                        rows.next();
                        assertThat(rows.getLong(1)).as(table).isZero();
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT count(*) FROM dispatcher.channel WHERE address = '+393339876543'")) {
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    assertThat(rows.getLong(1)).isZero();
                }
            }
        }
        try (var reader = new TopicReader(Topics.SUBSCRIBERS_PLACES)) {
            reader.await(r -> id.equals(r.key()) && r.value() == null, 1, Duration.ofSeconds(30));
        }
        // the notification-sender hears of it too, and withdraws the jobs of theirs still queued
        try (var reader = new TopicReader(Topics.SUBSCRIBERS_ERASED)) {
            var erased = Json.fromBytes(reader.await(r -> id.equals(r.key()), 1, Duration.ofSeconds(30)).get(0).value(),
                    org.allerta.contracts.SubscriberErased.class);
            assertThat(erased.subscriberId()).isEqualTo(id);
        }
    }
}
