package org.allerta.demo;

import static org.assertj.core.api.Assertions.assertThat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.testsupport.FuzzBodies;
import org.allerta.testsupport.LocalKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Privacy and security over the running system (the four packaged services, the real broker and PostGIS, the local
 * peers): the demo scenario leaves no personal data where it does not belong; each key opens only its own doors;
 * random, truncated and mutated input on every public endpoint of every service never gets a 5xx, never leaves an
 * error in a log, never stops a consumer.
 */
@Order(2)   // the order of the system test classes: see junit-platform.properties
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityTest {

    private static final int CITIZENS = 300;
    private static final long SEED = 2026;
    private static final Path ROOT = Path.of(System.getProperty("allerta.root", ".."));
    private static final Path REGISTER = ROOT.resolve("data/italy/alessandria-numeri-civici-EPSG3003.csv");
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private static PackagedServices services;
    private static Api.Endpoints at;
    private static final Api API = new Api();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        services = new PackagedServices();
        services.startAll();
        at = services.endpoints();
        services.importRegister();
    }

    @AfterAll
    static void stop() throws Exception {
        if (services != null) {
            services.close();
        }
    }

    // ---------------------------------------------------------------- personal data

    @Test
    @Order(1)
    void theDemoScenarioLeavesNoPersonalDataOnTheTopicsNorInTheLogs() throws Exception {
        var options = new Demo.Options(REGISTER, "Alessandria", CITIZENS, SEED, "Orti", "Galimberti", "Cristo",
                "Spinetta Marengo");
        // only what this scenario wrote is read back (other tests of the run share the broker)
        Map<TopicPartition, Long> before = endOffsets();
        assertThat(new Demo(at, services.publisherKey, services.adminKey, options).run())
                .as("the demo's own checks: statistics agree with what the peers received").isTrue();

        // what the citizens told the city: names, contacts (phone numbers also without their +), written addresses
        var register = Citizens.register(REGISTER);
        var citizens = Citizens.generate(register, "Alessandria", CITIZENS, SEED, "Orti", 0.30, "Galimberti", 0.12,
                "consent", ZonedDateTime.now(Citizens.zone()));
        // a name that is also part of a street's ("Paolo Rossi" of Via Paolo Rossi In San Giuliano Nuovo) says
        // nothing when it appears in an address: it is left out of the scan
        Set<String> streets = new java.util.HashSet<>();
        register.values().forEach(list -> list.forEach(a -> streets.add(a.street().toLowerCase(Locale.ROOT))));
        Set<String> names = new LinkedHashSet<>();
        Set<String> contacts = new LinkedHashSet<>();
        Set<String> addresses = new LinkedHashSet<>();
        Set<String> labels = new LinkedHashSet<>();
        for (var citizen : citizens) {
            String name = citizen.registration().get("name").asText();
            if (streets.stream().noneMatch(street -> street.contains(name.toLowerCase(Locale.ROOT)))) {
                names.add(name);
            }
            citizen.registration().get("channels").forEach(c -> contacts.add(c.get("address").asText()
                    .replace("+", "")));
            citizen.registration().get("places").forEach(p -> addresses.add(p.get("address").asText()));
            citizen.registration().get("places").forEach(p -> {
                if ("SCHOOL".equals(p.get("category").asText())) {
                    labels.add(p.get("label").asText());   // "Scuola di Tommaso": the parent's words
                }
            });
        }
        Set<String> keys = Set.of(services.adminKey, services.appKey, services.publisherKey);

        Map<String, String> topics = everyTopic(before);
        String jobs = topics.entrySet().stream().filter(e -> e.getKey().startsWith(Topics.JOBS_PREFIX))
                .map(Map.Entry::getValue).reduce("", String::concat);
        // the scan finds them where they belong: the jobs the sender delivers, the places the matcher geocodes
        assertThat(found(jobs, names)).as("names in the rendered jobs").isNotEmpty();
        assertThat(found(jobs, contacts)).as("contacts as the jobs' recipients").isNotEmpty();
        assertThat(found(topics.get(Topics.SUBSCRIBERS_PLACES), addresses)).as("addresses on subscribers.places")
                .isNotEmpty();

        Map<String, List<String>> leaks = new TreeMap<>();
        for (var topic : topics.entrySet()) {
            if (topic.getKey().startsWith(Topics.JOBS_PREFIX)) {
                continue;
            }
            List<String> here = new ArrayList<>();
            here.addAll(foundIgnoringCase(topic.getValue(), names));
            here.addAll(found(topic.getValue(), contacts));
            here.addAll(foundIgnoringCase(topic.getValue(), labels));
            if (!topic.getKey().equals(Topics.SUBSCRIBERS_PLACES)) {
                here.addAll(found(topic.getValue(), addresses));
            }
            if (topic.getValue().contains("\"label\"")) {
                here.add("a \"label\" field");
            }
            if (!here.isEmpty()) {
                leaks.put("topic " + topic.getKey(), here);
            }
        }
        for (String service : PackagedServices.SERVICES) {
            String log = Files.readString(services.log(service), StandardCharsets.UTF_8);
            List<String> here = new ArrayList<>();
            here.addAll(foundIgnoringCase(log, names));
            here.addAll(found(log, contacts));
            here.addAll(found(log, addresses));
            here.addAll(foundIgnoringCase(log, labels));
            here.addAll(found(log, keys).stream().map(k -> "an API key").toList());
            if (!here.isEmpty()) {
                leaks.put("log of " + service, here);
            }
        }
        assertThat(labels).as("the scenario's parents named their children's schools").isNotEmpty();
        assertThat(leaks).as("personal data or keys where they do not belong").isEmpty();
    }

    /** The second publisher's key, created by {@link #eachKeyOpensOnlyItsOwnDoors}. */
    private static volatile String otherPublisherKey;

    /**
     * After the doors and the fuzzer, which send every key to the wrong places and registrations full of personal
     * data: no log holds a key, nor the name or number the fuzzer registered.
     */
    @Test
    @Order(4)
    void afterTheDoorsAndTheFuzzerNoLogHoldsAKeyOrTheirPersonalData() throws Exception {
        var secrets = new LinkedHashSet<>(List.of(services.adminKey, services.appKey, services.publisherKey));
        if (otherPublisherKey != null) {
            secrets.add(otherPublisherKey);
        }
        Set<String> personal = Set.of("Prova Fuzz", "393005599999");
        Map<String, List<String>> leaks = new TreeMap<>();
        for (String service : PackagedServices.SERVICES) {
            String log = Files.readString(services.log(service), StandardCharsets.UTF_8);
            List<String> here = new ArrayList<>(found(log, secrets).stream().map(k -> "an API key").toList());
            here.addAll(found(log, personal));
            if (!here.isEmpty()) {
                leaks.put("log of " + service, here);
            }
        }
        assertThat(leaks).as("keys or personal data in a log").isEmpty();

        // keys are stored as hashes: no table of any service holds one as it was issued
        var stored = new ArrayList<String>();
        try (var c = org.allerta.testsupport.LocalPostgis.shared().connect()) {
            var tables = new ArrayList<String>();
            try (var s = c.createStatement(); var rows = s.executeQuery("""
                    SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
                    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema',
                        'public', 'topology', 'tiger', 'tiger_data')""")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            assertThat(tables).as("the services' tables").hasSizeGreaterThan(10);
            for (String table : tables) {
                for (String secret : secrets) {
                    try (var s = c.prepareStatement(
                            "SELECT count(*) FROM " + table + " t WHERE strpos(t::text, ?) > 0")) {
                        s.setString(1, secret);
                        try (var rows = s.executeQuery()) {
                            rows.next();
                            if (rows.getLong(1) > 0) {
                                stored.add(table);
                            }
                        }
                    }
                }
            }
        }
        assertThat(stored).as("tables holding an API key as issued").isEmpty();
    }

    private static List<String> found(String text, Set<String> values) {
        return text == null ? List.of() : values.stream().filter(text::contains).limit(5).toList();
    }

    /** Names and labels also in another case ("GIULIA ROSSI" in a normalised form, "giulia rossi" in a key). */
    private static List<String> foundIgnoringCase(String text, Set<String> values) {
        if (text == null) {
            return List.of();
        }
        String lower = text.toLowerCase(Locale.ROOT);
        return values.stream().filter(v -> lower.contains(v.toLowerCase(Locale.ROOT))).limit(5).toList();
    }

    /** Where every partition of every topic ends now. */
    private static Map<TopicPartition, Long> endOffsets() throws Exception {
        try (var consumer = consumer()) {
            return consumer.endOffsets(partitions(consumer));
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                LocalKafka.shared().bootstrapServers(), ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer) throws Exception {
        Set<String> names;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                LocalKafka.shared().bootstrapServers()))) {
            names = admin.listTopics().names().get();
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : names) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        return partitions;
    }

    /** Every record of every topic written after {@code from} (keys and values as text), per topic. */
    private static Map<String, String> everyTopic(Map<TopicPartition, Long> from) throws Exception {
        Map<String, StringBuilder> text = new HashMap<>();
        try (var consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer);
            consumer.assign(partitions);
            for (TopicPartition p : partitions) {
                consumer.seek(p, from.getOrDefault(p, 0L));
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.nanoTime()).as("reading every topic").isLessThan(deadline);
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    StringBuilder b = text.computeIfAbsent(r.topic(), t -> new StringBuilder());
                    if (r.key() != null) {
                        b.append(new String(r.key(), StandardCharsets.UTF_8)).append('\t');
                    }
                    if (r.value() != null) {
                        b.append(new String(r.value(), StandardCharsets.UTF_8));
                    }
                    b.append('\n');
                }
            }
        }
        Map<String, String> topics = new TreeMap<>();
        text.forEach((topic, b) -> topics.put(topic, b.toString()));
        return topics;
    }

    // ---------------------------------------------------------------- keys

    @Test
    @Order(2)
    void eachKeyOpensOnlyItsOwnDoors() throws Exception {
        String admin = services.adminKey;
        String app = services.appKey;
        String publisher = services.publisherKey;
        String stranger = "not-a-key-" + UUID.randomUUID();

        // a second publisher, created by the admin: its key is shown once
        ObjectNode spec = Json.mapper().createObjectNode().put("publisherId", "other-" + UUID.randomUUID()
                .toString().substring(0, 8)).put("name", "Acquedotto di prova").put("areaLimitKm2", 50.0);
        spec.putArray("allowedKinds").add("WATER_OUTAGE");
        String other = API.postJson(at.intake() + "/v1/admin/publishers", admin, spec).expect(201).get("apiKey")
                .asText();
        otherPublisherKey = other;

        String event = API.post(at.intake() + "/v1/events", publisher, "application/geo+json", outage("keys"))
                .expect(202).get("eventId").asText();
        String subscriber = API.postJson(at.dispatcher() + "/v1/subscribers", app, registration("keys"))
                .expect(201).get("id").asText();
        services.await("the dispatcher to know the event and the second publisher", TIMEOUT, () ->
                API.get(at.dispatcher() + "/v1/events/" + event + "/stats", publisher).status() == 200
                        && API.get(at.dispatcher() + "/v1/events/" + event + "/stats", other).status() == 404);

        record Door(String what, String method, String url, String contentType, String body) {
        }
        String intake = at.intake();
        String dispatcher = at.dispatcher();
        String matcher = at.matcher();
        List<Door> publishing = List.of(
                new Door("publish an event", "POST", intake + "/v1/events", "application/geo+json", outage("k2")),
                new Door("publish CAP", "POST", intake + "/v1/cap", "application/cap+xml", cap()),
                new Door("define a zone", "PUT", intake + "/v1/zones/k-zone", "application/geo+json",
                        outage("k3").replace("\"publisherEventId\":\"k3\"", "\"name\":\"Zona\"")));
        List<Door> registry = List.of(
                new Door("register a subscriber", "POST", dispatcher + "/v1/subscribers", "application/json",
                        Json.toString(registration("k4"))),
                new Door("read a subscriber", "GET", dispatcher + "/v1/subscribers/" + subscriber, null, null),
                new Door("find a subscriber", "GET", dispatcher + "/v1/subscribers?externalId=keys", null, null),
                new Door("change a subscriber", "PUT", dispatcher + "/v1/subscribers/" + subscriber,
                        "application/json", Json.toString(registration("keys"))),
                new Door("erase a subscriber", "DELETE", dispatcher + "/v1/subscribers/" + subscriber, null, null),
                new Door("the registry summary", "GET", dispatcher + "/v1/subscribers/summary", null, null));
        List<Door> administration = List.of(
                new Door("list publishers", "GET", intake + "/v1/admin/publishers", null, null),
                new Door("create a publisher", "POST", intake + "/v1/admin/publishers", "application/json",
                        Json.toString(spec.put("publisherId", "x-" + UUID.randomUUID().toString().substring(0, 8)))),
                new Door("import a gazetteer", "POST", matcher + "/v1/gazetteer?format=openaddresses&srid=4326"
                        + "&source=keys&city=Prova", "text/csv", "lon,lat,number,street,unit,city,district,region,"
                        + "postcode\n12.5,41.9,1,Via Prova,,Prova,,,00100\n"),
                new Door("bulk registration", "POST", dispatcher + "/v1/subscribers/import", "text/csv",
                        "externalId,name,language,sms,email,push,lon,lat,interests,consentSource\n"));

        List<String> wrong = new ArrayList<>();
        // nobody without a key, or with a key nobody issued
        for (Door door : concat(publishing, registry, administration)) {
            for (String key : new String[] {null, stranger}) {
                expectRefused(wrong, door.what() + (key == null ? " without a key" : " with an unknown key"),
                        call(door.method(), door.url(), door.contentType(), door.body(), key), 401);
            }
        }
        // the admin and the app key never publish
        for (Door door : publishing) {
            expectRefused(wrong, door.what() + " with the admin key", call(door.method(), door.url(),
                    door.contentType(), door.body(), admin), 403);
            expectRefused(wrong, door.what() + " with the app key", call(door.method(), door.url(),
                    door.contentType(), door.body(), app), 401, 403);
        }
        // a publisher never touches the registry, nor administers
        for (Door door : concat(registry, administration, List.of())) {
            expectRefused(wrong, door.what() + " with a publisher's key", call(door.method(), door.url(),
                    door.contentType(), door.body(), publisher), 401, 403);
        }
        // the app key does not administer publishers
        expectRefused(wrong, "create a publisher with the app key", call("POST", intake + "/v1/admin/publishers",
                "application/json", Json.toString(spec), app), 401, 403);
        // a publisher reads its own events and statistics, never another's
        expectRefused(wrong, "another publisher reads the event", call("GET", intake + "/v1/events/" + event, null,
                null, other), 404);
        expectRefused(wrong, "another publisher reads the statistics", call("GET", dispatcher + "/v1/events/"
                + event + "/stats", null, null, other), 404);
        expectRefused(wrong, "the app key reads the statistics", call("GET", dispatcher + "/v1/events/" + event
                + "/stats", null, null, app), 401, 403);
        assertThat(wrong).as("doors that opened to the wrong key").isEmpty();

        // and the right keys still open every one of them: nothing above was refused for a reason other than the
        // key (the erasure last, since it ends the subscriber the other registry doors use)
        assertThat(call("GET", intake + "/v1/events/" + event, null, null, publisher).statusCode()).isEqualTo(200);
        List<String> shut = new ArrayList<>();
        for (Door door : publishing) {
            opens(shut, door.what() + " with the publisher's key", call(door.method(), door.url(),
                    door.contentType(), door.body(), publisher));
        }
        for (Door door : registry) {
            if (!"DELETE".equals(door.method())) {
                opens(shut, door.what() + " with the admin key", call(door.method(), door.url(),
                        door.contentType(), door.body(), admin));
            }
        }
        for (Door door : administration) {
            opens(shut, door.what() + " with the admin key", call(door.method(), door.url(), door.contentType(),
                    door.body(), admin));
        }
        for (Door door : registry) {
            if ("DELETE".equals(door.method())) {
                opens(shut, door.what() + " with the app key", call(door.method(), door.url(), door.contentType(),
                        door.body(), app));
            }
        }
        assertThat(shut).as("doors that did not open to the right key").isEmpty();
    }

    private static void opens(List<String> shut, String what, HttpResponse<String> answer) {
        if (answer.statusCode() < 200 || answer.statusCode() > 299) {
            shut.add(what + ": HTTP " + answer.statusCode() + " " + answer.body());
        }
    }

    @SafeVarargs
    private static <T> List<T> concat(List<T>... lists) {
        List<T> all = new ArrayList<>();
        for (List<T> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    private static void expectRefused(List<String> wrong, String what, HttpResponse<String> answer,
                                      int... statuses) {
        boolean expected = false;
        for (int s : statuses) {
            expected |= answer.statusCode() == s;
        }
        if (!expected || !answer.headers().firstValue("Content-Type").orElse("").contains("problem+json")) {
            wrong.add(what + ": HTTP " + answer.statusCode() + " " + answer.body());
        }
    }

    // ---------------------------------------------------------------- fuzzing

    private static final int CASES_PER_TARGET = 110;

    /** A public endpoint and a valid request to it: either a body to mutate, or the value of {@code {}} in the URL. */
    private record Target(String method, String url, String contentType, String key, String valid,
                          boolean bodyIsFuzzed) {
    }

    @Test
    @Order(3)
    void randomTruncatedAndMutatedInputOnEveryEndpointGetsNo5xxNoLoggedErrorAndStopsNoConsumer() throws Exception {
        String admin = services.adminKey;
        String app = services.appKey;
        String publisher = services.publisherKey;
        String event = API.post(at.intake() + "/v1/events", publisher, "application/geo+json", outage("fuzz-base"))
                .expect(202).get("eventId").asText();
        JsonNode subscriber = API.postJson(at.dispatcher() + "/v1/subscribers", app, registration("fuzz-base"))
                .expect(201);
        String subscriberId = subscriber.get("id").asText();
        String channelId = subscriber.get("channels").get(0).get("id").asText();
        // targets of their own for the doors that change or end something: a publisher, a person to erase
        String fuzzPublisher = "fuzz-" + UUID.randomUUID().toString().substring(0, 8);
        API.postJson(at.intake() + "/v1/admin/publishers", admin, (ObjectNode) Json.mapper().readTree(
                "{\"publisherId\":\"" + fuzzPublisher + "\",\"name\":\"Fuzz\",\"allowedKinds\":[\"GAS_OUTAGE\"]}"))
                .expect(201);
        // and one to revoke: the unmutated request revokes it, the mutated ones name nobody
        String revoked = "fuzz-revoked-" + UUID.randomUUID().toString().substring(0, 8);
        API.postJson(at.intake() + "/v1/admin/publishers", admin, (ObjectNode) Json.mapper().readTree(
                "{\"publisherId\":\"" + revoked + "\",\"name\":\"Fuzz\",\"allowedKinds\":[\"GAS_OUTAGE\"]}"))
                .expect(201);
        String erased = API.postJson(at.dispatcher() + "/v1/subscribers", app, registration("fuzz-erase"))
                .expect(201).get("id").asText();
        String zone = outage("fuzz").replace("\"publisherEventId\":\"fuzz\"", "\"name\":\"Zona\"");
        String intake = at.intake();
        String matcher = at.matcher();
        String dispatcher = at.dispatcher();
        String sender = at.sender();
        String token = "AAAAAAAAAAAAAAAAAAAAAA";
        List<Target> targets = List.of(
                // alert-intake
                body("POST", intake + "/v1/events", "application/geo+json", publisher, outage("fuzz")),
                body("POST", intake + "/v1/cap", "application/cap+xml", publisher, cap()),
                body("PUT", intake + "/v1/zones/fuzz-zone", "application/geo+json", publisher,
                        outage("fuzz").replace("\"publisherEventId\":\"fuzz\"", "\"name\":\"Zona\"")),
                body("POST", intake + "/v1/zones/fuzz-zone/status", "application/json", publisher,
                        "{\"status\":\"IN_PROGRESS\",\"note\":\"ok\",\"expectedAt\":\"2026-11-28T12:00:00+01:00\"}"),
                body("POST", intake + "/v1/admin/publishers", "application/json", admin,
                        "{\"name\":\"F\",\"allowedKinds\":[\"POWER_OUTAGE\"],\"areaLimitKm2\":10}"),
                url("GET", intake + "/v1/events?status={}&kind=POWER_OUTAGE", publisher, "ACTIVE"),
                url("GET", intake + "/v1/events/{}", publisher, event),
                url("GET", intake + "/v1/admin/publishers/{}", admin, "e2e-publisher"),
                body("POST", intake + "/v1/zones", "application/geo+json", publisher,
                        "{\"type\":\"FeatureCollection\",\"features\":[" + zone.replaceFirst("\\{",
                                "{\"id\":\"fuzz-zone-2\",") + "]}"),
                body("PUT", intake + "/v1/admin/publishers/" + fuzzPublisher, "application/json", admin,
                        "{\"name\":\"Fuzz 2\",\"allowedKinds\":[\"GAS_OUTAGE\"],\"areaLimitKm2\":20,"
                                + "\"testMode\":true}"),
                url("POST", intake + "/v1/admin/publishers/{}/key", admin, fuzzPublisher),
                url("POST", intake + "/v1/admin/publishers/{}/signing-secret", admin, fuzzPublisher),
                url("DELETE", intake + "/v1/admin/publishers/{}", admin, revoked),
                url("GET", intake + "/v1/events?page={}&size=10", publisher, "0"),
                url("GET", intake + "/v1/events?page=0&size={}", publisher, "10"),
                // geo-matcher
                body("POST", matcher + "/v1/gazetteer?format=openaddresses&srid=4326&source=fuzz&city=Prova",
                        "text/csv", admin, "lon,lat,number,street,unit,city,district,region,postcode\n"
                                + "12.5,41.9,1,Via Prova,,Prova,Centro,,00100\n12.5,41.9,2B,Via Prova,,Prova,,,\n"),
                body("POST", matcher + "/v1/gazetteer?format=civici&srid=3003&source=fuzz2&city=Prova", "text/csv",
                        admin, firstLines(REGISTER, 4)),
                body("POST", matcher + "/v1/reach", "application/json", publisher,
                        "{\"kind\":\"POWER_OUTAGE\",\"severity\":\"MODERATE\",\"geometry\":" + square(8.61, 44.91)
                                + "}"),
                url("GET", matcher + "/v1/geocode?q={}", app, "V. Dazio 90/H, Alessandria"),
                url("GET", matcher + "/v1/gazetteer/districts/{}/area?bufferMetres=50", publisher, "Orti"),
                url("GET", matcher + "/v1/gazetteer/districts/Orti/area?bufferMetres={}", publisher, "50"),
                url("GET", matcher + "/v1/gazetteer/districts/Orti/area?city={}", publisher, "Alessandria"),
                csvUrl(matcher + "/v1/gazetteer?format={}&srid=4326&source=fuzz3", admin, "openaddresses"),
                csvUrl(matcher + "/v1/gazetteer?format=openaddresses&srid={}&source=fuzz3", admin, "4326"),
                csvUrl(matcher + "/v1/gazetteer?format=openaddresses&srid=4326&source={}", admin, "fuzz3"),
                // dispatcher
                body("POST", dispatcher + "/v1/subscribers", "application/json", app,
                        Json.toString(registration("fuzz"))),
                body("PUT", dispatcher + "/v1/subscribers/" + subscriberId, "application/json", app,
                        Json.toString(registration("fuzz-base"))),
                body("POST", dispatcher + "/v1/subscribers/" + subscriberId + "/channels/" + channelId + "/verify",
                        "application/json", app, "{\"code\":\"123456\"}"),
                body("POST", dispatcher + "/v1/subscribers/import", "text/csv", admin,
                        "externalId,name,language,sms,email,push,lon,lat,interests,consentSource\n"
                                + "fz-1,Prova,it,+393005512345,,,12.5,41.9,POWER_OUTAGE,fuzz\n"),
                url("GET", dispatcher + "/v1/subscribers?externalId={}", app, "fuzz-base"),
                url("GET", dispatcher + "/v1/subscribers/{}", app, subscriberId),
                url("POST", dispatcher + "/v1/subscribers/" + subscriberId + "/channels/{}/code", app, channelId),
                url("DELETE", dispatcher + "/v1/subscribers/{}", app, erased),
                url("GET", dispatcher + "/v1/events/{}/stats", publisher, event),
                url("GET", dispatcher + "/r/{}", null, token),
                url("GET", dispatcher + "/o/{}.gif", null, token),
                url("GET", dispatcher + "/u/{}", null, token),
                body("POST", dispatcher + "/u/" + token, "application/x-www-form-urlencoded", null,
                        "List-Unsubscribe=One-Click"),
                url("POST", dispatcher + "/u/{}", null, token),
                url("GET", dispatcher + "/e/{}", null, event),
                // notification-sender (callbacks are signed: the fuzzer signs what it sends)
                body("POST", sender + "/v1/callbacks/push", "application/json", null,
                        "{\"jobId\":\"" + UUID.randomUUID() + "\",\"status\":\"DELIVERED\"}"),
                url("POST", sender + "/v1/callbacks/{}", null, "whatsapp"));

        long[] logFrom = new long[PackagedServices.SERVICES.size()];
        for (int i = 0; i < logFrom.length; i++) {
            logFrom[i] = Files.size(services.log(PackagedServices.SERVICES.get(i)));
        }
        Random random = new Random(20261128);
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (Target target : targets) {
            for (int i = 0; i < CASES_PER_TARGET; i++) {
                byte[] mutated = FuzzBodies.mutate(target.valid().getBytes(StandardCharsets.UTF_8), random);
                HttpResponse<String> answer = target.bodyIsFuzzed()
                        ? send(target.method(), target.url(), target.contentType(), mutated, target.key())
                        : send(target.method(), target.url().replace("{}", URLEncoder.encode(
                                new String(mutated, StandardCharsets.UTF_8), StandardCharsets.UTF_8)),
                                target.contentType() == null ? "application/json" : target.contentType(),
                                new byte[0], target.key());
                cases++;
                statuses.merge(answer.statusCode(), 1, Integer::sum);
                if (answer.statusCode() >= 500) {
                    failures.add(target.method() + " " + target.url() + " -> " + answer.statusCode() + " "
                            + answer.body() + " for " + new String(mutated, StandardCharsets.UTF_8));
                }
            }
        }
        System.out.printf(Locale.ROOT, "fuzzing: %,d cases on %d endpoints of 4 services, answers %s%n", cases,
                targets.size(), statuses);
        assertThat(failures).as("5xx answers").isEmpty();
        assertThat(statuses.keySet()).as("specific answers, not one catch-all").contains(400, 404, 422);

        // no consumer stopped: a new event still reaches its citizen
        String citizen = API.postJson(at.dispatcher() + "/v1/subscribers", admin, verifiedRegistration())
                .expect(201).get("id").asText();
        services.await("the citizen's place to be geocoded", TIMEOUT, () -> API.get(at.dispatcher()
                + "/v1/subscribers/" + citizen, admin).expect(200).path("places").get(0).path("geocoding")
                .path("status").asText().equals("POINT_GIVEN"));
        String after = API.post(at.intake() + "/v1/events", publisher, "application/geo+json",
                outage("after-fuzz-" + UUID.randomUUID())).expect(202).get("eventId").asText();
        services.await("the citizen's notice after the fuzzing", TIMEOUT, () -> services.tap().jobsOf(after).stream()
                .map(Tap.Job::subscriberId).anyMatch(citizen::equals));

        // and no service logged an error or a stack trace while being fuzzed
        Pattern error = Pattern.compile("^\\S+ \\S+ (ERROR|FATAL) |^\\s+at [a-z]|Exception:|^Caused by",
                Pattern.MULTILINE);
        for (int i = 0; i < logFrom.length; i++) {
            String service = PackagedServices.SERVICES.get(i);
            byte[] all = Files.readAllBytes(services.log(service));
            String fresh = new String(all, (int) logFrom[i], all.length - (int) logFrom[i], StandardCharsets.UTF_8);
            var m = error.matcher(fresh);
            if (m.find()) {
                int from = fresh.lastIndexOf('\n', m.start()) + 1;
                failures.add(service + " logged: " + fresh.substring(from, Math.min(fresh.length(), from + 800)));
            }
        }
        assertThat(failures).as("errors logged while fuzzing").isEmpty();
    }

    private static Target body(String method, String url, String contentType, String key, String valid) {
        return new Target(method, url, contentType, key, valid, true);
    }

    private static Target url(String method, String url, String key, String valid) {
        return new Target(method, url, null, key, valid, false);
    }

    /** A gazetteer import whose query is fuzzed, its (empty) body sent as the CSV the door expects. */
    private static Target csvUrl(String url, String key, String valid) {
        return new Target("POST", url, "text/csv", key, valid, false);
    }

    private static HttpResponse<String> send(String method, String url, String contentType, byte[] body,
                                             String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (url.contains("/v1/callbacks/")) {
            long t = java.time.Instant.now().getEpochSecond();
            request.header("X-Allerta-Signature", "t=" + t + ",sha256="
                    + java.util.HexFormat.of().formatHex(hmac(t, body)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> call(String method, String url, String contentType, String body,
                                             String key) throws Exception {
        return send(method, url, contentType, body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
                key);
    }

    private static byte[] hmac(long t, byte[] body) throws Exception {
        var mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(services.webhookSecret.getBytes(StandardCharsets.UTF_8),
                "HmacSHA256"));
        mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
        return mac.doFinal(body);
    }

    // ---------------------------------------------------------------- inputs

    /** A small outage far from every test citizen (a square of about 100 m near Rome). */
    private static String outage(String publisherEventId) {
        return TestEvents.outage(publisherEventId, square(12.5, 41.9));
    }

    private static String square(double lon, double lat) {
        return TestEvents.rectangle(lon, lat, lon + 0.001, lat + 0.001);
    }

    private static String cap() {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
                + "<identifier>F-" + UUID.randomUUID() + "</identifier><sender>s@example.org</sender>"
                + "<sent>2026-11-28T08:00:00+01:00</sent><status>Actual</status><msgType>Alert</msgType>"
                + "<scope>Public</scope><info><category>Met</category><event>Neve</event><urgency>Expected</urgency>"
                + "<severity>Moderate</severity><certainty>Likely</certainty><headline>Neve</headline><area>"
                + "<areaDesc>C</areaDesc><polygon>41.900,12.500 41.900,12.501 41.901,12.501 41.900,12.500</polygon>"
                + "</area></info></alert>";
    }

    /** A citizen of the app near Rome, with one SMS channel awaiting verification. */
    private static ObjectNode registration(String externalId) {
        ObjectNode body = Json.mapper().createObjectNode().put("externalId", externalId).put("name", "Prova Fuzz")
                .put("language", "it");
        body.putArray("channels").addObject().put("type", "SMS").put("address", "+393005599999");
        body.putArray("places").addObject().put("category", "HOME").put("lon", 12.5005).put("lat", 41.9005);
        body.putArray("interests").add("POWER_OUTAGE");
        return body;
    }

    /** The same, registered by the admin with a verified channel, so that it is notified. */
    private static ObjectNode verifiedRegistration() {
        ObjectNode body = registration("after-fuzz-" + UUID.randomUUID());
        ((ObjectNode) body.get("channels").get(0)).put("verified", true).put("consentSource", "security test");
        return body;
    }

    private static String firstLines(Path file, int lines) throws Exception {
        try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                String line = reader.readLine();
                if (line == null) {
                    break;
                }
                b.append(line).append('\n');
            }
            return b.toString();
        }
    }
}
