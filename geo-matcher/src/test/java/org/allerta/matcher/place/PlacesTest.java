package org.allerta.matcher.place;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.PlaceGeocoded;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.matcher.Gazetteers;
import org.allerta.testsupport.LocalKafka;
import org.allerta.testsupport.LocalPostgis;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** subscribers.places in, places in PostGIS and places.geocoded out, on the real broker and database. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class PlacesTest {

    @BeforeEach
    void importsAlessandriaOnce() throws Exception {
        Gazetteers.ensureAlessandria();
    }

    static void send(String key, byte[] value) throws Exception {
        TopicWriter.send(Topics.SUBSCRIBERS_PLACES, key, value);
    }

    static long places(String subscriberId, boolean locatedOnly) throws Exception {
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM matcher.place WHERE subscriber_id = ?" + (locatedOnly ? " AND geom IS NOT NULL" : ""))) {
            s.setString(1, subscriberId);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Puts a subscriber's places back as a geocoding that found none of them left them. */
    static void asNotFound(Statement s, String subscriberId) throws java.sql.SQLException {
        s.executeUpdate("UPDATE matcher.place SET geom = NULL, geocoding_status = 'UNRESOLVED', matched_address = NULL,"
                + " confidence = 0, reason = 'NO_SUCH_STREET' WHERE subscriber_id = '" + subscriberId + "'");
    }

    @Test
    void geocodesEachPlaceStoresItAndReportsEveryOutcome() throws Exception {
        String subscriber = "sub-" + UUID.randomUUID();
        var places = new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, "V. Dazio 90/H, Alessandria", null),
                new SubscriberPlaces.Place("school", PlaceCategory.SCHOOL, null, new LonLat(8.6150, 44.9130)),
                new SubscriberPlaces.Place("work", PlaceCategory.WORK, "Via dei Mille Inesistenti 12", null)),
                Set.of(EventKind.POWER_OUTAGE), true, Instant.now());
        send(subscriber, Json.toBytes(places));

        try (var reader = new TopicReader(Topics.PLACES_GEOCODED)) {
            var outcomes = reader.await(r -> subscriber.equals(r.key()), 3, Duration.ofSeconds(30)).stream()
                    .map(r -> Json.fromBytes(r.value(), PlaceGeocoded.class)).toList();
            assertThat(outcomes).extracting(PlaceGeocoded::placeId, PlaceGeocoded::status).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("home", GeocodingStatus.RESOLVED),
                    org.assertj.core.groups.Tuple.tuple("school", GeocodingStatus.POINT_GIVEN),
                    org.assertj.core.groups.Tuple.tuple("work", GeocodingStatus.UNRESOLVED));
            assertThat(outcomes).filteredOn(o -> o.placeId().equals("home")).first()
                    .satisfies(o -> assertThat(o.matchedAddress()).isEqualTo("Via Dazio 90/H, 15122 Alessandria"));
            assertThat(outcomes).filteredOn(o -> o.placeId().equals("work")).first()
                    .satisfies(o -> assertThat(o.reason()).isEqualTo("NO_SUCH_STREET"));
        }
        assertThat(places(subscriber, false)).isEqualTo(3);
        assertThat(places(subscriber, true)).isEqualTo(2);
        given().header("Authorization", Gazetteers.ADMIN).get("/v1/places/unresolved/summary").then().statusCode(200)
                .body("byReason.NO_SUCH_STREET", org.hamcrest.Matchers.greaterThanOrEqualTo(1));
    }

    /**
     * A citizen told their address could not be found is found once the city imports the street: the import
     * geocodes the unresolved places again, stores their point and publishes the new outcome.
     */
    @Test
    void anAddressNotFoundIsFoundOnceTheGazetteerHasIt() throws Exception {
        String subscriber = "sub-" + UUID.randomUUID();
        String street = "Via Appena Aperta " + UUID.randomUUID().toString().substring(0, 6).replaceAll("[0-9]", "x");
        send(subscriber, Json.toBytes(new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, street + " 3, Alessandria", null)),
                Set.of(EventKind.POWER_OUTAGE), false, Instant.now())));
        try (var reader = new TopicReader(Topics.PLACES_GEOCODED)) {
            assertThat(Json.fromBytes(reader.await(r -> subscriber.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), PlaceGeocoded.class).status()).isEqualTo(GeocodingStatus.UNRESOLVED);
            given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv")
                    .queryParam("source", "new-street-" + UUID.randomUUID())
                    .body("lon,lat,number,street,unit,city,district,region,postcode\n"
                            + "8.6111,44.9111,3," + street + ",,Alessandria,,,15121\n")
                    .post("/v1/gazetteer").then().statusCode(200)
                    .body("placesResolved", org.hamcrest.Matchers.greaterThanOrEqualTo(1));
            PlaceGeocoded found = Json.fromBytes(reader.await(r -> subscriber.equals(r.key()) && Json.fromBytes(
                    r.value(), PlaceGeocoded.class).status() == GeocodingStatus.RESOLVED, 1, Duration.ofSeconds(30))
                    .get(0).value(), PlaceGeocoded.class);
            assertThat(found.point().lon()).isEqualTo(8.6111);

            // a refinement cut short (the broker away after the import committed) is taken up by the service: the
            // place as it was before, the import's mark left, and the outcome comes without anyone importing again
            try (Connection c = LocalPostgis.shared().connect(); Statement s = c.createStatement()) {
                asNotFound(s, subscriber);
                s.executeUpdate("INSERT INTO matcher.refinement_pending (since) VALUES (now() - interval '1 hour')"
                        + " ON CONFLICT (only_row) DO UPDATE SET since = excluded.since");
            }
            PlaceGeocoded again = Json.fromBytes(reader.await(r -> subscriber.equals(r.key()) && Json.fromBytes(
                    r.value(), PlaceGeocoded.class).status() == GeocodingStatus.RESOLVED, 2, Duration.ofSeconds(30))
                    .get(1).value(), PlaceGeocoded.class);
            assertThat(again.point().lon()).isEqualTo(8.6111);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (Connection c = LocalPostgis.shared().connect(); Statement s = c.createStatement();
                     ResultSet rows = s.executeQuery("SELECT count(*) FROM matcher.refinement_pending")) {
                    rows.next();
                    return rows.getLong(1) == 0;
                }
            });
        }
        assertThat(places(subscriber, true)).isEqualTo(1);
    }

    /**
     * Places registered before the geocoder read the shorter forms people write were left unresolved: the migration
     * that comes with it has them geocoded again once, and the app hears that they were found.
     */
    @Test
    void placesLeftUnresolvedBeforeTheShorterFormsAreGeocodedAgainOnUpgrade() throws Exception {
        String subscriber = "sub-" + UUID.randomUUID();
        send(subscriber, Json.toBytes(new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, "Via Garibaldi 3/A, Spinetta Marengo", null)),
                Set.of(EventKind.POWER_OUTAGE), false, Instant.now())));
        try (var reader = new TopicReader(Topics.PLACES_GEOCODED)) {
            reader.await(r -> subscriber.equals(r.key()), 1, Duration.ofSeconds(30));
            // as the geocoder before left it
            try (Connection c = LocalPostgis.shared().connect(); Statement s = c.createStatement()) {
                asNotFound(s, subscriber);
                s.execute("SET search_path = matcher, public");
                s.execute(new String(PlacesTest.class.getResourceAsStream(
                        "/db/migration/V19__geocode_again_for_shorter_forms.sql").readAllBytes(),
                        java.nio.charset.StandardCharsets.UTF_8));
            }
            PlaceGeocoded found = Json.fromBytes(reader.await(r -> subscriber.equals(r.key()) && Json.fromBytes(
                    r.value(), PlaceGeocoded.class).status() == GeocodingStatus.RESOLVED, 2, Duration.ofSeconds(30))
                    .get(1).value(), PlaceGeocoded.class);
            assertThat(found.matchedAddress()).startsWith("Via Giuseppe Garibaldi In Spinetta Marengo 3/A,");
        }
        assertThat(places(subscriber, true)).isEqualTo(1);
    }

    /**
     * A place left at its street's centroid because the register lacked its number is placed at its house once a
     * new edition of the register has it; one whose number the citizen did not give stays where it is.
     */
    @Test
    void aNumberTheRegisterLackedIsPlacedAtItsHouseOnceAnImportHasIt() throws Exception {
        String subscriber = "sub-" + UUID.randomUUID();
        String number = String.valueOf(8000 + (int) (Math.random() * 1000));
        send(subscriber, Json.toBytes(new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, "Via Dazio " + number + ", Alessandria", null),
                new SubscriberPlaces.Place("street", PlaceCategory.WORK, "Via Dazio, Alessandria", null)),
                Set.of(EventKind.POWER_OUTAGE), false, Instant.now())));
        try (var reader = new TopicReader(Topics.PLACES_GEOCODED)) {
            assertThat(reader.await(r -> subscriber.equals(r.key()), 2, Duration.ofSeconds(30)).stream()
                    .map(r -> Json.fromBytes(r.value(), PlaceGeocoded.class))
                    .map(o -> o.placeId() + " " + o.status() + " " + o.reason()))
                    .containsExactlyInAnyOrder("home STREET_CENTROID NO_SUCH_NUMBER",
                            "street STREET_CENTROID NO_NUMBER_GIVEN");
            given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv")
                    .queryParam("source", "new-edition-" + UUID.randomUUID())
                    .body("lon,lat,number,street,unit,city,district,region,postcode\n"
                            + "8.6312," + "44.9478," + number + ",Via Dazio,,Alessandria,,,15122\n")
                    .post("/v1/gazetteer").then().statusCode(200)
                    .body("placesResolved", org.hamcrest.Matchers.greaterThanOrEqualTo(1));
            PlaceGeocoded found = Json.fromBytes(reader.await(r -> subscriber.equals(r.key()) && Json.fromBytes(
                    r.value(), PlaceGeocoded.class).status() == GeocodingStatus.RESOLVED, 1, Duration.ofSeconds(30))
                    .get(0).value(), PlaceGeocoded.class);
            assertThat(found.placeId()).isEqualTo("home");
            assertThat(found.point().lon()).isEqualTo(8.6312);
            assertThat(found.matchedAddress()).isEqualTo("Via Dazio " + number + ", 15122 Alessandria");
            assertThat(reader.drain(Duration.ofSeconds(2))).filteredOn(r -> subscriber.equals(r.key()))
                    .as("the two first outcomes and the house found, nothing for the street alone").hasSize(3);
        }
    }

    /**
     * A place at its street's centre for want of a number given follows the centre when a new edition extends the
     * street far enough to move it; a number that moves it a few metres leaves it where it is.
     */
    @Test
    void aPlaceAtItsStreetsCentreFollowsItWhenANewEditionMovesItFar() throws Exception {
        var random = new java.util.Random();
        String street = "Via Gelsomino" + random.ints(8, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append);
        String source = "extension-" + UUID.randomUUID();
        importRows(source, "8.6000,44.9000,1," + street + ",,Alessandria,,,15121\n"
                + "8.6000,44.9002,3," + street + ",,Alessandria,,,15121\n");
        String subscriber = "sub-" + UUID.randomUUID();
        send(subscriber, Json.toBytes(new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, street + ", Alessandria", null)),
                Set.of(EventKind.WATER_OUTAGE), false, Instant.now())));
        try (var reader = new TopicReader(Topics.PLACES_GEOCODED)) {
            PlaceGeocoded first = Json.fromBytes(reader.await(r -> subscriber.equals(r.key()), 1,
                    Duration.ofSeconds(30)).get(0).value(), PlaceGeocoded.class);
            assertThat(first.status() + " " + first.reason()).isEqualTo("STREET_CENTROID NO_NUMBER_GIVEN");
            assertThat(first.point().lat()).isCloseTo(44.9001, org.assertj.core.data.Offset.offset(1e-6));

            // one more number 20 m on: the centre moves 11 m, the place stays
            importRows(source, "8.6000,44.9004,5," + street + ",,Alessandria,,,15121\n");
            assertThat(reader.drain(Duration.ofSeconds(2))).filteredOn(r -> subscriber.equals(r.key()))
                    .as("only the first outcome").hasSize(1);

            // the street extended 1.6 km east: the centre moves 630 m, and the place with it
            importRows(source, "8.6200,44.9000,101," + street + ",,Alessandria,,,15121\n"
                    + "8.6200,44.9002,103," + street + ",,Alessandria,,,15121\n");
            PlaceGeocoded moved = Json.fromBytes(reader.await(r -> subscriber.equals(r.key()) && Json.fromBytes(
                    r.value(), PlaceGeocoded.class).point().lon() > 8.6001, 1, Duration.ofSeconds(30)).get(0)
                    .value(), PlaceGeocoded.class);
            assertThat(moved.status() + " " + moved.reason()).isEqualTo("STREET_CENTROID NO_NUMBER_GIVEN");
            assertThat(moved.point().lon()).isCloseTo(8.608, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(moved.point().lat()).isCloseTo(44.90016, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    private static void importRows(String source, String rows) {
        given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv").queryParam("source", source)
                .body("lon,lat,number,street,unit,city,district,region,postcode\n" + rows)
                .post("/v1/gazetteer").then().statusCode(200);
    }

    @Test
    void aTombstoneErasesTheSubscribersPlaces() throws Exception {
        String subscriber = "sub-" + UUID.randomUUID();
        send(subscriber, Json.toBytes(new SubscriberPlaces(subscriber, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(8.61, 44.91))),
                Set.of(EventKind.WATER_OUTAGE), false, Instant.now())));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> places(subscriber, false) == 1);
        send(subscriber, null);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> places(subscriber, false) == 0);
    }

    @Test
    void deadLettersAPoisonRecordAndGoesOn() throws Exception {
        String poison = "poison-" + UUID.randomUUID();
        send(poison, "{\"subscriberId\":".getBytes());
        String next = "sub-" + UUID.randomUUID();
        send(next, Json.toBytes(new SubscriberPlaces(next, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(8.61, 44.91))),
                Set.of(EventKind.WATER_OUTAGE), false, Instant.now())));
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            DeadLetter letter = Json.fromBytes(dlq.await(r -> poison.equals(r.key()), 1, Duration.ofSeconds(30))
                    .get(0).value(), DeadLetter.class);
            assertThat(letter.source()).isEqualTo(Topics.SUBSCRIBERS_PLACES);
            assertThat(letter.service()).isEqualTo("geo-matcher");
            assertThat(letter.reasons().get(0).type()).isEqualTo("urn:allerta:problem:invalid-record");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> places(next, false) == 1);
    }

    @Test
    void aRecordTheDatabaseRefusesIsDeadLetteredAndTheOthersOfItsPollAreStored() throws Exception {
        // valid JSON that PostgreSQL cannot store: text may not contain a NUL character
        String refused = "sub-nul-" + UUID.randomUUID();
        send(refused, Json.toBytes(new SubscriberPlaces(refused, List.of(
                new SubscriberPlaces.Place("home", PlaceCategory.HOME, "Via Dazio\u0000 90, Alessandria", null)),
                Set.of(EventKind.WATER_OUTAGE), false, Instant.now())));
        var others = new java.util.ArrayList<String>();
        for (int i = 0; i < 20; i++) {
            String other = "sub-" + UUID.randomUUID();
            others.add(other);
            send(other, Json.toBytes(new SubscriberPlaces(other, List.of(
                    new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(8.61, 44.91))),
                    Set.of(EventKind.WATER_OUTAGE), false, Instant.now())));
        }
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            DeadLetter letter = Json.fromBytes(dlq.await(r -> refused.equals(r.key()), 1, Duration.ofSeconds(30))
                    .get(0).value(), DeadLetter.class);
            assertThat(letter.source()).isEqualTo(Topics.SUBSCRIBERS_PLACES);
            assertThat(letter.reasons().get(0).type()).isEqualTo("urn:allerta:problem:refused-by-database");
        }
        for (String other : others) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> places(other, false) == 1);
        }
        assertThat(places(refused, false)).isZero();
    }

    /**
     * Places stored while the broker refuses their outcomes (here places.geocoded takes no record of their size): the
     * record is neither lost nor dead-lettered but read again until its outcome can be published, then reported once.
     */
    @Test
    void placesStoredWhoseOutcomeTheBrokerRefusesAreReportedOnceItTakesThem() throws Exception {
        String subscriber = "sub-" + UUID.randomUUID();
        var topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.PLACES_GEOCODED);
        try (Admin admin = Admin.create(Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafka.shared().bootstrapServers()));
                var outcomes = new TopicReader(Topics.PLACES_GEOCODED);
                var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "64"), AlterConfigOp.OpType.SET))))
                    .all().get(10, TimeUnit.SECONDS);
            try {
                send(subscriber, Json.toBytes(new SubscriberPlaces(subscriber, List.of(
                        new SubscriberPlaces.Place("home", PlaceCategory.HOME, null, new LonLat(8.61, 44.91))),
                        Set.of(EventKind.WATER_OUTAGE), false, Instant.now())));
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> places(subscriber, false) == 1);
                // stored, and read again (a second a time) while the topic refuses
                assertThat(outcomes.drain(Duration.ofSeconds(4))).noneMatch(r -> subscriber.equals(r.key()));
            } finally {
                admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(
                        new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, ""), AlterConfigOp.OpType.DELETE))))
                        .all().get(10, TimeUnit.SECONDS);
            }
            PlaceGeocoded outcome = Json.fromBytes(outcomes.await(r -> subscriber.equals(r.key()), 1,
                    Duration.ofSeconds(30)).get(0).value(), PlaceGeocoded.class);
            assertThat(outcome.status()).isEqualTo(GeocodingStatus.POINT_GIVEN);
            // once: nothing more for them after a few more seconds, and nothing of theirs dead-lettered
            assertThat(outcomes.drain(Duration.ofSeconds(3))).filteredOn(r -> subscriber.equals(r.key())).hasSize(1);
            assertThat(dlq.drain(Duration.ofSeconds(1))).noneMatch(r -> subscriber.equals(r.key()));
        }
        assertThat(places(subscriber, false)).isEqualTo(1);
    }

    @Inject
    PlaceService service;

    /**
     * A poll holding several records of the same subscribers is stored together: each subscriber ends as its last
     * record says, whatever came before it in the poll (a new version, a tombstone, a version after a tombstone).
     */
    @Test
    void aPollLeavesEachSubscriberAsItsLastRecordSays() throws Exception {
        String a = "sub-a-" + UUID.randomUUID();
        String b = "sub-b-" + UUID.randomUUID();
        String c = "sub-c-" + UUID.randomUUID();
        String tag = UUID.randomUUID().toString();
        long offset = 0;
        service.handle(List.of(
                record(a, version(a, tag + "-a1", tag + "-a2"), offset++),
                record(b, version(b, tag + "-b1"), offset++),
                record(c, null, offset++),
                record(a, version(a, tag + "-a3"), offset++),
                record(b, null, offset++),
                record(c, version(c, tag + "-c1", tag + "-c2"), offset)));
        assertThat(placeIds(a)).containsExactly(tag + "-a3");
        assertThat(placeIds(b)).isEmpty();
        assertThat(placeIds(c)).containsExactlyInAnyOrder(tag + "-c1", tag + "-c2");
    }

    private static byte[] version(String subscriber, String... placeIds) {
        return Json.toBytes(new SubscriberPlaces(subscriber, java.util.Arrays.stream(placeIds)
                .map(id -> new SubscriberPlaces.Place(id, PlaceCategory.HOME, null, new LonLat(8.61, 44.91)))
                .toList(), Set.of(EventKind.WATER_OUTAGE), false, Instant.now()));
    }

    private static ConsumerRecord<String, byte[]> record(String key, byte[] value, long offset) {
        return new ConsumerRecord<>(Topics.SUBSCRIBERS_PLACES, 0, offset, key, value);
    }

    private static List<String> placeIds(String subscriberId) throws Exception {
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(
                "SELECT place_id FROM matcher.place WHERE subscriber_id = ?")) {
            s.setString(1, subscriberId);
            var ids = new java.util.ArrayList<String>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
            return ids;
        }
    }
}
