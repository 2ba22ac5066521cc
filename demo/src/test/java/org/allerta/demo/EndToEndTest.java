package org.allerta.demo;

import static org.assertj.core.api.Assertions.assertThat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import org.allerta.contracts.Change;
import org.allerta.contracts.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole system end to end: the four packaged services as processes, the real broker and PostGIS, the local SMTP
 * server, SMSC and webhook peer. A few hundred citizens on a grid of points are registered through the public REST
 * API (some in their quiet hours); a grid operator's outage is published, revised, grown, shrunk and resolved, then a
 * civil-protection CAP alert, then a snow crew's zone goes NOT_STARTED, IN_PROGRESS, CLEARED; the jobs are read from {@code notifications.jobs.*} with a plain Kafka consumer and what the peers received is
 * compared with them. Every step asserts its exact recipients, one job id per notice, and the change kinds. Then
 * citizens who wrote their addresses are geocoded against Alessandria's register and told of a water cut over their
 * homes (and one whose address does not exist is reported back, not told); then, on the same running system, every
 * example of docs/ that calls it is run as written.
 */
@Order(1)   // the order of the system test classes: see junit-platform.properties
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndTest {

    private static final int COLUMNS = 20;
    private static final int ROWS = 12;
    private static final double STEP = 0.001;
    private static final double LON0 = 8.60;
    private static final double LAT0 = 44.90;
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);

    private static PackagedServices services;
    private static Api.Endpoints at;
    private static final Api API = new Api();

    /**
     * A citizen: a home on the grid, maybe a work place ten columns away, one or two channels; following power cuts
     * or water cuts, some also snow clearing; some with quiet hours covering the whole test.
     */
    private record Person(int index, int homeColumn, Integer workColumn, boolean followsPower, boolean followsRoads,
                          boolean quiet, List<String> channels) {

        boolean inside(IntPredicate columns) {
            return columns.test(homeColumn) || (workColumn != null && columns.test(workColumn));
        }
    }

    private static final Map<String, Person> PEOPLE = new HashMap<>();
    /** The events this class published and checked so far: what the peers should have received. */
    private static final Set<String> EVENTS = new HashSet<>();

    @BeforeAll
    static void start() throws Exception {
        services = new PackagedServices();
        services.startAll();
        at = services.endpoints();
    }

    @AfterAll
    static void stop() throws Exception {
        if (services != null) {
            services.close();
        }
    }

    @Test
    @Order(1)
    void citizensHearExactlyWhatConcernsThemOnceFromPublicationToTheirPhoneAndMailbox() throws Exception {
        register();

        String publisherEventId = "e2e-" + UUID.randomUUID();
        Instant eta = Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MINUTES);
        ObjectNode event = outage(publisherEventId, 0, 9, eta);
        Set<String> told = new HashSet<>();

        // 1. the outage: AFFECTED to everyone following power with a place in columns 0-9, but those in their quiet
        // hours (a MODERATE outage waits for the morning): their notices are held
        String eventId = publish(event).get("eventId").asText();
        Set<String> affected = who(p -> p.followsPower() && !p.quiet() && p.inside(c -> c <= 9));
        assertThat(affected).hasSizeGreaterThan(80);
        expect(eventId, 1, Map.of(Change.AFFECTED, affected));
        told.addAll(affected);
        Set<String> sleeping = who(p -> p.followsPower() && p.quiet() && p.inside(c -> c <= 9));
        assertThat(sleeping).isNotEmpty();
        assertThat(stats(eventId).get("held").asLong()).as("held for quiet hours").isEqualTo(sleeping.size());

        // 2. a new estimate (material): UPDATED to exactly those told
        ((ObjectNode) event.get("properties")).put("expectedRestorationAt", eta.plus(1, ChronoUnit.HOURS).toString());
        publish(event);
        expect(eventId, 2, Map.of(Change.UPDATED, Set.copyOf(told)));

        // 3. growth to columns 0-14 (only the area changed: not material): AFFECTED to the newcomers only
        event.set("geometry", rectangle(0, 14));
        publish(event);
        Set<String> newcomers = who(p -> p.followsPower() && !p.quiet() && p.inside(c -> c <= 14));
        newcomers.removeAll(told);
        assertThat(newcomers).isNotEmpty();
        expect(eventId, 3, Map.of(Change.AFFECTED, newcomers));
        told.addAll(newcomers);

        // 4. shrink to columns 5-14: NO_LONGER_AFFECTED to those told with no place left inside
        event.set("geometry", rectangle(5, 14));
        publish(event);
        Set<String> left = told.stream().filter(id -> !PEOPLE.get(id).inside(c -> c >= 5 && c <= 14))
                .collect(Collectors.toSet());
        assertThat(left).isNotEmpty();
        expect(eventId, 4, Map.of(Change.NO_LONGER_AFFECTED, left));
        told.removeAll(left);

        // 5. restoration: RESOLVED to those currently told, nobody else; the held notices are dropped, never sent
        ((ObjectNode) event.get("properties")).put("status", "RESOLVED");
        publish(event);
        expect(eventId, 5, Map.of(Change.RESOLVED, Set.copyOf(told)));
        await("the held notices of the ended outage dropped", () -> stats(eventId).get("held").asLong() == 0);

        // 6. civil protection, CAP 1.2, EXTREME: everyone with a place in columns 15-19, followers or not, in their
        // quiet hours or not
        Api.Answer cap = API.post(at.intake() + "/v1/cap", services.publisherKey, "application/cap+xml",
                capAlert(15, 19));
        String capEvent = cap.expect(202).get("eventId").asText();
        Set<String> everyone = who(p -> p.inside(c -> c >= 15));
        assertThat(everyone.stream().anyMatch(id -> !PEOPLE.get(id).followsPower())).isTrue();
        assertThat(everyone.stream().anyMatch(id -> PEOPLE.get(id).quiet())).isTrue();
        expect(capEvent, 1, Map.of(Change.AFFECTED, everyone));

        // 7. a snow crew's zone over columns 0-4: NOT_STARTED tells those following snow clearing (not in their quiet
        // hours), IN_PROGRESS updates them, CLEARED ends it for them
        String zone = "e2e-snow-" + UUID.randomUUID();
        ObjectNode zoneFeature = Json.mapper().createObjectNode().put("type", "Feature");
        zoneFeature.putObject("properties").put("name", "Zona di prova");
        zoneFeature.set("geometry", rectangle(0, 4));
        API.put(at.intake() + "/v1/zones/" + zone, services.publisherKey, "application/geo+json",
                Json.toString(zoneFeature)).expect(200, 201);
        Set<String> snowed = who(p -> p.followsRoads() && !p.quiet() && p.inside(c -> c <= 4));
        assertThat(snowed).isNotEmpty();
        String zoneEvent = zoneStatus(zone, "NOT_STARTED").get("eventId").asText();
        expect(zoneEvent, 1, Map.of(Change.AFFECTED, snowed));
        assertThat(zoneStatus(zone, "IN_PROGRESS").get("eventId").asText()).isEqualTo(zoneEvent);
        expect(zoneEvent, 2, Map.of(Change.UPDATED, snowed));
        assertThat(zoneStatus(zone, "CLEARED").get("eventId").asText()).isEqualTo(zoneEvent);
        expect(zoneEvent, 3, Map.of(Change.RESOLVED, snowed));

        EVENTS.addAll(List.of(eventId, capEvent, zoneEvent));
        peersReceivedEveryJobOnce(EVENTS);
    }

    /**
     * Citizens who wrote their home's address as people do (abbreviated, in lower case, misspelt) are found in
     * Alessandria's house-number register, matched and told of a water cut over their homes; a neighbour outside it
     * is not; an address the register does not have is kept UNRESOLVED with its reason, counted, shown to the city's
     * app, and its citizen told nothing. The expected recipients come from the reference points of
     * data/italy/alessandria-reference-points.csv, whose coordinates were computed independently of Allerta.
     */
    @Test
    @Order(2)
    void citizensWhoWroteTheirAddressAreFoundInTheRegisterAndToldAndAnAddressNotFoundIsReportedBack()
            throws Exception {
        importRegister();
        Map<String, double[]> reference = referencePoints();
        // written as people write them; the last one names no street of Alessandria
        Map<String, String> written = new java.util.LinkedHashMap<>();
        written.put("Via Melazza 28", "V. Melazza 28, Alessandria");
        written.put("Via Giromini 26", "via giromini 26 15122 alessandria");
        written.put("Via Della Cappelletta 29", "Via della Capeletta 29");
        written.put("Via Nicolina 10", "VIA NICOLINA, 10");
        written.put(null, "Via dei Mille Inesistenti 12, Alessandria");
        Map<String, String> whoLivesAt = new HashMap<>();
        int i = 0;
        for (var address : written.entrySet()) {
            List<String> channels = i % 2 == 0 ? List.of("SMS") : List.of("EMAIL");
            ObjectNode body = Json.mapper().createObjectNode().put("externalId", "e2e-written-" + i)
                    .put("name", "Residente " + i).put("language", i % 2 == 0 ? "it" : "en");
            body.putArray("channels").addObject().put("type", channels.get(0)).put("verified", true)
                    .put("consentSource", "end-to-end test")
                    .put("address", channels.get(0).equals("SMS") ? String.format("+3930077%05d", i)
                            : "residente" + i + "@example.org");
            body.putArray("places").addObject().put("label", "Casa").put("category", "HOME")
                    .put("address", address.getValue());
            body.putArray("interests").add("WATER_OUTAGE");
            // the admin's key, as for the citizens above: a channel given as verified (the app's key would send codes)
            String id = API.postJson(at.dispatcher() + "/v1/subscribers", services.adminKey, body).expect(201)
                    .get("id").asText();
            PEOPLE.put(id, new Person(1_000 + i, -1_000, null, false, false, false, channels));
            whoLivesAt.put(address.getKey() == null ? "nowhere" : address.getKey(), id);
            i++;
        }
        Map<String, JsonNode> geocoding = new HashMap<>();
        await("the matcher's answer for every written address", () -> {
            for (var entry : whoLivesAt.entrySet()) {
                JsonNode place = API.get(at.dispatcher() + "/v1/subscribers/" + entry.getValue(), services.appKey)
                        .expect(200).get("places").get(0);
                if (!place.has("geocoding")) {
                    return false;
                }
                geocoding.put(entry.getKey(), place.get("geocoding"));
            }
            return true;
        });
        for (String street : reference.keySet()) {
            JsonNode answer = geocoding.get(street);
            assertThat(answer.get("status").asText()).as(street).isEqualTo("RESOLVED");
            assertThat(answer.get("matchedAddress").asText()).as(street).startsWith(street + ",");
        }
        assertThat(geocoding.get("Via Della Cappelletta 29").get("confidence").asDouble()).as("misspelt")
                .isLessThan(1.0);
        assertThat(geocoding.get("nowhere").get("status").asText()).isEqualTo("UNRESOLVED");
        assertThat(geocoding.get("nowhere").get("reason").asText()).isEqualTo("NO_SUCH_STREET");
        JsonNode unresolved = API.get(at.matcher() + "/v1/places/unresolved/summary", services.appKey).expect(200);
        assertThat(unresolved.path("byReason").path("NO_SUCH_STREET").asLong()).isGreaterThanOrEqualTo(1);

        // a water cut over three of the homes, each a square about 25 m from its reference point; Via Nicolina is
        // outside, and the unresolved address is in no area
        List<String> inside = List.of("Via Melazza 28", "Via Giromini 26", "Via Della Cappelletta 29");
        ObjectNode feature = Json.mapper().createObjectNode().put("type", "Feature");
        ObjectNode geometry = feature.putObject("geometry").put("type", "MultiPolygon");
        ArrayNode polygons = geometry.putArray("coordinates");
        for (String street : inside) {
            double[] p = reference.get(street);
            double d = 0.0003;
            polygons.addArray().addArray()
                    .add(Json.mapper().createArrayNode().add(p[0] - d).add(p[1] - d))
                    .add(Json.mapper().createArrayNode().add(p[0] + d).add(p[1] - d))
                    .add(Json.mapper().createArrayNode().add(p[0] + d).add(p[1] + d))
                    .add(Json.mapper().createArrayNode().add(p[0] - d).add(p[1] + d))
                    .add(Json.mapper().createArrayNode().add(p[0] - d).add(p[1] - d));
        }
        ObjectNode properties = feature.putObject("properties").put("publisherEventId", "e2e-water-" + UUID.randomUUID())
                .put("kind", "WATER_OUTAGE").put("severity", "MODERATE").put("urgency", "IMMEDIATE")
                .put("areaDescription", "Tre vie di Alessandria");
        properties.putObject("headline").put("it", "Interruzione dell'acqua").put("en", "Water cut");
        String eventId = publish(feature).get("eventId").asText();
        Set<String> told = inside.stream().map(whoLivesAt::get).collect(Collectors.toSet());
        expect(eventId, 1, Map.of(Change.AFFECTED, told));
        properties.put("status", "RESOLVED");
        publish(feature);
        expect(eventId, 2, Map.of(Change.RESOLVED, told));
        EVENTS.add(eventId);
        peersReceivedEveryJobOnce(EVENTS);
    }

    private static boolean registerImported;

    /** Alessandria's register in the matcher's gazetteer, imported once for this class's tests. */
    private static void importRegister() throws Exception {
        if (!registerImported) {
            services.importRegister();
            registerImported = true;
        }
    }

    /** The reference points' coordinates in EPSG:4326 (lon, lat), by "DUG DUF Civico". */
    private static Map<String, double[]> referencePoints() throws Exception {
        java.nio.file.Path root = java.nio.file.Path.of(System.getProperty("allerta.root", ".."));
        var points = new TreeMap<String, double[]>();
        List<String> lines = java.nio.file.Files.readAllLines(
                root.resolve("data/italy/alessandria-reference-points.csv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(";", -1);
            String street = f[0] + " " + f[1] + " " + f[2];
            if (Set.of("Via Melazza 28", "Via Giromini 26", "Via Della Cappelletta 29", "Via Nicolina 10")
                    .contains(street)) {
                points.put(street, new double[] {Double.parseDouble(f[7]), Double.parseDouble(f[8])});
            }
        }
        assertThat(points).hasSize(4);
        return points;
    }

    private static JsonNode zoneStatus(String zone, String status) {
        ObjectNode body = Json.mapper().createObjectNode().put("status", status).put("note", "Spazzaneve: " + status);
        return API.postJson(at.intake() + "/v1/zones/" + zone + "/status", services.publisherKey, body)
                .expect(200, 202);
    }

    private static JsonNode stats(String eventId) {
        return API.get(at.dispatcher() + "/v1/events/" + eventId + "/stats", services.publisherKey).expect(200);
    }

    // ---------------------------------------------------------------- citizens

    private static void register() throws Exception {
        // quiet hours from an hour ago to three hours ahead, in Rome: they cover the whole test
        ZonedDateTime now = ZonedDateTime.now(java.time.ZoneId.of("Europe/Rome")).truncatedTo(ChronoUnit.HOURS);
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        for (int i = 0; i < COLUMNS * ROWS; i++) {
            int column = i % COLUMNS;
            int row = i / COLUMNS;
            Integer work = i % 9 == 4 ? (column + 10) % COLUMNS : null;
            boolean follows = i % 10 != 7;
            boolean roads = i % 3 == 1;
            boolean quiet = i % 11 == 3;
            List<String> channels = switch (i % 4) {
                case 0 -> List.of("SMS");
                case 1 -> List.of("EMAIL");
                case 2 -> List.of("SMS", "EMAIL");
                default -> List.of("PUSH");
            };
            ObjectNode body = Json.mapper().createObjectNode();
            body.put("externalId", "e2e-" + i);
            body.put("name", "Cittadino " + i);
            body.put("language", i % 3 == 0 ? "en" : "it");
            ArrayNode ch = body.putArray("channels");
            for (String type : channels) {
                ObjectNode c = ch.addObject().put("type", type).put("verified", true)
                        .put("consentSource", "end-to-end test");
                c.put("address", switch (type) {
                    case "SMS" -> String.format("+3930066%05d", i);
                    case "EMAIL" -> "cittadino" + i + "@example.org";
                    default -> "e2e-device-token-" + i;
                });
            }
            ArrayNode places = body.putArray("places");
            places.addObject().put("category", "HOME").put("lon", lon(column)).put("lat", lat(row));
            if (work != null) {
                places.addObject().put("category", "WORK").put("lon", lon(work)).put("lat", lat(row));
            }
            ArrayNode interests = body.putArray("interests").add(follows ? "POWER_OUTAGE" : "WATER_OUTAGE");
            if (roads) {
                interests.add("ROAD_CLEARING");
            }
            if (quiet) {
                body.putObject("quietHours").put("from", now.minusHours(1).format(hhmm))
                        .put("to", now.plusHours(3).format(hhmm)).put("zone", "Europe/Rome");
            }
            JsonNode created = API.postJson(at.dispatcher() + "/v1/subscribers", services.adminKey, body)
                    .expect(201);
            PEOPLE.put(created.get("id").asText(), new Person(i, column, work, follows, roads, quiet, channels));
        }
        // every place is known to the matcher before anything is published: none left PENDING
        long places = PEOPLE.values().stream().mapToLong(p -> p.workColumn() == null ? 1 : 2).sum();
        await("geocoding of every place", () -> API.get(at.dispatcher() + "/v1/subscribers/summary",
                services.adminKey).expect(200).path("places").path("PENDING").asLong(0) == 0);
        JsonNode summary = API.get(at.dispatcher() + "/v1/subscribers/summary", services.adminKey).expect(200);
        // (other tests of this run may have registered places too)
        assertThat(summary.path("places").path("POINT_GIVEN").asLong()).isGreaterThanOrEqualTo(places);
    }

    private static Set<String> who(java.util.function.Predicate<Person> rule) {
        return PEOPLE.entrySet().stream().filter(e -> rule.test(e.getValue())).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(HashSet::new));
    }

    // ---------------------------------------------------------------- publishing

    private static double lon(int column) {
        return Math.round((LON0 + column * STEP) * 1e6) / 1e6;
    }

    private static double lat(int row) {
        return Math.round((LAT0 + row * STEP) * 1e6) / 1e6;
    }

    /** Columns {@code from}..{@code to}, every row; edges half a step away from any point. */
    private static ObjectNode rectangle(int from, int to) {
        double west = LON0 + (from - 0.5) * STEP;
        double east = LON0 + (to + 0.5) * STEP;
        double south = LAT0 - 0.5 * STEP;
        double north = LAT0 + (ROWS - 0.5) * STEP;
        ObjectNode geometry = Json.mapper().createObjectNode().put("type", "Polygon");
        geometry.putArray("coordinates").addArray()
                .add(Json.mapper().createArrayNode().add(west).add(south))
                .add(Json.mapper().createArrayNode().add(east).add(south))
                .add(Json.mapper().createArrayNode().add(east).add(north))
                .add(Json.mapper().createArrayNode().add(west).add(north))
                .add(Json.mapper().createArrayNode().add(west).add(south));
        return geometry;
    }

    private static ObjectNode outage(String id, int from, int to, Instant eta) {
        ObjectNode feature = Json.mapper().createObjectNode().put("type", "Feature");
        feature.set("geometry", rectangle(from, to));
        ObjectNode p = feature.putObject("properties");
        p.put("publisherEventId", id);
        p.put("kind", "POWER_OUTAGE");
        p.put("severity", "MODERATE");
        p.put("urgency", "IMMEDIATE");
        p.putObject("headline").put("it", "Interruzione di corrente").put("en", "Power outage");
        p.put("areaDescription", "Griglia di prova");
        p.put("expectedRestorationAt", eta.toString());
        return feature;
    }

    private static String capAlert(int from, int to) {
        double west = LON0 + (from - 0.5) * STEP;
        double east = LON0 + (to + 0.5) * STEP;
        double south = LAT0 - 0.5 * STEP;
        double north = LAT0 + (ROWS - 0.5) * STEP;
        String polygon = String.format(Locale.ROOT, "%.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f",
                south, west, south, east, north, east, north, west, south, west);
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
                  <identifier>e2e-%s</identifier>
                  <sender>protezione.civile@example.org</sender>
                  <sent>%s</sent>
                  <status>Actual</status>
                  <msgType>Alert</msgType>
                  <scope>Public</scope>
                  <info>
                    <language>it-IT</language>
                    <category>Safety</category>
                    <event>Evacuazione</event>
                    <urgency>Immediate</urgency>
                    <severity>Extreme</severity>
                    <certainty>Observed</certainty>
                    <headline>Evacuazione immediata</headline>
                    <area><areaDesc>Colonne 15-19</areaDesc><polygon>%s</polygon></area>
                  </info>
                </alert>
                """.formatted(UUID.randomUUID(), ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS)
                .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), polygon);
    }

    private static JsonNode publish(ObjectNode feature) {
        return API.post(at.intake() + "/v1/events", services.publisherKey, "application/geo+json",
                Json.toString(feature)).expect(202);
    }

    // ---------------------------------------------------------------- checking

    /**
     * Waits until the revision is complete (the dispatcher's statistics, fed by the matcher's progress markers, and
     * an empty send backlog), then checks the jobs of that revision read from the topics: exactly the expected
     * subscribers per change, one job per subscriber and channel, on each of the person's channels.
     */
    private static void expect(String eventId, long revision, Map<Change, Set<String>> expected) throws Exception {
        await("revision " + revision + " of " + eventId, () -> {
            Api.Answer stats = API.get(at.dispatcher() + "/v1/events/" + eventId + "/stats", services.publisherKey);
            return stats.status() == 200 && stats.body().get("lastRevisionComplete").asLong() >= revision
                    && sum(stats.body().get("backlog")) == 0;
        });
        long jobs = expected.values().stream().flatMap(Set::stream)
                .mapToLong(id -> PEOPLE.get(id).channels().size()).sum();
        await(jobs + " jobs of revision " + revision, () -> of(eventId, revision).size() >= jobs);
        Thread.sleep(1_000); // anything extra (a duplicate) would arrive now
        List<Tap.Job> found = of(eventId, revision);

        Map<Change, Set<String>> actual = new TreeMap<>();
        for (Tap.Job job : found) {
            actual.computeIfAbsent(job.change(), c -> new HashSet<>()).add(job.subscriberId());
        }
        assertThat(actual).as("recipients per change of revision " + revision).isEqualTo(new TreeMap<>(expected));
        Map<String, List<Tap.Job>> perNotice = found.stream().collect(Collectors.groupingBy(
                j -> j.subscriberId() + "/" + j.channel() + "/" + j.change()));
        assertThat(perNotice.values()).as("one job per notice").allMatch(list -> list.size() == 1);
        assertThat(found.stream().map(Tap.Job::jobId).distinct().count()).isEqualTo(found.size());
        for (Tap.Job job : found) {
            assertThat(PEOPLE.get(job.subscriberId()).channels()).contains(job.channel().name());
        }
        assertThat(found).hasSize((int) jobs);
    }

    /**
     * The shell examples of docs/ that call the system (curl, Kafka's console producer), run after this class's
     * scenario (their events cover its citizens, who must not be told of them before it ends) on the same services:
     * each exits 0 and every curl in it is answered 2xx. What the prose asks the reader to fill in is filled in the
     * same way: the event id from the publication's answer, the subscriber's and channel's ids from the registration's,
     * the verification code from the SMS the local SMSC received.
     */
    @Test
    @Order(3)
    void everyExampleInTheDocsThatCallsTheSystemWorksAsWritten() throws Exception {
        importRegister();   // the districts' examples name Alessandria's "Orti"
        java.nio.file.Path root = java.nio.file.Path.of(System.getProperty("allerta.root", ".."));
        var examples = new DocsExamples(root.resolve("demo/target/docs-examples"), root, Map.of(
                "ALLERTA_PUBLISHER_ID", "e2e-publisher", "ALLERTA_PUBLISHER_KEY", services.publisherKey,
                "ALLERTA_PUBLISHER_SIGNING_SECRET", services.signingSecret, "ALLERTA_ADMIN_KEY", services.adminKey,
                "ALLERTA_APP_KEY", services.appKey))
                .rewrite("http://127.0.0.1:8081", at.intake()).rewrite("http://127.0.0.1:8082", at.matcher())
                .rewrite("http://127.0.0.1:8083", at.dispatcher()).rewrite("http://127.0.0.1:8084", at.sender())
                .rewrite("http://127.0.0.1:8089", at.peers())
                .rewrite("127.0.0.1:19092", org.allerta.testsupport.LocalKafka.shared().bootstrapServers());
        List<DocsExamples.Block> blocks = DocsExamples.blocks(root.resolve("docs")).stream()
                .filter(DocsExamples.Block::callsTheSystem).toList();
        assertThat(blocks).as("examples found in docs/").hasSizeGreaterThanOrEqualTo(10);
        boolean eventKnown = false;
        for (DocsExamples.Block block : blocks) {
            DocsExamples.Outcome outcome = examples.run(block);
            assertThat(outcome.exit()).as(outcome.toString()).isZero();
            int curls = block.text().split("curl ", -1).length - 1;
            assertThat(outcome.statuses()).as(outcome.toString()).hasSize(curls)
                    .allMatch(status -> status >= 200 && status < 300);
            java.util.regex.Matcher event = java.util.regex.Pattern.compile("\"eventId\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(outcome.output());
            if (!eventKnown && event.find()) {
                examples.variable("EVENT", event.group(1));
                eventKnown = true;
            }
            if (block.text().contains("/v1/subscribers -H")) {
                JsonNode subscriber = Json.mapper().readTree(outcome.output());
                JsonNode sms = null;
                for (JsonNode channel : subscriber.get("channels")) {
                    sms = "SMS".equals(channel.get("type").asText()) ? channel : sms;
                }
                assertThat(sms).as(outcome.output()).isNotNull();
                String number = sms.get("address").asText().replace("+", "");
                String[] code = new String[1];
                await("the verification code in the SMSC", () -> {
                    for (JsonNode message : API.get(at.peers() + "/sms", null).expect(200)) {
                        java.util.regex.Matcher digits = java.util.regex.Pattern.compile("\\b(\\d{6})\\b")
                                .matcher(message.path("text").asText());
                        if (message.get("destination").asText().replace("+", "").equals(number) && digits.find()) {
                            code[0] = digits.group(1);
                        }
                    }
                    return code[0] != null;
                });
                examples.variable("ID", subscriber.get("id").asText()).variable("CHANNEL", sms.get("id").asText())
                        .rewrite("\"code\": \"042137\"", "\"code\": \"" + code[0] + "\"");
            }
            if (block.text().contains("ConsoleProducer")) {
                await("the event the console producer wrote on intake.raw", () -> API.get(at.intake()
                        + "/v1/events", services.publisherKey).expect(200).toString().contains("OMS-2026-0043"));
            }
        }
        assertThat(eventKnown).as("an example publishes an event").isTrue();
    }

    private static List<Tap.Job> of(String eventId, long revision) {
        return services.tap().jobsOf(eventId).stream()
                .filter(j -> j.revision() != null && j.revision() == revision).toList();
    }

    /** The mailbox, the SMSC and the webhook peer received each job exactly once, and nothing else. */
    private static void peersReceivedEveryJobOnce(Set<String> events) throws Exception {
        // this test's peers received this test's events only (the topics may hold other tests' jobs)
        List<Tap.Job> all = events.stream().flatMap(e -> services.tap().jobsOf(e).stream()).toList();
        assertThat(all.stream().map(Tap.Job::jobId).distinct().count()).as("job ids on the topics")
                .isEqualTo(all.size());
        List<String> mailJobs = all.stream().filter(j -> j.channel().name().equals("EMAIL"))
                .map(Tap.Job::jobId).sorted().toList();
        List<String> smsTo = all.stream().filter(j -> j.channel().name().equals("SMS"))
                .map(j -> j.recipient().replace("+", "")).sorted().toList();
        List<String> pushJobs = all.stream().filter(j -> j.channel().name().equals("PUSH"))
                .map(Tap.Job::jobId).sorted().toList();
        await("the peers to receive every job", () -> {
            JsonNode counts = API.get(services.peersUrl() + "/counts", null).expect(200);
            return counts.get("mail").asLong() >= mailJobs.size() && counts.get("sms").asLong() >= smsTo.size()
                    && counts.path("webhook").path("push").asLong() >= pushJobs.size();
        });
        Thread.sleep(1_000);
        List<String> mailbox = new ArrayList<>();
        API.get(services.peersUrl() + "/mail", null).expect(200).forEach(m -> mailbox.add(m.path("jobId").asText()));
        List<String> smsc = new ArrayList<>();
        API.get(services.peersUrl() + "/sms", null).expect(200).forEach(m -> smsc.add(m.get("destination").asText()));
        List<String> hooks = new ArrayList<>();
        API.get(services.peersUrl() + "/webhook", null).expect(200)
                .forEach(h -> hooks.add(h.path("body").path("jobId").asText()));
        assertThat(mailbox.stream().sorted().toList()).as("e-mails received, by job id").isEqualTo(mailJobs);
        assertThat(smsc.stream().sorted().toList()).as("SMS received, by destination").isEqualTo(smsTo);
        assertThat(hooks.stream().sorted().toList()).as("push requests received, by job id").isEqualTo(pushJobs);
    }

    private static long sum(JsonNode map) {
        long total = 0;
        for (JsonNode v : map) {
            total += v.asLong();
        }
        return total;
    }

    private static void await(String what, PackagedServices.Condition condition) throws Exception {
        services.await(what, STEP_TIMEOUT, condition);
    }
}
