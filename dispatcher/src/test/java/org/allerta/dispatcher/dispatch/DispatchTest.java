package org.allerta.dispatcher.dispatch;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStats;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.MatchProgress;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.ProgressPhase;
import org.allerta.contracts.Publisher;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Topics;
import org.allerta.contracts.Urgency;
import org.allerta.contracts.rules.JobIds;
import org.allerta.dispatcher.TestClock;
import org.allerta.service.ApiKeys;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decision rules, the ledger and the jobs, fed through alerts.events and alerts.matches on the real broker. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class DispatchTest {

    static final String ADMIN = "Bearer test-admin-key";

    @Inject
    TestClock clock;

    @Inject
    MatchDispatcher dispatcher;

    @Inject
    org.allerta.dispatcher.tracking.Tokens tokens;

    /** A notice's job id as the dispatcher makes it: rule 6's name-based id under the service's key. */
    private String notice(String eventId, String subscriberId, Change change, long revision, Channel channel) {
        return tokens.keyedJobId(JobIds.notice(eventId, subscriberId, change, revision, channel));
    }

    private String notice(String eventId, String subscriberId, Change change, long revision, Channel channel,
                          int stay) {
        return tokens.keyedJobId(JobIds.notice(eventId, subscriberId, change, revision, channel, stay));
    }

    @Inject
    org.allerta.dispatcher.events.StatsService stats;

    @Inject
    AgroalDataSource db;

    @AfterEach
    void cardsMatchTheirRows() throws Exception {
        org.allerta.dispatcher.registry.CardsCheck.cardsMatchTheirRows(db);
    }

    private final String run = UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    /** A registered person with admin-verified channels; returns the subscriber and place ids. */
    record Person(String id, List<String> places) {
    }

    private Person person(String name, String language, String channels, String interests, String quiet) {
        JsonPath created = given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("""
                {"name": "%s", "language": "%s", "channels": [%s],
                 "places": [{"label": "Casa", "category": "HOME", "address": "Via Dazio 90/H"}],
                 "interests": [%s] %s}""".formatted(name, language, channels, interests,
                quiet == null ? "" : ", \"quietHours\": " + quiet))
                .post("/v1/subscribers").then().statusCode(201).extract().jsonPath();
        return new Person(created.getString("id"), created.getList("places.id"));
    }

    /** Quiet hours every night, 22:00 to 07:00 in Rome. */
    private static final String NIGHTS = "{\"from\": \"22:00\", \"to\": \"07:00\", \"zone\": \"Europe/Rome\"}";

    /** A person with quiet hours every night, following power outages, on one verified SMS channel. */
    private Person nightOwl(String name, String language, String number) {
        return person(name, language, sms(number, null), "\"POWER_OUTAGE\"", NIGHTS);
    }

    private static String sms(String number, String kinds) {
        return """
                {"type": "SMS", "address": "%s", "verified": true, "consentSource": "test"%s}"""
                .formatted(number, kinds == null ? "" : ", \"kinds\": [" + kinds + "]");
    }

    private static String email(String address) {
        return """
                {"type": "EMAIL", "address": "%s", "verified": true, "consentSource": "test"}""".formatted(address);
    }

    private static AlertEvent event(String id, long revision, EventKind kind, EventStatus status, Severity severity,
                                    Urgency urgency, boolean test, Instant restoration) {
        return new AlertEvent(id, revision, "pub-dispatch", "oms-" + id, kind, status, severity, urgency, test, null,
                "Quartiere Cristo", Map.of("it", "Guasto", "en", "Fault"), Map.of(), Instant.now(), restoration,
                null, Instant.now(), Instant.now(), List.of(), null);
    }

    private static AlertEvent event(String id, long revision, EventKind kind, EventStatus status) {
        return event(id, revision, kind, status, Severity.MODERATE, Urgency.EXPECTED, false, null);
    }

    private static void publish(AlertEvent event) throws Exception {
        TopicWriter.send(Topics.ALERTS_EVENTS, event.eventId(), Json.toBytes(event));
    }

    private static void match(String eventId, long revision, Person person, Change change) throws Exception {
        TopicWriter.send(Topics.ALERTS_MATCHES, person.id(), Json.toBytes(new MatchChange(eventId, revision,
                person.id(), change, person.places(), false, Instant.now())));
    }

    private String id(String name) {
        return name + "-" + run;
    }

    /**
     * Every job of these subscribers on every channel: once at least {@code atLeast} are there (or after 30 s, with
     * what there is), and a second and a half more (two and a half expecting none), in which a job too many (a
     * duplicate) would arrive.
     */
    private static List<NotificationJob> jobs(Set<String> subscribers, int atLeast) {
        // the bulk and the urgent topic of each channel (prioritised people and emergencies go on the latter)
        try (var reader = new TopicReader(List.of(Channel.SMS.jobsTopic(), Channel.SMS.urgentJobsTopic(),
                Channel.EMAIL.jobsTopic(), Channel.EMAIL.urgentJobsTopic()))) {
            java.util.function.Predicate<ConsumerRecord<String, byte[]>> ours = r -> subscribers.contains(r.key())
                    && Json.fromBytes(r.value(), NotificationJob.class).eventId() != null;
            try {
                reader.await(ours, atLeast, Duration.ofSeconds(30));
            } catch (AssertionError fewer) {
                // the caller's assertion says what is missing
            }
            // expecting none, the window is the longer: nothing that should not come is given less time than before
            return reader.drain(Duration.ofMillis(atLeast == 0 ? 2500 : 1500)).stream().filter(ours)
                    .map(r -> Json.fromBytes(r.value(), NotificationJob.class))
                    .collect(Collectors.toCollection(ArrayList::new));
        }
    }

    private static Set<String> ids(List<NotificationJob> jobs) {
        return jobs.stream().map(NotificationJob::jobId).collect(Collectors.toSet());
    }

    @Test
    void affectedOnceOnEachChannelThatCarriesTheKind() throws Exception {
        Person giulia = person("Giulia", "it", sms("+393330000001", "\"POWER_OUTAGE\"") + ","
                + email("giulia-" + run + "@example.org"), "\"POWER_OUTAGE\", \"WATER_OUTAGE\"", null);
        Person marco = person("Marco", "en", email("marco-" + run + "@example.org"), "\"ROAD_CLEARING\"", null);
        String power = id("power");
        String water = id("water");
        String gas = id("gas");
        String civil = id("civil");
        publish(event(power, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(water, 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE));
        publish(event(gas, 1, EventKind.GAS_OUTAGE, EventStatus.ACTIVE));
        publish(event(civil, 1, EventKind.CIVIL_PROTECTION, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE,
                false, null));
        for (Person p : List.of(giulia, marco)) {
            match(power, 1, p, Change.AFFECTED);
            match(water, 1, p, Change.AFFECTED);
            match(gas, 1, p, Change.AFFECTED);
            match(civil, 1, p, Change.AFFECTED);
        }
        match(power, 1, giulia, Change.AFFECTED);   // redelivered

        List<NotificationJob> jobs = jobs(Set.of(giulia.id(), marco.id()), 6);
        Map<String, List<String>> seen = jobs.stream().collect(Collectors.groupingBy(
                j -> j.eventId().replace("-" + run, "") + " " + j.channel() + " " + j.recipient().charAt(0),
                Collectors.mapping(NotificationJob::jobId, Collectors.toList())));
        assertThat(seen.keySet()).containsExactlyInAnyOrder(
                "power SMS +", "power EMAIL g",        // Giulia: both channels carry power
                "water EMAIL g",                       // her SMS carries power only
                "civil SMS +", "civil EMAIL g",        // civil protection EXTREME reaches everyone everywhere
                "civil EMAIL m");                      // ... including Marco, who follows only roads
        assertThat(ids(jobs)).hasSize(6);
        assertThat(jobs).allMatch(j -> j.change() == Change.AFFECTED);
        assertThat(jobs.stream().filter(j -> j.eventId().equals(power) && j.channel() == Channel.SMS).findFirst()
                .orElseThrow().jobId())
                .isEqualTo(notice(power, giulia.id(), Change.AFFECTED, 1, Channel.SMS));
        // not rule 6's name-based id, which anyone knowing Giulia's subscriber id could compute: the service's own
        String public6 = JobIds.notice(power, giulia.id(), Change.AFFECTED, 1, Channel.SMS);
        assertThat(ids(jobs)).doesNotContain(public6);
        assertThat(jobs).allMatch(j -> UUID.fromString(j.jobId()).version() == 8);
        NotificationJob mail = jobs.stream().filter(j -> j.eventId().equals(power) && j.channel() == Channel.EMAIL)
                .findFirst().orElseThrow();
        assertThat(mail.subject()).isEqualTo("Interruzione di corrente - la tua casa in Via Dazio 90/H");
        assertThat(mail.html()).contains("Giulia");
        assertThat(mail.headers()).containsKey("List-Unsubscribe");
        assertThat(mail.expiresAt()).isAfter(Instant.now());
    }

    @Test
    void theLifecycleTellsOnlyThoseWhoWereTold() throws Exception {
        Person anna = person("Anna", "it", sms("+393330000002", null), "\"POWER_OUTAGE\"", null);
        Person luca = person("Luca", "en", email("luca-" + run + "@example.org"), "\"POWER_OUTAGE\"", null);
        String e = id("life");
        // an estimate ahead of the notices (one already past is left out of them)
        Instant five = Instant.parse("2099-11-28T17:00:00Z");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(e, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false,
                five));
        publish(event(e, 3, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false,
                five));
        publish(event(e, 4, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false,
                five));
        publish(event(e, 5, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        match(e, 1, anna, Change.AFFECTED);
        match(e, 2, anna, Change.UPDATED);
        match(e, 2, luca, Change.UPDATED);              // never told: no update
        match(e, 3, anna, Change.NO_LONGER_AFFECTED);
        match(e, 3, luca, Change.NO_LONGER_AFFECTED);   // never told
        match(e, 4, anna, Change.AFFECTED);             // back inside: a new notice
        match(e, 5, anna, Change.RESOLVED);
        match(e, 5, luca, Change.RESOLVED);             // never told: no "power is back"
        match(e, 1, anna, Change.AFFECTED);             // an old revision redelivered: ignored

        List<NotificationJob> jobs = jobs(Set.of(anna.id(), luca.id()), 5);
        assertThat(jobs).allMatch(j -> j.subscriberId().equals(anna.id()));
        assertThat(jobs.stream().map(j -> j.change() + "@" + j.revision()).toList()).containsExactlyInAnyOrder(
                "AFFECTED@1", "UPDATED@2", "NO_LONGER_AFFECTED@3", "AFFECTED@4", "RESOLVED@5");
        assertThat(ids(jobs)).hasSize(5);
        assertThat(jobs.stream().filter(j -> j.change() == Change.UPDATED).findFirst().orElseThrow().text())
                .contains("aggiornamento").contains("18:00");

        // erasure finds every one of those notices, whatever its change and revision, and keeps it as a count
        eraseAndCheckAnonymised(anna, jobs);
    }

    /**
     * Someone who leaves the area and comes back within one revision (a place corrected, then corrected back) is told
     * AFFECTED again, with a notice of its own, and so is each later leave (rule 3); the same changes read again
     * after a crash, in their order, tell nothing more, and erasure finds every one of those notices.
     */
    @Test
    void leavingAndComingBackWithinOneRevisionIsToldEachTimeAndOnceEach() throws Exception {
        Person ada = person("Ada", "it", sms("+393330000071", null), "\"POWER_OUTAGE\"", null);
        String e = id("back-within");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        Instant t = Instant.parse("2026-11-28T10:00:00Z");
        List<MatchChange> changes = List.of(
                new MatchChange(e, 1, ada.id(), Change.AFFECTED, ada.places(), false, t),
                new MatchChange(e, 1, ada.id(), Change.NO_LONGER_AFFECTED, ada.places(), false, t.plusSeconds(60)),
                new MatchChange(e, 1, ada.id(), Change.AFFECTED, ada.places(), false, t.plusSeconds(120)),
                new MatchChange(e, 1, ada.id(), Change.NO_LONGER_AFFECTED, ada.places(), false, t.plusSeconds(180)));
        for (MatchChange change : changes) {
            TopicWriter.send(Topics.ALERTS_MATCHES, ada.id(), Json.toBytes(change));
        }
        List<NotificationJob> jobs = jobs(Set.of(ada.id()), 4);
        assertThat(jobs.stream().map(j -> j.change() + "@" + j.revision()).toList()).containsExactly(
                "AFFECTED@1", "NO_LONGER_AFFECTED@1", "AFFECTED@1", "NO_LONGER_AFFECTED@1");
        assertThat(ids(jobs)).hasSize(4).contains(
                notice(e, ada.id(), Change.AFFECTED, 1, Channel.SMS),
                notice(e, ada.id(), Change.AFFECTED, 1, Channel.SMS, 2));
        awaitTold(e, ada, "NO_LONGER_AFFECTED");

        // read again, as after a crash before the offsets were committed: nothing more
        for (MatchChange change : changes) {
            TopicWriter.send(Topics.ALERTS_MATCHES, ada.id(), Json.toBytes(change));
        }
        Thread.sleep(2_000);
        assertThat(jobs(Set.of(ada.id()), 4)).hasSize(4);
        eraseAndCheckAnonymised(ada, jobs);
    }

    /**
     * An update and the end go where the notice went: not to a channel added during the event (its owner would read
     * an update of something never announced there), still to a channel that carried the notice only because the
     * event was an emergency (the all-clear goes where the alarm went), and, once none of those channels is left, to
     * the channels that carry the event now.
     */
    @Test
    void updatesAndTheEndFollowTheChannelsTheNoticeWentOn() throws Exception {
        // Pia's SMS carries power outages only; a civil-protection EXTREME alert reaches it all the same
        Person pia = person("Pia", "it", sms("+393330000061", "\"POWER_OUTAGE\""), "\"POWER_OUTAGE\"", null);
        String civil = id("civil-falls");
        publish(event(civil, 1, EventKind.CIVIL_PROTECTION, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE,
                false, null));
        publish(event(civil, 2, EventKind.CIVIL_PROTECTION, EventStatus.ACTIVE, Severity.SEVERE, Urgency.EXPECTED,
                false, null));
        publish(event(civil, 3, EventKind.CIVIL_PROTECTION, EventStatus.RESOLVED, Severity.SEVERE,
                Urgency.EXPECTED, false, null));
        match(civil, 1, pia, Change.AFFECTED);
        match(civil, 2, pia, Change.UPDATED);
        match(civil, 3, pia, Change.RESOLVED);

        // Teo is told on his SMS, adds an e-mail address during the event, then gives his SMS up
        String teoSms = sms("+393330000062", null);
        String teoMail = email("teo-" + run + "@example.org");
        Person teo = person("Teo", "en", teoSms, "\"POWER_OUTAGE\"", null);
        String power = id("power-channels");
        publish(event(power, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(power, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED,
                false, Instant.parse("2026-11-28T17:00:00Z")));
        publish(event(power, 3, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        match(power, 1, teo, Change.AFFECTED);
        awaitTold(power, teo, "AFFECTED");
        replaceChannels(teo, "Teo", "en", teoSms + "," + teoMail);
        match(power, 2, teo, Change.UPDATED);
        awaitLedger(power, teo, 2);
        replaceChannels(teo, "Teo", "en", teoMail);
        match(power, 3, teo, Change.RESOLVED);

        List<NotificationJob> jobs = jobs(Set.of(pia.id(), teo.id()), 6);
        assertThat(jobs.stream().filter(j -> j.subscriberId().equals(pia.id()))
                .map(j -> j.change() + "@" + j.revision() + " " + j.channel())).containsExactlyInAnyOrder(
                "AFFECTED@1 SMS", "UPDATED@2 SMS", "RESOLVED@3 SMS");
        assertThat(jobs.stream().filter(j -> j.subscriberId().equals(teo.id()))
                .map(j -> j.change() + "@" + j.revision() + " " + j.channel())).containsExactlyInAnyOrder(
                "AFFECTED@1 SMS", "UPDATED@2 SMS", "RESOLVED@3 EMAIL");
        assertThat(ids(jobs)).hasSize(6);
    }

    /** Replaces the person's channels, keeping their home and interests (a power outage follower's). */
    private void replaceChannels(Person person, String name, String language, String channels) {
        JsonPath replaced = given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("""
                {"name": "%s", "language": "%s", "channels": [%s],
                 "places": [{"label": "Casa", "category": "HOME", "address": "Via Dazio 90/H"}],
                 "interests": ["POWER_OUTAGE"]}""".formatted(name, language, channels))
                .put("/v1/subscribers/" + person.id()).then().statusCode(200).extract().jsonPath();
        assertThat(replaced.getList("places.id")).isEqualTo(person.places());
    }

    /**
     * Waits until these jobs' rows are committed (a notice's row names its channel, never its subscriber), erases the
     * person, and checks that the rows remain without any link to them.
     */
    private void eraseAndCheckAnonymised(Person person, List<NotificationJob> jobs) throws Exception {
        Object[] ids = jobs.stream().map(j -> UUID.fromString(j.jobId())).toArray();
        String count = """
                SELECT count(*), count(*) FILTER (WHERE subscriber_id IS NOT NULL),
                       count(*) FILTER (WHERE channel_id IS NOT NULL)
                FROM dispatcher.job WHERE job_id = ANY (?)""";
        long deadline = System.currentTimeMillis() + 30_000;
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(count)) {
            s.setArray(1, c.createArrayOf("uuid", ids));
            while (true) {
                try (var rows = s.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) == ids.length) {
                        assertThat(rows.getLong(2)).as("notice rows naming their subscriber").isZero();
                        assertThat(rows.getLong(3)).as("notice rows naming their channel").isEqualTo(ids.length);
                        break;
                    }
                }
                assertThat(System.currentTimeMillis()).as("job rows committed").isLessThan(deadline);
                Thread.sleep(100);
            }
            given().header("Authorization", ADMIN).delete("/v1/subscribers/" + person.id()).then().statusCode(204);
            try (var rows = s.executeQuery()) {
                rows.next();
                assertThat(rows.getLong(1)).as("job rows kept as counts").isEqualTo(ids.length);
                assertThat(rows.getLong(3)).as("job rows still naming the person's channel").isZero();
            }
        }
    }

    @Test
    void testEventsNeverReachCitizens() throws Exception {
        Person p = person("Paola", "it", sms("+393330000003", null), "\"WATER_OUTAGE\"", null);
        String e = id("drill");
        publish(event(e, 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE, true,
                null));
        match(e, 1, p, Change.AFFECTED);
        String control = id("control");
        publish(event(control, 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE));
        match(control, 1, p, Change.AFFECTED);
        List<NotificationJob> jobs = jobs(Set.of(p.id()), 1);
        assertThat(jobs).extracting(NotificationJob::eventId).containsExactly(control);
        // the drill's statistics say what a real event would have told, and that nobody was told
        JsonPath drill = statsOnce(e, st -> st.getInt("testWithheld") > 0);
        assertThat(drill.getInt("testWithheld")).isEqualTo(1);
        assertThat(drill.getInt("notifiedTotal")).isZero();
        // the drill's match delivered again counts once; a real event's match behind it (the same person's key, so
        // read after it) shows that it was consumed
        match(e, 1, p, Change.AFFECTED);
        String after = id("control-after");
        publish(event(after, 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE));
        match(after, 1, p, Change.AFFECTED);
        assertThat(jobs(Set.of(p.id()), 2)).extracting(NotificationJob::eventId).containsExactlyInAnyOrder(control,
                after);
        assertThat(statsOnce(e, st -> true).getInt("testWithheld")).isEqualTo(1);
    }

    @Test
    void quietHoursHoldReleaseAndDrop() throws Exception {
        Person sleeper = nightOwl("Sara", "it", "+393330000004");
        Person other = nightOwl("Ugo", "it", "+393330000005");
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        String night = id("night");
        String storm = id("storm");
        String brief = id("brief");
        publish(event(night, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(storm, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE,
                false, null));
        publish(event(brief, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(brief, 2, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        match(night, 1, sleeper, Change.AFFECTED);   // held until 07:00
        match(storm, 1, sleeper, Change.AFFECTED);   // EXTREME: now
        match(brief, 1, other, Change.AFFECTED);     // held...
        match(brief, 2, other, Change.RESOLVED);     // ... and dropped: never told, nothing to say

        List<NotificationJob> jobs = jobs(Set.of(sleeper.id(), other.id()), 1);
        assertThat(jobs).extracting(NotificationJob::eventId).containsExactly(storm);
        given().header("Authorization", ADMIN).get("/v1/events/" + night + "/stats").then().statusCode(200)
                .body("held", equalTo(1));
        given().header("Authorization", ADMIN).get("/v1/events/" + brief + "/stats").then().statusCode(200)
                .body("held", equalTo(0));

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30 in Rome
        jobs = jobs(Set.of(sleeper.id(), other.id()), 2);
        assertThat(jobs).extracting(NotificationJob::eventId).containsExactlyInAnyOrder(storm, night);
        assertThat(ids(jobs)).contains(notice(night, sleeper.id(), Change.AFFECTED, 1, Channel.SMS));
        given().header("Authorization", ADMIN).get("/v1/events/" + night + "/stats").then().statusCode(200)
                .body("held", equalTo(0)).body("notified.SMS", equalTo(1));
        eraseAndCheckAnonymised(sleeper, jobs);
    }

    /** Waits until the ledger holds this revision for the person, and returns what it says they were told. */
    private String awaitLedger(String eventId, Person person, long revision) throws Exception {
        return awaitLedger(eventId, person, (told, last) -> last >= revision, "revision " + revision);
    }

    /** Waits until the ledger says this of the person. */
    private void awaitTold(String eventId, Person person, String told) throws Exception {
        awaitLedger(eventId, person, (now, last) -> told.equals(now), told);
    }

    /** Waits until the person's ledger row (what they were told, its last revision) satisfies {@code until}. */
    private String awaitLedger(String eventId, Person person, java.util.function.BiPredicate<String, Long> until,
                               String what) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT told, last_revision FROM dispatcher.ledger WHERE event_id = ? AND subscriber_id = ?")) {
            s.setString(1, eventId);
            s.setObject(2, UUID.fromString(person.id()));
            while (true) {
                try (var rows = s.executeQuery()) {
                    if (rows.next() && until.test(rows.getString(1), rows.getLong(2))) {
                        return rows.getString(1);
                    }
                }
                assertThat(System.currentTimeMillis()).as(eventId + ": " + what + " in the ledger")
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }

    /**
     * An update of a held AFFECTED renews it (the morning's notice tells the newer revision), or, when the update does
     * not wait for quiet hours (an escalation to an emergency), sends it at once from the newer revision.
     */
    @Test
    void aHeldNoticeIsRenewedByAnUpdateOrSentAtOnceWhenTheUpdateCannotWait() throws Exception {
        Person rita = nightOwl("Rita", "it", "+393330000011");
        Person walter = nightOwl("Walter", "en", "+393330000012");
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        String calm = id("calm");
        String escalating = id("escalating");
        Instant nine = Instant.parse("2026-11-29T08:00:00Z");     // 09:00 in Rome, still ahead when released
        publish(event(calm, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(calm, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false,
                nine));
        publish(event(escalating, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(escalating, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE,
                false, nine));
        match(calm, 1, rita, Change.AFFECTED);            // held until 07:00
        match(calm, 2, rita, Change.UPDATED);             // still held, now telling revision 2
        match(escalating, 1, walter, Change.AFFECTED);    // held...
        match(escalating, 2, walter, Change.UPDATED);     // ... until it became an emergency: told now

        List<NotificationJob> jobs = jobs(Set.of(rita.id(), walter.id()), 1);
        assertThat(jobs.stream().map(j -> j.subscriberId() + " " + j.change() + "@" + j.revision()))
                .containsExactly(walter.id() + " AFFECTED@2");
        assertThat(jobs.get(0).jobId()).isEqualTo(notice(escalating, walter.id(), Change.AFFECTED, 2,
                Channel.SMS));
        assertThat(awaitLedger(calm, rita, 2)).isEqualTo("AFFECTED_HELD");
        given().header("Authorization", ADMIN).get("/v1/events/" + calm + "/stats").then().statusCode(200)
                .body("held", equalTo(1));
        given().header("Authorization", ADMIN).get("/v1/events/" + escalating + "/stats").then().statusCode(200)
                .body("held", equalTo(0));

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30 in Rome
        jobs = jobs(Set.of(rita.id(), walter.id()), 2);
        assertThat(jobs.stream().map(j -> j.subscriberId() + " " + j.change() + "@" + j.revision()))
                .containsExactlyInAnyOrder(walter.id() + " AFFECTED@2", rita.id() + " AFFECTED@2");
        NotificationJob morning = jobs.stream().filter(j -> j.subscriberId().equals(rita.id())).findFirst()
                .orElseThrow();
        assertThat(morning.text()).as("the held notice tells the newer estimate").contains("09:00");
        assertThat(awaitLedger(calm, rita, 2)).isEqualTo("AFFECTED");
    }

    /**
     * Told AFFECTED; at night the area shrinks (NO_LONGER_AFFECTED held), grows back (the held notice is withdrawn:
     * AFFECTED is true again) and the event ends (RESOLVED held): the morning brings RESOLVED, nothing else.
     */
    @Test
    void aHeldEndIsWithdrawnWhenThePersonIsAffectedAgain() throws Exception {
        Person bruno = nightOwl("Bruno", "it", "+393330000013");
        String e = id("flicker");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(e, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(e, 3, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(e, 4, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        clock.set(Instant.parse("2026-11-28T20:50:00Z"));         // 21:50 in Rome
        match(e, 1, bruno, Change.AFFECTED);
        assertThat(awaitLedger(e, bruno, 1)).isEqualTo("AFFECTED");
        clock.set(Instant.parse("2026-11-28T21:30:00Z"));         // 22:30
        match(e, 2, bruno, Change.NO_LONGER_AFFECTED);
        assertThat(awaitLedger(e, bruno, 2)).isEqualTo("NO_LONGER_AFFECTED_HELD");
        clock.set(Instant.parse("2026-11-28T22:00:00Z"));         // 23:00
        match(e, 3, bruno, Change.AFFECTED);
        assertThat(awaitLedger(e, bruno, 3)).isEqualTo("AFFECTED");
        clock.set(Instant.parse("2026-11-29T01:00:00Z"));         // 02:00
        match(e, 4, bruno, Change.RESOLVED);
        assertThat(awaitLedger(e, bruno, 4)).isEqualTo("RESOLVED_HELD");
        given().header("Authorization", ADMIN).get("/v1/events/" + e + "/stats").then().statusCode(200)
                .body("held", equalTo(1));

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30
        List<NotificationJob> jobs = jobs(Set.of(bruno.id()), 2);
        assertThat(jobs.stream().map(j -> j.change() + "@" + j.revision()))
                .containsExactlyInAnyOrder("AFFECTED@1", "RESOLVED@4");
        assertThat(awaitLedger(e, bruno, 4)).isEqualTo("RESOLVED");
    }

    /**
     * Told AFFECTED; at night a new estimate (UPDATED, held), then the area shrinks (NO_LONGER_AFFECTED held, the
     * UPDATED gives way) and grows back: the morning tells the new estimate. Another person, outside (their
     * NO_LONGER_AFFECTED held) when the estimate of their event changed, is back inside when it becomes an emergency
     * and hears the UPDATED at once. Before, both kept the estimate of their first notice until the next material
     * revision or the end.
     */
    @Test
    void someoneBackInsideBeforeTheirHeldEndWentOutHearsWhatChangedMeanwhile() throws Exception {
        Person nadia = nightOwl("Nadia", "it", "+393330000031");
        Person oscar = nightOwl("Oscar", "en", "+393330000032");
        String e = id("estimate");
        String grave = id("grave");
        Instant nine = Instant.parse("2026-11-29T08:00:00Z");     // 09:00 in Rome
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(grave, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        for (long revision = 2; revision <= 4; revision++) {
            publish(event(e, revision, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE,
                    Urgency.EXPECTED, false, nine));
        }
        publish(event(grave, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED,
                false, nine));
        publish(event(grave, 3, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.SEVERE, Urgency.IMMEDIATE,
                false, nine));
        clock.set(Instant.parse("2026-11-28T20:50:00Z"));         // 21:50
        match(e, 1, nadia, Change.AFFECTED);
        match(grave, 1, oscar, Change.AFFECTED);
        assertThat(awaitLedger(e, nadia, 1)).isEqualTo("AFFECTED");
        assertThat(awaitLedger(grave, oscar, 1)).isEqualTo("AFFECTED");
        clock.set(Instant.parse("2026-11-28T21:30:00Z"));         // 22:30
        match(e, 2, nadia, Change.UPDATED);                       // held for the morning
        match(grave, 2, oscar, Change.NO_LONGER_AFFECTED);        // held; outside when the estimate changed
        assertThat(awaitLedger(e, nadia, 2)).isEqualTo("AFFECTED");
        assertThat(awaitLedger(grave, oscar, 2)).isEqualTo("NO_LONGER_AFFECTED_HELD");
        clock.set(Instant.parse("2026-11-28T21:45:00Z"));         // 22:45
        match(e, 3, nadia, Change.NO_LONGER_AFFECTED);            // the held UPDATED gives way
        assertThat(awaitLedger(e, nadia, 3)).isEqualTo("NO_LONGER_AFFECTED_HELD");
        clock.set(Instant.parse("2026-11-28T22:00:00Z"));         // 23:00
        match(e, 4, nadia, Change.AFFECTED);
        match(grave, 3, oscar, Change.AFFECTED);                  // back inside, and an emergency now
        assertThat(awaitLedger(e, nadia, 4)).isEqualTo("AFFECTED");
        assertThat(awaitLedger(grave, oscar, 3)).isEqualTo("AFFECTED");
        List<NotificationJob> jobs = jobs(Set.of(nadia.id(), oscar.id()), 3);
        assertThat(jobs.stream().map(j -> j.subscriberId() + " " + j.change() + "@" + j.revision()))
                .as("in the night: the first notices, and Oscar's emergency at once")
                .containsExactlyInAnyOrder(nadia.id() + " AFFECTED@1", oscar.id() + " AFFECTED@1",
                        oscar.id() + " UPDATED@3");
        assertThat(ids(jobs)).contains(notice(grave, oscar.id(), Change.UPDATED, 3, Channel.SMS));

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30
        jobs = jobs(Set.of(nadia.id()), 2);
        assertThat(jobs.stream().map(j -> j.change() + "@" + j.revision()))
                .containsExactlyInAnyOrder("AFFECTED@1", "UPDATED@4");
        NotificationJob update = jobs.stream().filter(j -> j.change() == Change.UPDATED).findFirst().orElseThrow();
        assertThat(update.jobId()).isEqualTo(notice(e, nadia.id(), Change.UPDATED, 4, Channel.SMS));
        assertThat(update.text()).as("the new estimate").contains("09:00");
        assertThat(awaitLedger(e, nadia, 4)).isEqualTo("AFFECTED");
    }

    /**
     * The same return when the leave and the return come in one batch (their matches waited for their revisions):
     * the leave, held for the night, gives way, and the emergency the return brings is told at once.
     */
    @Test
    void aLeaveAndAReturnInOneBatchTellWhatChangedMeanwhile() throws Exception {
        Person oscar = nightOwl("Oscar", "en", "+393330000043");
        String grave = id("grave-batch");
        Instant nine = Instant.parse("2026-11-29T08:00:00Z");     // 09:00 in Rome
        publish(event(grave, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        clock.set(Instant.parse("2026-11-28T20:50:00Z"));         // 21:50
        match(grave, 1, oscar, Change.AFFECTED);
        assertThat(awaitLedger(grave, oscar, 1)).isEqualTo("AFFECTED");
        clock.set(Instant.parse("2026-11-28T21:30:00Z"));         // 22:30
        match(grave, 2, oscar, Change.NO_LONGER_AFFECTED);
        match(grave, 3, oscar, Change.AFFECTED);
        Thread.sleep(1500);
        // the later revision first: the batch waits for the earlier, then both changes are decided together
        publish(event(grave, 3, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.SEVERE, Urgency.IMMEDIATE,
                false, nine));
        publish(event(grave, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED,
                false, nine));
        assertThat(awaitLedger(grave, oscar, 3)).isEqualTo("AFFECTED");
        List<NotificationJob> jobs = jobs(Set.of(oscar.id()), 2);
        assertThat(jobs.stream().map(j -> j.change() + "@" + j.revision()))
                .as("the first notice, and the emergency at once")
                .containsExactlyInAnyOrder("AFFECTED@1", "UPDATED@3");
    }

    /**
     * Several changes of one person in one batch (the matches wait for their revisions, then come back in one poll):
     * a held notice that a later change of the batch drops, sends at once or supersedes is not held as well. Before,
     * the batch wrote its holds after its deletions: the morning brought "your power is out" about an event already
     * over, a second AFFECTED, or an UPDATED already overtaken by the end.
     */
    @Test
    void laterChangesInTheSameBatchUndoItsEarlierHolds() throws Exception {
        Person brief = nightOwl("Nadia", "it", "+393330000021");
        Person escalated = nightOwl("Oscar", "en", "+393330000022");
        Person ended = nightOwl("Piera", "it", "+393330000023");
        String a = id("batch-brief");
        String b = id("batch-escalating");
        String e = id("batch-ended");
        clock.set(Instant.parse("2026-11-28T20:50:00Z"));         // 21:50 in Rome: Piera is told at once
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, ended, Change.AFFECTED);
        assertThat(awaitLedger(e, ended, 1)).isEqualTo("AFFECTED");

        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30
        match(a, 1, brief, Change.AFFECTED);      // would be held...
        match(a, 2, brief, Change.RESOLVED);      // ... and is dropped in the same batch
        match(b, 1, escalated, Change.AFFECTED);  // would be held...
        match(b, 2, escalated, Change.UPDATED);   // ... an emergency now: AFFECTED@2 at once, nothing held
        match(e, 2, ended, Change.UPDATED);       // held...
        match(e, 3, ended, Change.RESOLVED);      // ... and superseded by the end, held too
        Thread.sleep(1500);                       // the matches wait for their revisions
        publish(event(a, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(a, 2, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        publish(event(b, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(b, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE,
                false, null));
        publish(event(e, 2, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(e, 3, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        assertThat(awaitLedger(e, ended, 3)).isEqualTo("RESOLVED_HELD");
        assertThat(awaitLedger(a, brief, 2)).isEqualTo("NOTHING");
        assertThat(awaitLedger(b, escalated, 2)).isEqualTo("AFFECTED");
        for (String event : List.of(a, b)) {
            given().header("Authorization", ADMIN).get("/v1/events/" + event + "/stats").then().statusCode(200)
                    .body("held", equalTo(0));
        }
        given().header("Authorization", ADMIN).get("/v1/events/" + e + "/stats").then().statusCode(200)
                .body("held", equalTo(1));

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30
        awaitTold(e, ended, "RESOLVED");
        List<NotificationJob> jobs = jobs(Set.of(brief.id(), escalated.id(), ended.id()), 3);
        assertThat(jobs.stream().map(j -> j.subscriberId() + " " + j.change() + "@" + j.revision()))
                .containsExactlyInAnyOrder(escalated.id() + " AFFECTED@2", ended.id() + " AFFECTED@1",
                        ended.id() + " RESOLVED@3");
    }

    /**
     * A held AFFECTED whose event ended before the morning, while the end's matches are still on their way (a
     * backlog), is dropped at release time instead of sent; the end then has nothing to tell either (rule 7).
     */
    @Test
    void aHeldNoticeOfAnEventThatHasEndedIsDroppedAtReleaseTime() throws Exception {
        Person dino = nightOwl("Dino", "it", "+393330000024");
        String e = id("ended-overnight");
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, dino, Change.AFFECTED);
        assertThat(awaitLedger(e, dino, 1)).isEqualTo("AFFECTED_HELD");
        publish(event(e, 2, EventKind.POWER_OUTAGE, EventStatus.CANCELLED));   // its matches not yet dispatched
        Thread.sleep(1000);

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30
        awaitTold(e, dino, "NOTHING");
        given().header("Authorization", ADMIN).get("/v1/events/" + e + "/stats").then().statusCode(200)
                .body("held", equalTo(0));
        match(e, 2, dino, Change.RESOLVED);
        assertThat(awaitLedger(e, dino, 2)).isEqualTo("NOTHING");
        assertThat(jobs(Set.of(dino.id()), 0)).as("never told: neither the outage nor its end").isEmpty();
    }

    /**
     * More held AFFECTED notices of an ended event than one release drops at a time: the ones past the first page are
     * not sent meanwhile but dropped by the next (here a page of one, as a night's thousands would be paged).
     */
    @Test
    void heldNoticesOfAnEndedEventBeyondOnePageAreDroppedToo() throws Exception {
        Person ada = nightOwl("Ada", "it", "+393330000041");
        Person bea = nightOwl("Bea", "it", "+393330000042");
        String e = id("ended-paged");
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, ada, Change.AFFECTED);
        match(e, 1, bea, Change.AFFECTED);
        assertThat(awaitLedger(e, ada, 1)).isEqualTo("AFFECTED_HELD");
        assertThat(awaitLedger(e, bea, 1)).isEqualTo("AFFECTED_HELD");
        publish(event(e, 2, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));   // its matches not yet dispatched
        Thread.sleep(1000);

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30
        dispatcher.releaseDue(1);
        awaitTold(e, ada, "NOTHING");
        awaitTold(e, bea, "NOTHING");
        assertThat(jobs(Set.of(ada.id(), bea.id()), 0)).as("neither told of an outage already over").isEmpty();
    }

    /**
     * A revision that changes nothing (its expiry extended) finishes at once while the one before it is still being
     * dispatched: the event is not complete up to it until the one before is.
     */
    @Test
    void aRevisionIsCompleteOnlyOnceEveryRevisionBeforeItIs() throws Exception {
        String e = id("complete-in-order");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        try (var c = db.getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO dispatcher.revision_progress VALUES ('" + e + "', 1, 0, now()), ('" + e + "', 2, 100, now()),"
                    + " ('" + e + "', 3, 0, now())");
            s.execute("INSERT INTO dispatcher.revision_dispatched VALUES ('" + e + "', 2, 10)");
            assertThat(org.allerta.dispatcher.events.StatsService.lastComplete(c, e)).isEqualTo(1);
            s.execute("UPDATE dispatcher.revision_dispatched SET changes = 100 WHERE event_id = '" + e + "'");
            assertThat(org.allerta.dispatcher.events.StatsService.lastComplete(c, e)).isEqualTo(3);
        }
    }

    /**
     * Someone who registers while an event covers their home has no verified channel yet when the matcher finds them
     * inside: the AFFECTED notice waits for their first channel, and goes out as soon as it is verified. Before, they
     * were recorded as told nothing and never heard of the event that made them sign up.
     */
    @Test
    void someoneWhoRegistersDuringAnEventIsToldOnceTheirChannelIsVerified() throws Exception {
        String phone = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        JsonPath created = given().header("Authorization", "Bearer test-app-key").contentType(ContentType.JSON)
                .body("""
                        {"name": "Lia", "language": "it", "channels": [{"type": "SMS", "address": "%s"}],
                         "places": [{"label": "Casa", "category": "HOME", "address": "Via Dazio 90/H"}],
                         "interests": ["POWER_OUTAGE"]}""".formatted(phone))
                .post("/v1/subscribers").then().statusCode(201).extract().jsonPath();
        Person lia = new Person(created.getString("id"), created.getList("places.id"));
        String sms = created.getString("channels[0].id");
        String e = id("joined-during");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, lia, Change.AFFECTED);
        assertThat(awaitLedger(e, lia, 1)).isEqualTo("AFFECTED_HELD");
        given().header("Authorization", ADMIN).get("/v1/events/" + e + "/stats").then().statusCode(200)
                .body("held", equalTo(0)).body("awaitingChannel", equalTo(1));
        assertThat(jobs(Set.of(lia.id()), 0)).as("nothing to send it to yet").isEmpty();

        NotificationJob code;
        try (var reader = new TopicReader(Channel.SMS.urgentJobsTopic())) {
            code = Json.fromBytes(reader.await(r -> lia.id().equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), NotificationJob.class);
        }
        var digits = java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(code.text());
        assertThat(digits.find()).isTrue();
        given().header("Authorization", "Bearer test-app-key").contentType(ContentType.JSON)
                .body("{\"code\": \"" + digits.group(1) + "\"}")
                .post("/v1/subscribers/" + lia.id() + "/channels/" + sms + "/verify").then().statusCode(200);

        List<NotificationJob> jobs = jobs(Set.of(lia.id()), 1);
        assertThat(ids(jobs)).containsExactly(notice(e, lia.id(), Change.AFFECTED, 1, Channel.SMS));
        assertThat(jobs.get(0).recipient()).isEqualTo(phone);
        awaitTold(e, lia, "AFFECTED");
        match(e, 2, lia, Change.RESOLVED);
        publish(event(e, 2, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        assertThat(jobs(Set.of(lia.id()), 2).stream().map(j -> j.change() + "@" + j.revision()))
                .containsExactlyInAnyOrder("AFFECTED@1", "RESOLVED@2");
    }

    /** Registers a person through the city's app (channels awaiting their codes); returns them and their channel ids. */
    private record Registered(Person person, List<String> channels) {
    }

    private Registered registerThroughTheApp(String channels, String interests, String quiet) {
        JsonPath created = given().header("Authorization", "Bearer test-app-key").contentType(ContentType.JSON)
                .body("""
                        {"name": "Nora", "language": "it", "channels": [%s],
                         "places": [{"label": "Casa", "category": "HOME", "address": "Via Dazio 90/H"}],
                         "interests": [%s] %s}""".formatted(channels, interests,
                        quiet == null ? "" : ", \"quietHours\": " + quiet))
                .post("/v1/subscribers").then().statusCode(201).extract().jsonPath();
        return new Registered(new Person(created.getString("id"), created.getList("places.id")),
                created.getList("channels.id"));
    }

    /** Confirms a channel with the code the dispatcher sent to it (read from that channel's urgent jobs topic). */
    private static void confirm(Registered r, Channel channel, int index) {
        NotificationJob code;
        try (var reader = new TopicReader(channel.urgentJobsTopic())) {
            code = Json.fromBytes(reader.await(rec -> r.person().id().equals(rec.key()) && Json.fromBytes(rec.value(),
                    NotificationJob.class).purpose() == JobPurpose.VERIFICATION, 1, Duration.ofSeconds(30)).get(0)
                    .value(), NotificationJob.class);
        }
        var digits = java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(code.text());
        assertThat(digits.find()).isTrue();
        given().header("Authorization", "Bearer test-app-key").contentType(ContentType.JSON)
                .body("{\"code\": \"" + digits.group(1) + "\"}")
                .post("/v1/subscribers/" + r.person().id() + "/channels/" + r.channels().get(index) + "/verify")
                .then().statusCode(200);
    }

    /**
     * A notice waits for the channel that would carry it, not for the first one confirmed: registered during a water
     * cut with an SMS for power cuts only and an e-mail for everything, the person confirms the SMS first (nothing to
     * send there), then the e-mail, which is told.
     */
    @Test
    void aNoticeWaitsForTheChannelThatWouldCarryItNotForTheFirstConfirmed() throws Exception {
        String mail = "nora-" + run + "@example.org";
        Registered nora = registerThroughTheApp("""
                {"type": "SMS", "address": "+39333%07d", "kinds": ["POWER_OUTAGE"]},
                {"type": "EMAIL", "address": "%s"}""".formatted((int) (Math.random() * 9_999_999), mail),
                "\"POWER_OUTAGE\", \"WATER_OUTAGE\"", null);
        String e = id("water-while-joining");
        publish(event(e, 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, nora.person(), Change.AFFECTED);
        assertThat(awaitLedger(e, nora.person(), 1)).isEqualTo("AFFECTED_HELD");

        confirm(nora, Channel.SMS, 0);
        Thread.sleep(2_000);   // a release, were there one, has had its turn
        assertThat(jobs(Set.of(nora.person().id()), 0)).filteredOn(j -> j.purpose() == JobPurpose.NOTICE).isEmpty();
        assertThat(awaitLedger(e, nora.person(), 1)).isEqualTo("AFFECTED_HELD");

        confirm(nora, Channel.EMAIL, 1);
        awaitTold(e, nora.person(), "AFFECTED");
        assertThat(jobs(Set.of(nora.person().id()), 1)).filteredOn(j -> j.purpose() == JobPurpose.NOTICE)
                .extracting(NotificationJob::channel, NotificationJob::recipient)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Channel.EMAIL, mail));
    }

    /** A channel the administrator registers as verified tells what was waiting for one. */
    @Test
    void aChannelVerifiedByTheAdministratorTellsWhatWasWaiting() throws Exception {
        String phone = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        Registered ada = registerThroughTheApp("{\"type\": \"SMS\", \"address\": \"" + phone + "\"}",
                "\"POWER_OUTAGE\"", null);
        String e = id("admin-verified");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, ada.person(), Change.AFFECTED);
        assertThat(awaitLedger(e, ada.person(), 1)).isEqualTo("AFFECTED_HELD");

        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("""
                {"name": "Nora", "language": "it", "channels": [%s],
                 "places": [{"label": "Casa", "category": "HOME", "address": "Via Dazio 90/H"}],
                 "interests": ["POWER_OUTAGE"]}""".formatted(sms(phone, null)))
                .put("/v1/subscribers/" + ada.person().id()).then().statusCode(200)
                .body("channels[0].verified", equalTo(true));
        awaitTold(e, ada.person(), "AFFECTED");
        assertThat(ids(jobs(Set.of(ada.person().id()), 1).stream().filter(j -> j.purpose() == JobPurpose.NOTICE)
                .toList())).containsExactly(notice(e, ada.person().id(), Change.AFFECTED, 1, Channel.SMS));
    }

    /**
     * A notice that waited for a channel confirmed in the middle of the person's quiet hours waits for their end
     * (rule 7), like any other.
     */
    @Test
    void aChannelConfirmedDuringQuietHoursTellsWhenTheyEnd() throws Exception {
        String phone = "+39333" + (1000000 + (int) (Math.random() * 8999999));
        Registered owl = registerThroughTheApp("{\"type\": \"SMS\", \"address\": \"" + phone + "\"}",
                "\"POWER_OUTAGE\"", NIGHTS);
        clock.set(Instant.parse("2026-11-28T20:50:00Z"));         // 21:50 in Rome
        String e = id("confirmed-at-night");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, owl.person(), Change.AFFECTED);
        assertThat(awaitLedger(e, owl.person(), 1)).isEqualTo("AFFECTED_HELD");

        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30
        confirm(owl, Channel.SMS, 0);
        Thread.sleep(2_000);
        assertThat(jobs(Set.of(owl.person().id()), 0)).filteredOn(j -> j.purpose() == JobPurpose.NOTICE).isEmpty();
        given().header("Authorization", ADMIN).get("/v1/events/" + e + "/stats").then().statusCode(200)
                .body("held", equalTo(1));

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30
        awaitTold(e, owl.person(), "AFFECTED");
        assertThat(ids(jobs(Set.of(owl.person().id()), 1).stream().filter(j -> j.purpose() == JobPurpose.NOTICE)
                .toList())).containsExactly(notice(e, owl.person().id(), Change.AFFECTED, 1, Channel.SMS));
    }

    /**
     * An alert past its expiry is no longer announced: a notice held for quiet hours beyond it is not sent, and the
     * person, never told, hears no end either. A person told before the expiry still hears the end.
     */
    @Test
    void anAlertPastItsExpiryIsNoLongerAnnouncedButItsEndStillIs() throws Exception {
        Person sleeper = nightOwl("Ivo", "it", "+393330000041");
        Person awake = person("Tea", "it", sms("+393330000042", null), "\"POWER_OUTAGE\"", null);
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        String e = id("expiring");
        Instant expires = Instant.parse("2026-11-29T05:00:00Z");  // 06:00 in Rome, before Ivo's quiet hours end
        publish(expiring(e, 1, EventStatus.ACTIVE, expires));
        match(e, 1, sleeper, Change.AFFECTED);                    // held until 07:00
        match(e, 1, awake, Change.AFFECTED);                      // told now
        awaitTold(e, awake, "AFFECTED");
        assertThat(awaitLedger(e, sleeper, 1)).isEqualTo("AFFECTED_HELD");

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30: the alert expired an hour ago
        awaitTold(e, sleeper, "NOTHING");
        publish(expiring(e, 2, EventStatus.RESOLVED, expires));
        match(e, 2, sleeper, Change.RESOLVED);
        match(e, 2, awake, Change.RESOLVED);
        awaitTold(e, awake, "RESOLVED");
        List<NotificationJob> jobs = jobs(Set.of(sleeper.id(), awake.id()), 2);
        assertThat(jobs.stream().map(j -> j.subscriberId().equals(awake.id()) ? "Tea " + j.change() : "Ivo "
                + j.change())).containsExactlyInAnyOrder("Tea AFFECTED", "Tea RESOLVED");
    }

    /**
     * The latest revision says whether an alert still holds: a held notice names the revision it was decided on, and
     * an alert extended since (a later expiry alone is no material change, so nothing renews the held notice) is
     * still announced when the quiet hours end.
     */
    @Test
    void anAlertExtendedAfterANoticeWasHeldIsStillAnnounced() throws Exception {
        Person sleeper = nightOwl("Eva", "it", "+393330000043");
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        String e = id("extended");
        publish(expiring(e, 1, EventStatus.ACTIVE, Instant.parse("2026-11-29T05:00:00Z")));
        match(e, 1, sleeper, Change.AFFECTED);                    // held until 07:00
        assertThat(awaitLedger(e, sleeper, 1)).isEqualTo("AFFECTED_HELD");
        publish(expiring(e, 2, EventStatus.ACTIVE, Instant.parse("2026-11-29T11:00:00Z")));
        Thread.sleep(1_500);                                      // the revision is stored

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30: the first expiry has passed
        awaitTold(e, sleeper, "AFFECTED");
        List<NotificationJob> jobs = jobs(Set.of(sleeper.id()), 1);
        assertThat(ids(jobs)).containsExactly(notice(e, sleeper.id(), Change.AFFECTED, 1, Channel.SMS));
        assertThat(jobs.get(0).expiresAt()).as("the job expires with the alert as extended")
                .isEqualTo(Instant.parse("2026-11-29T11:00:00Z"));
    }

    /**
     * The other way round: an alert with no expiry when the notice was held, whose later revision gives it one
     * (again no material change) that has passed when the quiet hours end, is no longer announced.
     */
    @Test
    void anAlertGivenAnExpiryAfterANoticeWasHeldIsNotAnnouncedOnceItHasPassed() throws Exception {
        Person sleeper = nightOwl("Gea", "it", "+393330000044");
        clock.set(Instant.parse("2026-11-28T22:30:00Z"));         // 23:30 in Rome
        String e = id("expiry-given");
        publish(expiring(e, 1, EventStatus.ACTIVE, null));
        match(e, 1, sleeper, Change.AFFECTED);                    // held until 07:00
        assertThat(awaitLedger(e, sleeper, 1)).isEqualTo("AFFECTED_HELD");
        publish(expiring(e, 2, EventStatus.ACTIVE, Instant.parse("2026-11-29T05:00:00Z")));   // 06:00 in Rome
        Thread.sleep(1_500);                                      // the revision is stored

        clock.set(Instant.parse("2026-11-29T06:00:30Z"));         // 07:00:30: the alert expired an hour ago
        awaitTold(e, sleeper, "NOTHING");
        assertThat(jobs(Set.of(sleeper.id()), 0)).isEmpty();
    }

    private static AlertEvent expiring(String id, long revision, EventStatus status, Instant expiresAt) {
        return new AlertEvent(id, revision, "pub-dispatch", "oms-" + id, EventKind.POWER_OUTAGE, status,
                Severity.MODERATE, Urgency.EXPECTED, false, null, "Quartiere Cristo",
                Map.of("it", "Guasto", "en", "Fault"), Map.of(), Instant.parse("2026-11-28T22:00:00Z"), null,
                expiresAt, Instant.now(), Instant.now(), List.of(), null);
    }

    /**
     * The public page tells the latest revision as it stands now: an estimate gone by without a new one is marked
     * as passed, and an alert past its expiry as expired, not as ongoing.
     */
    @Test
    void thePublicPageSaysWhenTheEstimateHasPassedAndWhenTheAlertHasExpired() throws Exception {
        String e = id("page");
        Instant noon = Instant.parse("2026-11-28T11:00:00Z");     // 12:00 in Rome
        publish(new AlertEvent(e, 1, "pub-dispatch", "oms-" + e, EventKind.POWER_OUTAGE, EventStatus.ACTIVE,
                Severity.MODERATE, Urgency.EXPECTED, false, null, "Quartiere Cristo",
                Map.of("it", "Guasto", "en", "Fault"), Map.of(), noon, noon.plusSeconds(3600),
                noon.plusSeconds(3 * 3600), noon, noon, List.of(), null));
        clock.set(noon.plusSeconds(600));
        String page = eventPage(e);
        assertThat(page).contains("In corso").contains("13:00").doesNotContain("superata")
                .doesNotContain("Scaduto");
        clock.set(noon.plusSeconds(2 * 3600));                    // 14:00: the 13:00 estimate has passed
        page = eventPage(e);
        assertThat(page).contains("In corso").contains("13:00").contains("previsione superata");
        clock.set(noon.plusSeconds(4 * 3600));                    // 16:00: expired at 15:00
        page = eventPage(e);
        assertThat(page).contains("Scaduto").contains("15:00").doesNotContain("In corso").doesNotContain("13:00");
    }

    /** The event's public page, once the dispatcher has its revision. */
    private static String eventPage(String eventId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            var response = given().get("/e/" + eventId);
            if (response.statusCode() == 200) {
                return response.body().asString();
            }
            assertThat(System.currentTimeMillis()).as("the page of " + eventId).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void aMatchWaitsForTheRevisionItNames() throws Exception {
        Person p = person("Elena", "en", sms("+393330000006", null), "\"GAS_OUTAGE\"", null);
        String e = id("early");
        match(e, 1, p, Change.AFFECTED);
        Thread.sleep(1500);
        publish(event(e, 1, EventKind.GAS_OUTAGE, EventStatus.ACTIVE));
        List<NotificationJob> jobs = jobs(Set.of(p.id()), 1);
        assertThat(jobs).extracting(NotificationJob::eventId).containsExactly(e);
        assertThat(jobs.get(0).text()).startsWith("Elena, gas supply cut");

        // a match left on the topic while the dispatcher was away for longer than the wait (ten minutes here) still
        // waits for its revision when it is read again, instead of being dead-lettered at once
        Person q = person("Marco", "it", sms("+393330000016", null), "\"GAS_OUTAGE\"", null);
        String late = id("away");
        TopicWriter.send(Topics.ALERTS_MATCHES, q.id(), Json.toBytes(new MatchChange(late, 1, q.id(),
                Change.AFFECTED, q.places(), false, Instant.now().minus(Duration.ofMinutes(15)))), Map.of(),
                System.currentTimeMillis() - Duration.ofMinutes(15).toMillis());
        Thread.sleep(1500);
        publish(event(late, 1, EventKind.GAS_OUTAGE, EventStatus.ACTIVE));
        assertThat(jobs(Set.of(q.id()), 1)).extracting(NotificationJob::eventId).containsExactly(late);
    }

    @Test
    void aCrashBetweenTheBrokerAndTheLedgerReEmitsTheSameJobIds() throws Exception {
        var people = new ArrayList<Person>();
        for (int i = 0; i < 5; i++) {
            people.add(person("Pia" + i, "it", sms("+39333100000" + i, null) + "," + email("pia" + i + "-" + run
                    + "@example.org"), "\"POWER_OUTAGE\"", null));
        }
        String e = id("crash");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        Thread.sleep(1500);   // the revision is stored
        var batch = new ArrayList<ConsumerRecord<String, byte[]>>();
        long offset = 0;
        for (Person p : people) {
            batch.add(new ConsumerRecord<>(Topics.ALERTS_MATCHES, 0, offset++, p.id(), Json.toBytes(new MatchChange(e,
                    1, p.id(), Change.AFFECTED, p.places(), false, Instant.now()))));
        }
        dispatcher.handle(batch);
        // The process dies after the broker acknowledged the jobs and before the ledger committed: the database is
        // as it was before the batch, and the same matches come again.
        try (Connection c = db.getConnection()) {
            for (String table : List.of("ledger", "job", "event_count", "revision_dispatched", "event_tally")) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM dispatcher." + table
                        + " WHERE event_id = ?")) {
                    s.setString(1, e);
                    s.executeUpdate();
                }
            }
        }
        dispatcher.handle(batch);
        dispatcher.handle(batch);   // and once more after a normal redelivery

        Set<String> subscribers = people.stream().map(Person::id).collect(Collectors.toSet());
        List<NotificationJob> jobs = jobs(subscribers, 20);
        var expected = new java.util.HashSet<String>();
        for (Person p : people) {
            expected.add(notice(e, p.id(), Change.AFFECTED, 1, Channel.SMS));
            expected.add(notice(e, p.id(), Change.AFFECTED, 1, Channel.EMAIL));
        }
        assertThat(jobs).hasSize(20);   // each notice emitted twice: before and after the crash, never a third time
        assertThat(ids(jobs)).isEqualTo(expected);
        // and counted once each
        assertThat(given().header("Authorization", ADMIN).get("/v1/events/" + e + "/stats").then().statusCode(200)
                .extract().jsonPath().getInt("notifiedTotal")).isEqualTo(10);
    }

    @Test
    void theCountsFoldWithoutChangingTheirSums() throws Exception {
        String e = id("fold");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                INSERT INTO dispatcher.event_count (event_id, channel, change, notified, sent, delivered, failed, read,
                                                   clicked, finished)
                SELECT ?, CASE WHEN i % 2 = 0 THEN 'SMS' ELSE 'EMAIL' END, 'AFFECTED', i, 1, 1, 0, i % 3, 0, 1
                FROM generate_series(1, 100) AS i""")) {
            s.setString(1, e);
            s.executeUpdate();
        }
        JsonPath before = awaitStats(e);
        stats.fold(e);
        JsonPath after = awaitStats(e);
        for (String count : List.of("notified.SMS", "notified.EMAIL", "sent", "delivered", "read", "backlog.SMS")) {
            assertThat(after.getLong(count)).as(count).isEqualTo(before.getLong(count));
        }
        assertThat(after.getLong("notified.SMS")).isEqualTo(2550);   // 2 + 4 + ... + 100
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM dispatcher.event_count WHERE event_id = ?")) {
            s.setString(1, e);
            try (var rows = s.executeQuery()) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(2);
            }
        }
    }

    @Inject
    Retention retention;

    /**
     * Who was inside an event's area and what they were told is forgotten once the event has been over for the
     * retention period (90 days), and each job row once it is that old; before then nothing goes. An alert that only
     * expires keeps its ledger until it has been expired that long. The event's counts of notices stay: its
     * statistics read the same afterwards.
     */
    @Test
    void anEventsTracesAreForgottenAfterTheRetentionPeriodAndItsCountsStay() throws Exception {
        Person rita = person("Rita", "it", sms("+393330000090", null), "\"POWER_OUTAGE\"", null);
        String over = id("over");
        String ongoing = id("ongoing");
        publish(event(over, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        publish(event(over, 2, EventKind.POWER_OUTAGE, EventStatus.RESOLVED));
        // an alert that only expires (in an hour) is not over at once: its publisher may still extend or end it
        publish(new AlertEvent(ongoing, 1, "pub-dispatch", "oms-" + ongoing, EventKind.POWER_OUTAGE,
                EventStatus.ACTIVE, Severity.MODERATE, Urgency.EXPECTED, false, null, "Quartiere Cristo",
                Map.of("it", "Guasto", "en", "Fault"), Map.of(), Instant.now(), null,
                Instant.now().plus(1, java.time.temporal.ChronoUnit.HOURS), Instant.now(), Instant.now(), List.of(),
                null));
        match(over, 1, rita, Change.AFFECTED);
        match(over, 2, rita, Change.RESOLVED);
        match(ongoing, 1, rita, Change.AFFECTED);
        List<NotificationJob> jobs = jobs(Set.of(rita.id()), 3);
        assertThat(jobs).hasSize(3);
        awaitTold(over, rita, "RESOLVED");
        awaitTold(ongoing, rita, "AFFECTED");
        JsonPath before = statsOnce(over, st -> st.getInt("notifiedTotal") == 2);
        assertThat(before.getInt("notifiedTotal")).isEqualTo(2);

        // 30 days on: everything is kept
        retention.sweep(Instant.now().plus(30, java.time.temporal.ChronoUnit.DAYS));
        assertThat(ledgerRows(rita, over)).isEqualTo(1);
        assertThat(jobRows(jobs)).isEqualTo(3);

        // 90 days and 10 minutes on: the ended event's ledger and every job row of then are gone; the alert that
        // expired less than 90 days before (its expiry is an hour after now) keeps its ledger
        Retention.Swept swept = retention.sweep(Instant.now().plus(90, java.time.temporal.ChronoUnit.DAYS)
                .plus(10, java.time.temporal.ChronoUnit.MINUTES));
        assertThat(swept.events()).isGreaterThanOrEqualTo(1);
        assertThat(ledgerRows(rita, over)).isZero();
        assertThat(jobRows(jobs)).isZero();
        assertThat(ledgerRows(rita, ongoing)).isEqualTo(1);
        // 91 days on: it has been expired for the period too, and is forgotten as an ended one
        retention.sweep(Instant.now().plus(91, java.time.temporal.ChronoUnit.DAYS));
        assertThat(ledgerRows(rita, ongoing)).isZero();
        JsonPath after = given().header("Authorization", ADMIN).get("/v1/events/" + over + "/stats").then()
                .statusCode(200).extract().jsonPath();
        assertThat(after.getInt("notifiedTotal")).isEqualTo(2);
        assertThat(after.getInt("matched")).isEqualTo(before.getInt("matched"));
        assertThat(after.getMap("notified")).isEqualTo(before.getMap("notified"));
        assertThat(after.getMap("notifiedPerChange")).isEqualTo(before.getMap("notifiedPerChange"));
        // erasing her afterwards finds nothing left of the forgotten events, and does not fail
        given().header("Authorization", ADMIN).delete("/v1/subscribers/" + rita.id()).then().statusCode(204);
    }

    private long ledgerRows(Person person, String eventId) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM dispatcher.ledger WHERE event_id = ? AND subscriber_id = ?")) {
            s.setString(1, eventId);
            s.setObject(2, UUID.fromString(person.id()));
            try (var rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private long jobRows(List<NotificationJob> jobs) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM dispatcher.job WHERE job_id = ANY (?::uuid[])")) {
            s.setArray(1, c.createArrayOf("uuid", jobs.stream().map(j -> UUID.fromString(j.jobId())).toArray()));
            try (var rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** The event's statistics once {@code until} holds of them (or after 30 s, as they are then). */
    private static JsonPath statsOnce(String eventId, java.util.function.Predicate<JsonPath> until)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        JsonPath stats;
        do {
            Thread.sleep(300);
            stats = given().header("Authorization", ADMIN).get("/v1/events/" + eventId + "/stats").then()
                    .statusCode(200).extract().jsonPath();
        } while (!until.test(stats) && System.currentTimeMillis() < deadline);
        return stats;
    }

    private static JsonPath awaitStats(String eventId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            var response = given().header("Authorization", ADMIN).get("/v1/events/" + eventId + "/stats");
            if (response.statusCode() == 200 || System.currentTimeMillis() > deadline) {
                return response.then().statusCode(200).extract().jsonPath();
            }
            Thread.sleep(200);
        }
    }

    /**
     * Rule 8, and rule 7's emergencies: a prioritised person's notice, and every notice of an emergency (as grave as
     * to wake people in their quiet hours) but its end, go on the channel's urgent topic, which the sender serves
     * before the bulk; any other notice goes on the bulk topic.
     */
    @Test
    void prioritisedPeopleAndEmergenciesGoOnTheUrgentTopic() throws Exception {
        Person plain = person("Ugo", "it", sms("+393330000091", null), "\"POWER_OUTAGE\"", null);
        Person prioritised = person("Ada", "it", sms("+393330000092", null), "\"POWER_OUTAGE\"", null);
        String outage = id("urgent-moderate");
        String storm = id("urgent-extreme");
        try (var bulk = new TopicReader(Channel.SMS.jobsTopic());
             var urgent = new TopicReader(Channel.SMS.urgentJobsTopic())) {
            publish(event(outage, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
            match(outage, 1, plain, Change.AFFECTED);
            TopicWriter.send(Topics.ALERTS_MATCHES, prioritised.id(), Json.toBytes(new MatchChange(outage, 1,
                    prioritised.id(), Change.AFFECTED, prioritised.places(), true, Instant.now())));
            publish(event(storm, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, Severity.EXTREME, Urgency.IMMEDIATE,
                    false, null));
            match(storm, 1, plain, Change.AFFECTED);

            java.util.function.Function<ConsumerRecord<String, byte[]>, String> notice = r -> {
                NotificationJob job = Json.fromBytes(r.value(), NotificationJob.class);
                return (job.subscriberId().equals(plain.id()) ? "plain" : "prioritised") + "@"
                        + (outage.equals(job.eventId()) ? "outage" : "storm");
            };
            java.util.function.Predicate<ConsumerRecord<String, byte[]>> ours = r -> {
                String event = Json.fromBytes(r.value(), NotificationJob.class).eventId();
                return outage.equals(event) || storm.equals(event);
            };
            urgent.await(ours, 2, Duration.ofSeconds(30));
            bulk.await(ours, 1, Duration.ofSeconds(30));
            assertThat(urgent.drain(Duration.ofSeconds(1)).stream().filter(ours).map(notice))
                    .containsExactlyInAnyOrder("prioritised@outage", "plain@storm");
            assertThat(bulk.drain(Duration.ofSeconds(1)).stream().filter(ours).map(notice))
                    .containsExactly("plain@outage");

            // the outage ends as an emergency: its end follows the AFFECTED on the bulk, which it must not overtake
            publish(event(outage, 2, EventKind.POWER_OUTAGE, EventStatus.RESOLVED, Severity.EXTREME,
                    Urgency.IMMEDIATE, false, null));
            match(outage, 2, plain, Change.RESOLVED);
            java.util.function.Predicate<ConsumerRecord<String, byte[]>> end = r -> ours.test(r)
                    && Json.fromBytes(r.value(), NotificationJob.class).change() == Change.RESOLVED;
            bulk.await(end, 1, Duration.ofSeconds(30));
            assertThat(urgent.drain(Duration.ofSeconds(1)).stream().filter(end)).isEmpty();
        }
    }

    /**
     * An active event whose counts stay still is published again once per heartbeat (3 s in the test profile), so
     * that a dashboard can tell current figures from stale ones; an ended or expired event is not.
     */
    @Test
    void anActiveEventsStatisticsAreRepeatedOncePerHeartbeatAndAnEndedOnesAreNot() throws Exception {
        String live = id("heartbeat-live");
        String ended = id("heartbeat-ended");
        String expired = id("heartbeat-expired");
        try (var reader = new TopicReader(Topics.ALERTS_STATS)) {
            publish(event(live, 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE));
            publish(event(ended, 1, EventKind.WATER_OUTAGE, EventStatus.RESOLVED));
            publish(expiring(expired, 1, EventStatus.ACTIVE, Instant.now().minusSeconds(60)));
            var beats = reader.await(r -> live.equals(r.key()), 3, Duration.ofSeconds(30)).stream()
                    .map(r -> Json.fromBytes(r.value(), EventStats.class).at()).toList();
            assertThat(Duration.between(beats.get(0), beats.get(2)))
                    .as("two heartbeats after the first publication, unchanged counts")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(5_500));
            var all = reader.drain(Duration.ofSeconds(1));
            assertThat(all.stream().filter(r -> ended.equals(r.key()))).as("ended: published once").hasSize(1);
            assertThat(all.stream().filter(r -> expired.equals(r.key()))).as("expired: published once").hasSize(1);
        }
    }

    @Test
    void everyEventWithNewsReachesAlertsStatsWhateverTheirNumber() throws Exception {
        // the test profile recounts two events at a time: seven new events need several pages in one tick
        var events = new ArrayList<String>();
        for (int i = 0; i < 7; i++) {
            events.add(id("many-" + i));
            publish(event(events.get(i), 1, EventKind.WATER_OUTAGE, EventStatus.ACTIVE));
        }
        var seen = new java.util.HashSet<String>();
        try (var reader = new TopicReader(Topics.ALERTS_STATS)) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (seen.size() < events.size() && System.currentTimeMillis() < deadline) {
                reader.drain(Duration.ofMillis(500)).stream().map(ConsumerRecord::key).filter(events::contains)
                        .forEach(seen::add);
            }
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(events);
    }

    /**
     * An erasure and a batch of its person's notices never overlap: a batch waits for an erasure under way (and then
     * finds nobody), an erasure waits for the batches under way (and then deletes what they wrote).
     */
    @Test
    void anErasureAndABatchNeverOverlap() throws Exception {
        Person p = person("Bea", "it", sms("+393330000032", null), "\"POWER_OUTAGE\"", null);
        String e = id("fence");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        try (Connection erasing = db.getConnection()) {
            erasing.setAutoCommit(false);
            try (PreparedStatement s = erasing.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                s.setLong(1, org.allerta.dispatcher.registry.ErasureFence.KEY);
                s.execute();
            }
            match(e, 1, p, Change.AFFECTED);
            Thread.sleep(2000);
            assertThat(jobs(Set.of(p.id()), 0)).as("the batch waits for the erasure under way").isEmpty();
            erasing.commit();
        }
        assertThat(jobs(Set.of(p.id()), 1)).hasSize(1);

        // a batch held up for long (a broker away) does not hold the erasure, nor the batches behind it, for good
        try (Connection dispatching = db.getConnection()) {
            dispatching.setAutoCommit(false);
            try (PreparedStatement s = dispatching.prepareStatement("SELECT pg_advisory_xact_lock_shared(?)")) {
                s.setLong(1, org.allerta.dispatcher.registry.ErasureFence.KEY);
                s.execute();
            }
            given().header("Authorization", ADMIN).delete("/v1/subscribers/" + p.id()).then().statusCode(503)
                    .header("Retry-After", org.hamcrest.Matchers.notNullValue());
            dispatching.commit();
        }

        try (Connection dispatching = db.getConnection()) {
            dispatching.setAutoCommit(false);
            try (PreparedStatement s = dispatching.prepareStatement("SELECT pg_advisory_xact_lock_shared(?)")) {
                s.setLong(1, org.allerta.dispatcher.registry.ErasureFence.KEY);
                s.execute();
            }
            var erasure = java.util.concurrent.CompletableFuture.supplyAsync(() -> given()
                    .header("Authorization", ADMIN).delete("/v1/subscribers/" + p.id()).statusCode());
            Thread.sleep(1500);
            assertThat(erasure).as("the erasure waits for the batch under way").isNotDone();
            dispatching.commit();
            assertThat(erasure.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(204);
        }
    }

    /**
     * A receipt can come before its job's row (the rows are committed once the broker has every job of the batch, and
     * after a crash of the dispatcher only when the matches come again): it waits, without holding up the receipts
     * behind it, and counts once the row is there. One whose job never comes is dead-lettered after a day.
     */
    @Test
    void aReceiptBeforeItsJobWaitsForItAndOneWithoutAJobIsDeadLetteredAfterADay() throws Exception {
        Person p = person("Ada", "it", sms("+393330000031", null), "\"POWER_OUTAGE\"", null);
        String e = id("early-receipt");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        String jobId = notice(e, p.id(), Change.AFFECTED, 1, Channel.SMS);
        for (ReceiptStatus status : List.of(ReceiptStatus.SENT, ReceiptStatus.DELIVERED)) {
            TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, jobId, Json.toBytes(
                    new Receipt(jobId, Channel.SMS, e, status, null, "smsc-early", 1, Instant.now())));
        }
        Thread.sleep(3000);   // the receipts are consumed long before their job exists
        match(e, 1, p, Change.AFFECTED);
        assertThat(jobs(Set.of(p.id()), 1)).extracting(NotificationJob::jobId).containsExactly(jobId);
        JsonPath stats = statsOnce(e, st -> st.getInt("delivered") >= 1);
        assertThat(stats.getInt("sent")).isEqualTo(1);
        assertThat(stats.getInt("delivered")).isEqualTo(1);

        // a failure reported after the delivery (an attempt a crash left uncertain) does not make it both
        for (ReceiptStatus status : List.of(ReceiptStatus.FAILED, ReceiptStatus.READ)) {
            TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, jobId, Json.toBytes(
                    new Receipt(jobId, Channel.SMS, e, status, "UNCERTAIN", "smsc-early", 1, Instant.now())));
        }
        stats = statsOnce(e, st -> st.getInt("read") >= 1);
        assertThat(stats.getInt("read")).isEqualTo(1);
        assertThat(stats.getInt("failed")).as("delivered, so not failed").isZero();
        assertThat(stats.getInt("delivered")).isEqualTo(1);

        // a receipt for a job nobody emitted waits; a day later it goes to the dead letters with its reason
        String nobody = UUID.randomUUID().toString();
        TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, nobody, Json.toBytes(
                new Receipt(nobody, Channel.SMS, e, ReceiptStatus.DELIVERED, null, "smsc-none", 1, Instant.now())));
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            long waitDeadline = System.currentTimeMillis() + 30_000;
            while (waiting(nobody) == 0 && System.currentTimeMillis() < waitDeadline) {
                Thread.sleep(200);
            }
            assertThat(waiting(nobody)).isEqualTo(1);
            try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                    "UPDATE dispatcher.receipt_orphan SET received_at = now() - interval '25 hours' WHERE job_id = ?")) {
                s.setObject(1, UUID.fromString(nobody));
                s.executeUpdate();
            }
            var letter = Json.fromBytes(dlq.await(r -> nobody.equals(r.key()), 1, Duration.ofSeconds(30)).get(0).value(),
                    org.allerta.contracts.DeadLetter.class);
            assertThat(letter.source()).isEqualTo(Topics.NOTIFICATIONS_RECEIPTS);
            assertThat(letter.reasons().get(0).type()).endsWith("unknown-job");
        }
        assertThat(waiting(nobody)).isZero();
    }

    /**
     * A notice the sender did not send because an urgent one of a later revision reached its person first (FAILED,
     * SUPERSEDED) counts as superseded, not as failed, and no longer waits: the person heard the newer word.
     */
    @Test
    void aNoticeSupersededAtTheSenderIsNeitherFailedNorWaiting() throws Exception {
        Person p = person("Ugo", "it", sms("+393330000032", null), "\"POWER_OUTAGE\"", null);
        Person q = person("Lia", "it", sms("+393330000033", null), "\"POWER_OUTAGE\"", null);
        String e = id("superseded");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, p, Change.AFFECTED);
        match(e, 1, q, Change.AFFECTED);
        List<NotificationJob> jobs = jobs(Set.of(p.id(), q.id()), 2);
        assertThat(jobs).hasSize(2);
        String dropped = jobs.stream().filter(j -> j.subscriberId().equals(p.id())).findFirst().orElseThrow().jobId();
        String failed = jobs.stream().filter(j -> j.subscriberId().equals(q.id())).findFirst().orElseThrow().jobId();
        TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, dropped, Json.toBytes(new Receipt(dropped, Channel.SMS, e,
                ReceiptStatus.FAILED, "SUPERSEDED", null, 0, Instant.now())));
        TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, failed, Json.toBytes(new Receipt(failed, Channel.SMS, e,
                ReceiptStatus.FAILED, "MAX_ATTEMPTS: 503", null, 8, Instant.now())));
        JsonPath stats = statsOnce(e, st -> st.getInt("superseded") + st.getInt("failed") >= 2);
        assertThat(stats.getInt("superseded")).isEqualTo(1);
        assertThat(stats.getInt("failed")).isEqualTo(1);
        assertThat(stats.getInt("sent")).isZero();
        assertThat(stats.getInt("backlog.SMS")).as("neither waits any more").isZero();
    }

    private int waiting(String jobId) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM dispatcher.receipt_orphan WHERE job_id = ?")) {
            s.setObject(1, UUID.fromString(jobId));
            try (var rows = s.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    /**
     * A match that cannot be read goes to alerts.dlq with its reason, and the revision it names is still complete
     * once the consumer is past it: the statistics name it as the last revision processed instead of staying behind
     * it for the rest of the event.
     */
    @Test
    void anUnreadableMatchIsDeadLetteredAndItsRevisionStillCompletes() throws Exception {
        Person p = person("Nina", "it", sms("+393330000041", null), "\"POWER_OUTAGE\"", null);
        String e = id("poison");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        String poison = UUID.randomUUID().toString();
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            match(e, 1, p, Change.AFFECTED);
            TopicWriter.send(Topics.ALERTS_MATCHES, poison, ("{\"eventId\":\"" + e + "\",\"revision\":1,"
                    + "\"subscriberId\":\"" + poison + "\",\"change\":\"EXPLODED\",\"placeIds\":[]}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            TopicWriter.send(Topics.ALERTS_PROGRESS, e, Json.toBytes(new MatchProgress(e, 1, ProgressPhase.FINISHED,
                    Map.of(Change.AFFECTED, 2L), 2, Instant.now())));
            var letter = Json.fromBytes(dlq.await(r -> poison.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), org.allerta.contracts.DeadLetter.class);
            assertThat(letter.source()).isEqualTo(Topics.ALERTS_MATCHES);
            assertThat(letter.reasons().get(0).type()).endsWith("invalid-record");
        }
        assertThat(jobs(Set.of(p.id()), 1)).hasSize(1);
        JsonPath stats = statsOnce(e, st -> st.getLong("lastRevisionComplete") == 1);
        assertThat(stats.getLong("lastRevisionComplete")).isEqualTo(1);
        assertThat(stats.getInt("notifiedTotal")).isEqualTo(1);
    }

    @Test
    void clicksOpensReceiptsUnsubscribeAndStatistics() throws Exception {
        Person p = person("Rita", "it", sms("+393330000007", null) + "," + email("rita-" + run + "@example.org"),
                "\"POWER_OUTAGE\"", null);
        String e = id("stats");
        publish(event(e, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(e, 1, p, Change.AFFECTED);
        TopicWriter.send(Topics.ALERTS_PROGRESS, e, Json.toBytes(new MatchProgress(e, 1, ProgressPhase.FINISHED,
                Map.of(Change.AFFECTED, 1L), 1, Instant.now())));
        List<NotificationJob> jobs = jobs(Set.of(p.id()), 2);
        NotificationJob sms = jobs.stream().filter(j -> j.channel() == Channel.SMS).findFirst().orElseThrow();
        NotificationJob mail = jobs.stream().filter(j -> j.channel() == Channel.EMAIL).findFirst().orElseThrow();

        // the send plan: the sender reports 42 s to drain its SMS queue; this event has one SMS and one e-mail waiting
        TopicWriter.send(Topics.NOTIFICATIONS_BACKLOG, "SMS", Json.toBytes(new org.allerta.contracts.ChannelBacklog(
                Channel.SMS, null, 4200, 100, 42.0, Instant.now())));
        JsonPath plan = statsOnce(e, st -> st.get("estimatedDrainSeconds.SMS") != null);
        assertThat(plan.getInt("backlog.SMS")).isEqualTo(1);
        assertThat(plan.getInt("backlog.EMAIL")).isEqualTo(1);
        assertThat(plan.getDouble("estimatedDrainSeconds.SMS")).isEqualTo(42.0);
        // the plan moves on alerts.stats too, though no count of the event changed
        try (var reader = new TopicReader(Topics.ALERTS_STATS)) {
            TopicWriter.send(Topics.NOTIFICATIONS_BACKLOG, "SMS", Json.toBytes(new org.allerta.contracts.ChannelBacklog(
                    Channel.SMS, null, 8400, 100, 84.0, Instant.now())));
            reader.await(r -> e.equals(r.key()) && Double.valueOf(84.0).equals(
                    Json.fromBytes(r.value(), EventStats.class).estimatedDrainSeconds().get(Channel.SMS)), 1,
                    Duration.ofSeconds(30));
        }
        // a plan the sender has not renewed for a while (stopped) is no estimate any more
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "UPDATE dispatcher.channel_backlog SET at = now() - interval '10 minutes' WHERE channel = 'SMS'")) {
            s.executeUpdate();
        }
        JsonPath stale = statsOnce(e, st -> st.get("estimatedDrainSeconds.SMS") == null);
        assertThat((Object) stale.get("estimatedDrainSeconds.SMS")).isNull();
        assertThat(stale.getInt("backlog.SMS")).isEqualTo(1);
        // with the sender's position and end in each partition, the event's estimate is the share of the queue sent
        // before its last job: here at most 10 in its partition and as many from another one, read side by side, of
        // the 4,200 waiting, a hundredth of a second each, not the whole 42 s
        ConsumerRecord<String, byte[]> smsRecord;
        try (var reader = new TopicReader(Channel.SMS.jobsTopic())) {
            smsRecord = reader.await(r -> p.id().equals(r.key())
                    && e.equals(Json.fromBytes(r.value(), NotificationJob.class).eventId()), 1,
                    Duration.ofSeconds(30)).get(0);
        }
        long position = Math.max(0, smsRecord.offset() - 9);
        long ahead = smsRecord.offset() + 1 - position;
        int other = (smsRecord.partition() + 1) % 6;
        TopicWriter.send(Topics.NOTIFICATIONS_BACKLOG, "SMS", Json.toBytes(new org.allerta.contracts.ChannelBacklog(
                Channel.SMS, null, 4200, 100, 42.0, Instant.now(), Map.of(smsRecord.partition(), position, other, 0L),
                Map.of(smsRecord.partition(), smsRecord.offset() + 1, other, 4200 - ahead))));
        JsonPath share = statsOnce(e, st -> st.get("estimatedDrainSeconds.SMS") != null);
        assertThat(share.getDouble("estimatedDrainSeconds.SMS")).isCloseTo(42.0 * 2 * ahead / 4200,
                org.assertj.core.api.Assertions.within(1e-6));
        // 300 more waiting than the bulk topic holds: urgent jobs (ADR 5), which go before the event's too
        TopicWriter.send(Topics.NOTIFICATIONS_BACKLOG, "SMS", Json.toBytes(new org.allerta.contracts.ChannelBacklog(
                Channel.SMS, null, 4500, 100, 45.0, Instant.now(), Map.of(smsRecord.partition(), position, other, 0L),
                Map.of(smsRecord.partition(), smsRecord.offset() + 1, other, 4200 - ahead))));
        JsonPath behindUrgent = statsOnce(e, st -> st.get("estimatedDrainSeconds.SMS") != null
                && Math.abs(st.getDouble("estimatedDrainSeconds.SMS") - 45.0 * (2 * ahead + 300) / 4500) < 1e-6);
        assertThat(behindUrgent.getDouble("estimatedDrainSeconds.SMS")).isCloseTo(45.0 * (2 * ahead + 300) / 4500,
                org.assertj.core.api.Assertions.within(1e-6));
        // the sender past that job (sent, its receipt not yet in): the event's own waiting job is all that is left
        TopicWriter.send(Topics.NOTIFICATIONS_BACKLOG, "SMS", Json.toBytes(new org.allerta.contracts.ChannelBacklog(
                Channel.SMS, null, 4200, 100, 42.0, Instant.now(), Map.of(smsRecord.partition(),
                        smsRecord.offset() + 1), Map.of(smsRecord.partition(), smsRecord.offset() + 1))));
        JsonPath past = statsOnce(e, st -> st.get("estimatedDrainSeconds.SMS") != null
                && Math.abs(st.getDouble("estimatedDrainSeconds.SMS") - 0.01) < 1e-6);
        assertThat(past.getDouble("estimatedDrainSeconds.SMS")).isCloseTo(0.01,
                org.assertj.core.api.Assertions.within(1e-6));

        String token = sms.link().substring(sms.link().lastIndexOf('/') + 1);
        // behind a reverse proxy the request names the proxy's upstream; the link leads to the public address
        String base = sms.link().substring(0, sms.link().indexOf("/r/"));
        given().redirects().follow(false).header("Host", "backend.internal:9999").get("/r/" + token).then()
                .statusCode(303).header("Location", base + "/e/" + e);
        given().get("/e/" + e).then().statusCode(200).contentType(containsString("text/html"))
                .header("Cache-Control", "no-cache")
                .body(containsString("Guasto")).body(containsString("Quartiere Cristo"));
        given().get("/r/AAAAAAAAAAAAAAAAAAAAAA").then().statusCode(404);
        String mailToken = mail.link().substring(mail.link().lastIndexOf('/') + 1);
        given().get("/o/" + mailToken + ".gif").then().statusCode(200).contentType("image/gif");
        // a chat app's link preview, a link checker (HEAD) and a browser's prefetch of the e-mail's link are
        // answered, and nobody clicked: the counts below stay at one click
        given().redirects().follow(false).header("User-Agent", "TelegramBot (like TwitterBot)")
                .get("/r/" + mailToken).then().statusCode(303);
        given().redirects().follow(false).head("/r/" + mailToken).then().statusCode(303);
        given().redirects().follow(false).header("Sec-Purpose", "prefetch").get("/r/" + mailToken).then()
                .statusCode(303);

        for (Receipt r : List.of(
                new Receipt(sms.jobId(), Channel.SMS, e, ReceiptStatus.SENT, null, "smsc-1", 1, Instant.now()),
                new Receipt(sms.jobId(), Channel.SMS, e, ReceiptStatus.DELIVERED, null, "smsc-1", 1, Instant.now()),
                new Receipt(sms.jobId(), Channel.SMS, e, ReceiptStatus.DELIVERED, null, "smsc-1", 1, Instant.now()),
                new Receipt(mail.jobId(), Channel.EMAIL, e, ReceiptStatus.SENT, null, null, 1, Instant.now()))) {
            TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, r.jobId(), Json.toBytes(r));
        }
        JsonPath stats = statsOnce(e, st -> st.getInt("delivered") >= 2);
        assertThat(stats.getInt("matched")).isEqualTo(1);
        assertThat(stats.getInt("notified.SMS")).isEqualTo(1);
        assertThat(stats.getInt("notified.EMAIL")).isEqualTo(1);
        assertThat(stats.getInt("notifiedTotal")).isEqualTo(2);
        assertThat(stats.getInt("sent")).isEqualTo(2);
        assertThat(stats.getInt("delivered")).isEqualTo(2);   // the SMS receipt, and the opened e-mail
        assertThat(stats.getInt("read")).isEqualTo(1);
        assertThat(stats.getInt("clicked")).isEqualTo(1);
        assertThat(stats.getDouble("rates.read")).isEqualTo(0.5);
        assertThat(stats.getDouble("rates.clicked")).isEqualTo(0.5);
        assertThat(stats.getLong("lastRevisionComplete")).isEqualTo(1);
        assertThat(stats.getInt("backlog.SMS")).isZero();
        assertThat(stats.getInt("backlog.EMAIL")).isZero();
        assertThat(stats.getDouble("estimatedDrainSeconds.SMS")).isZero();

        // dashboards get the same counts on alerts.stats, though only receipts, an open and a click moved them
        try (var reader = new TopicReader(Topics.ALERTS_STATS)) {
            reader.await(r -> {
                if (!e.equals(r.key())) {
                    return false;
                }
                EventStats published = Json.fromBytes(r.value(), EventStats.class);
                // the rates travel with the counts: a dashboard reads them as they are
                var raw = Json.fromBytes(r.value(), com.fasterxml.jackson.databind.JsonNode.class);
                return published.delivered() == 2 && published.read() == 1 && published.clicked() == 1
                        && published.sent() == 2 && published.notifiedTotal() == 2
                        && published.lastRevisionComplete() == 1 && raw.path("notifiedTotal").asLong() == 2
                        && raw.path("rates").path("read").asDouble() == 0.5
                        && raw.path("rates").path("delivered").asDouble() == 1.0;
            }, 1, Duration.ofSeconds(30));
            // nothing is waiting any more: only the click itself can bring this one to the topic
            given().redirects().follow(false).get("/r/" + mailToken).then().statusCode(303);
            reader.await(r -> e.equals(r.key()) && Json.fromBytes(r.value(), EventStats.class).clicked() == 2, 1,
                    Duration.ofSeconds(30));
        }

        // the event's publisher may read the statistics; another publisher may not
        String key = "pub-key-" + run;
        TopicWriter.send(Topics.PUBLISHERS, "pub-dispatch", Json.toBytes(new Publisher("pub-dispatch",
                "Distribuzione Elettrica", ApiKeys.sha256(key), Set.of(EventKind.POWER_OUTAGE), null, 100, false, true,
                Instant.now())));
        TopicWriter.send(Topics.PUBLISHERS, "pub-other", Json.toBytes(new Publisher("pub-other", "Altro",
                ApiKeys.sha256("other-" + key), Set.of(EventKind.POWER_OUTAGE), null, 100, false, true,
                Instant.now())));
        long deadline = System.currentTimeMillis() + 30_000;
        while (given().header("Authorization", "Bearer " + key).get("/v1/events/" + e + "/stats").statusCode() != 200) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(300);
        }
        deadline = System.currentTimeMillis() + 30_000;
        while (given().header("Authorization", "Bearer other-" + key).get("/v1/events/" + e + "/stats")
                .statusCode() != 404) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(300);
        }
        given().get("/v1/events/" + e + "/stats").then().statusCode(401);

        // the tracked link's token does not unsubscribe: a forwarded message cannot switch the person off
        given().get("/u/" + mailToken).then().statusCode(404);
        given().contentType(ContentType.URLENC).formParam("List-Unsubscribe", "One-Click")
                .post("/u/" + token).then().statusCode(404);
        // one-click unsubscribe of the e-mail (its List-Unsubscribe header): the next notice goes by SMS only
        String header = mail.headers().get("List-Unsubscribe");
        String unsubscribe = header.substring(header.lastIndexOf('/') + 1, header.length() - 1);
        assertThat(unsubscribe).isNotEqualTo(mailToken);
        assertThat(mail.html()).contains("/u/" + unsubscribe);
        given().get("/u/" + unsubscribe).then().statusCode(200).body(containsString("<form method=\"post\""));
        try (var withdrawals = new TopicReader(Topics.SUBSCRIBERS_ERASED)) {
            // while a batch is under way (it may have read the e-mail channel and not yet made its jobs), the
            // unsubscribe waits for it: its time, which withdraws the queued e-mails, comes after that batch's jobs
            Instant released;
            try (java.sql.Connection batch = db.getConnection()) {
                batch.setAutoCommit(false);
                org.allerta.dispatcher.registry.ErasureFence.pass(batch);
                var unsubscribing = java.util.concurrent.CompletableFuture.supplyAsync(() -> given()
                        .contentType(ContentType.URLENC).formParam("List-Unsubscribe", "One-Click")
                        .post("/u/" + unsubscribe).then().extract().statusCode());
                Thread.sleep(1500);
                assertThat(unsubscribing).as("the unsubscribe waits for the batch under way").isNotDone();
                released = Instant.now();
                batch.commit();
                assertThat(unsubscribing.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
            }
            // the e-mails still queued for the person are withdrawn at the sender; nothing else of theirs
            var withdrawal = Json.fromBytes(withdrawals.await(r -> p.id().equals(r.key()), 1, Duration.ofSeconds(30))
                    .get(0).value(), org.allerta.contracts.SubscriberErased.class);
            assertThat(withdrawal.channel()).isEqualTo(Channel.EMAIL);
            assertThat(withdrawal.subscriberId()).isEqualTo(p.id());
            assertThat(withdrawal.erasedAt()).isAfterOrEqualTo(released);
        }
        String next = id("next");
        publish(event(next, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(next, 1, p, Change.AFFECTED);
        List<NotificationJob> after = jobs(Set.of(p.id()), 3).stream().filter(j -> j.eventId().equals(next)).toList();
        assertThat(after).extracting(NotificationJob::channel).containsExactly(Channel.SMS);

        // "stop" pressed by mistake: a fresh code to the address, confirmed, brings the e-mail back
        JsonPath registered = given().header("Authorization", ADMIN).get("/v1/subscribers/" + p.id()).then()
                .statusCode(200).extract().jsonPath();
        String mailChannel = registered.getString("channels.find { it.type == 'EMAIL' }.id");
        assertThat(registered.getString("channels.find { it.type == 'EMAIL' }.unsubscribedAt")).isNotNull();
        NotificationJob code;
        try (var reader = new TopicReader(Channel.EMAIL.urgentJobsTopic())) {
            given().header("Authorization", "Bearer test-app-key")
                    .post("/v1/subscribers/" + p.id() + "/channels/" + mailChannel + "/code").then().statusCode(202);
            code = Json.fromBytes(reader.await(r -> p.id().equals(r.key()) && Json.fromBytes(r.value(),
                    NotificationJob.class).purpose() == org.allerta.contracts.JobPurpose.VERIFICATION, 1,
                    Duration.ofSeconds(30)).get(0).value(), NotificationJob.class);
        }
        var digits = java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(code.text());
        assertThat(digits.find()).isTrue();
        given().header("Authorization", "Bearer test-app-key").contentType(ContentType.JSON)
                .body("{\"code\": \"" + digits.group(1) + "\"}")
                .post("/v1/subscribers/" + p.id() + "/channels/" + mailChannel + "/verify").then().statusCode(200)
                .body("channels.find { it.type == 'EMAIL' }.unsubscribedAt", org.hamcrest.Matchers.nullValue());
        String again = id("again");
        publish(event(again, 1, EventKind.POWER_OUTAGE, EventStatus.ACTIVE));
        match(again, 1, p, Change.AFFECTED);
        assertThat(jobs(Set.of(p.id()), 5).stream().filter(j -> j.eventId().equals(again))
                .map(NotificationJob::channel)).containsExactlyInAnyOrder(Channel.SMS, Channel.EMAIL);

        // a link sent before tokens were encrypted job ids (kept as a hash) still leads to its event
        String legacy = "LegacyLinkSentLastYear";
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                INSERT INTO dispatcher.job (job_id, token_sha256, purpose, event_id, revision, change, channel,
                                            created_at)
                VALUES (?, ?, 'NOTICE', ?, 1, 'AFFECTED', 'SMS', now())""")) {
            s.setObject(1, UUID.randomUUID());
            s.setBytes(2, org.allerta.dispatcher.tracking.Tokens.legacyHash(legacy));
            s.setString(3, e);
            s.executeUpdate();
        }
        given().redirects().follow(false).get("/r/" + legacy).then().statusCode(303)
                .header("Location", containsString("/e/" + e));

        // erasure leaves the person's notices as anonymous counts, in every event
        given().header("Authorization", ADMIN).delete("/v1/subscribers/" + p.id()).then().statusCode(204);
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT count(*) FILTER (WHERE subscriber_id IS NOT NULL OR channel_id IS NOT NULL), count(*)
                FROM dispatcher.job WHERE job_id = ANY (?)""")) {
            s.setArray(1, c.createArrayOf("uuid", List.of(sms.jobId(), mail.jobId(), after.get(0).jobId())
                    .stream().map(UUID::fromString).toArray()));
            try (var rows = s.executeQuery()) {
                rows.next();
                assertThat(rows.getLong(1)).as("job rows still naming the person").isZero();
                assertThat(rows.getLong(2)).as("job rows kept as counts").isEqualTo(3);
            }
        }
    }

    @Test
    void theLedgerIsProbedByKeyWhateverItsSize() throws Exception {
        try (Connection c = db.getConnection()) {
            try (var s = c.createStatement(); var rows = s.executeQuery(
                    "SELECT current_setting('plan_cache_mode'), current_setting('random_page_cost')")) {
                rows.next();
                assertThat(rows.getString(1)).as("statements planned for the tables as they are now")
                        .isEqualTo("force_custom_plan");
                assertThat(rows.getString(2)).isEqualTo("1.1");
            }
            c.setAutoCommit(false);
            try {
                // one event's ledger at 30,000 people, and a batch of 2,000 to look up in it
                String event = "plan-" + run;
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO dispatcher.ledger (event_id, subscriber_id, told, last_revision, last_change)
                        SELECT ?, gen_random_uuid(), 'AFFECTED', 1, 'AFFECTED' FROM generate_series(1, 30000)""")) {
                    s.setString(1, event);
                    s.executeUpdate();
                }
                try (var s = c.createStatement()) {
                    s.execute("ANALYZE dispatcher.ledger");
                }
                String[] events = new String[2000];
                UUID[] people = new UUID[2000];
                for (int i = 0; i < events.length; i++) {
                    events[i] = event;
                    people[i] = UUID.randomUUID();
                }
                assertThat(plan(c, events, people)).as("the planner's own choice, the reason for the guard")
                        .contains("Seq Scan on ledger");
                MatchDispatcher.probeByKey(c);
                assertThat(plan(c, events, people)).contains("Index Scan using ledger_pkey on ledger")
                        .doesNotContain("Seq Scan on ledger");
                MatchDispatcher.planAsUsual(c);
                assertThat(plan(c, events, people)).contains("Seq Scan on ledger");
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
    }

    private static String plan(Connection c, String[] events, UUID[] people) throws Exception {
        try (PreparedStatement s = c.prepareStatement("EXPLAIN " + MatchDispatcher.LEDGER_LOOKUP)) {
            s.setArray(1, c.createArrayOf("text", events));
            s.setArray(2, c.createArrayOf("uuid", people));
            var plan = new StringBuilder();
            try (var rows = s.executeQuery()) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            return plan.toString();
        }
    }
}
