package org.allerta.intake.raw;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.intake.Features;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.junit.jupiter.api.Test;

/** Publishers writing straight to intake.raw, signed with their signing secret. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class RawIntakeTest {

    private static final String SECRET = "test-signing-secret";

    static String hmac(byte[] payload, String secret) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(payload));
    }

    static void send(String key, byte[] payload, String publisher, String signature) throws Exception {
        var headers = new java.util.HashMap<String, String>();
        if (publisher != null) {
            headers.put(RawIntake.PUBLISHER_HEADER, publisher);
        }
        if (signature != null) {
            headers.put(RawIntake.SIGNATURE_HEADER, signature);
        }
        TopicWriter.send(Topics.INTAKE_RAW, key, payload, headers);
    }

    static void sendSigned(String key, byte[] payload) throws Exception {
        send(key, payload, "dev-publisher", "sha256=" + hmac(payload, SECRET));
    }

    private static boolean eventFor(org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> r, String id) {
        return Json.fromBytes(r.value(), AlertEvent.class).publisherEventId().equals(id);
    }

    /** A Feature on intake.raw as a publisher writes it: its id and the time it was sent inside the signed value. */
    private static byte[] signedFeature(String id) {
        return Features.outage(id).property("sentAt", Instant.now().toString()).json().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void acceptsASignedFeatureAndASignedCapAlert() throws Exception {
        String id = "RAW-" + UUID.randomUUID();
        sendSigned(id, signedFeature(id));
        String capId = "CAPRAW-" + UUID.randomUUID();
        byte[] cap = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
                + "<identifier>" + capId + "</identifier><sender>pc@example.org</sender>"
                + "<sent>2026-11-28T08:00:00+01:00</sent><status>Actual</status><msgType>Alert</msgType>"
                + "<scope>Public</scope><info><category>Met</category><event>Neve</event><urgency>Expected</urgency>"
                + "<severity>Moderate</severity><certainty>Likely</certainty><headline>Neve</headline><area>"
                + "<areaDesc>Centro</areaDesc><polygon>44.90,8.60 44.90,8.62 44.92,8.62 44.90,8.60</polygon>"
                + "</area></info></alert>").getBytes(StandardCharsets.UTF_8);
        sendSigned(capId, cap);
        try (var reader = new TopicReader(Topics.ALERTS_EVENTS)) {
            reader.await(r -> eventFor(r, id), 1, Duration.ofSeconds(30));
            reader.await(r -> eventFor(r, "pc@example.org," + capId + ",2026-11-28T08:00:00+01:00"), 1,
                    Duration.ofSeconds(30));
        }
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    private String root() {
        String text = url.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    @Test
    void deadLettersBadlySignedAndPoisonRecordsAndGoesOn() throws Exception {
        var badSignatures = java.util.Map.of("source", Topics.INTAKE_RAW, "type", "bad-signature");
        double before = org.allerta.testsupport.Meters.value(root(), "allerta_dead_letters_total", badSignatures);
        String forged = "FORGED-" + UUID.randomUUID();
        byte[] feature = signedFeature(forged);
        send(forged, feature, "dev-publisher", hmac(feature, "not-the-secret"));
        String poison = "POISON-" + UUID.randomUUID();
        sendSigned(poison, new byte[] {(byte) 0xff, 0x00, '{', (byte) 0xfe});
        String unknown = "UNKNOWN-" + UUID.randomUUID();
        send(unknown, feature, "nobody", hmac(feature, SECRET));
        String hugeKey = "HUGE-" + UUID.randomUUID();
        byte[] hugeFeature = signedFeature(hugeKey);
        byte[] padded = java.util.Arrays.copyOf(hugeFeature, 800_000);
        java.util.Arrays.fill(padded, hugeFeature.length, padded.length, (byte) ' ');
        send(hugeKey, padded, "nobody", hmac(padded, SECRET));
        String after = "AFTER-" + UUID.randomUUID();
        sendSigned(after, signedFeature(after));

        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            DeadLetter badSignature = Json.fromBytes(dlq.await(r -> forged.equals(r.key()), 1,
                    Duration.ofSeconds(30)).get(0).value(), DeadLetter.class);
            assertThat(badSignature.reasons().get(0).type()).isEqualTo("urn:allerta:problem:bad-signature");
            assertThat(badSignature.payload()).contains(forged);
            assertThat(badSignature.headers()).containsOnlyKeys(RawIntake.PUBLISHER_HEADER)
                    .doesNotContainKey(RawIntake.SIGNATURE_HEADER);
            assertThat(badSignature.source()).isEqualTo(Topics.INTAKE_RAW);
            assertThat(org.allerta.testsupport.Meters.value(root(), "allerta_dead_letters_total", badSignatures))
                    .as("counted for the operator, by topic and reason").isEqualTo(before + 1);

            DeadLetter garbage = Json.fromBytes(dlq.await(r -> poison.equals(r.key()), 1,
                    Duration.ofSeconds(30)).get(0).value(), DeadLetter.class);
            assertThat(garbage.reasons().get(0).type()).isEqualTo("urn:allerta:problem:unparseable");
            assertThat(garbage.payloadEncoding()).isEqualTo("base64");

            // a payload too large to keep whole in a letter keeps its digest: the letter must fit where it goes
            DeadLetter huge = Json.fromBytes(dlq.await(r -> hugeKey.equals(r.key()), 1,
                    Duration.ofSeconds(30)).get(0).value(), DeadLetter.class);
            assertThat(huge.payloadEncoding()).isEqualTo("digest");
            assertThat(huge.payload()).startsWith("sha256:").hasSize(7 + 64);

            DeadLetter nobody = Json.fromBytes(dlq.await(r -> unknown.equals(r.key()), 1,
                    Duration.ofSeconds(30)).get(0).value(), DeadLetter.class);
            assertThat(nobody.reasons().get(0).type()).isEqualTo("urn:allerta:problem:unknown-publisher");
            assertThat(new String(Json.toBytes(nobody), StandardCharsets.UTF_8)).doesNotContain(SECRET);
        }
        try (var events = new TopicReader(Topics.ALERTS_EVENTS)) {
            events.await(r -> eventFor(r, after), 1, Duration.ofSeconds(30));
        }
    }

    @jakarta.inject.Inject
    io.agroal.api.AgroalDataSource db;

    /**
     * A row of the outbox that the broker would never take (larger than a record may be) is dead-lettered with its
     * digest instead of being tried again forever, which would hold back every event behind it.
     */
    @Test
    void anOutboxRowTooLargeForTheBrokerIsDeadLetteredAndTheEventsBehindItFlow() throws Exception {
        String key = "TOO-LARGE-" + UUID.randomUUID();
        byte[] payload = new byte[1_500_000];
        java.util.Arrays.fill(payload, (byte) 'x');
        try (var c = db.getConnection(); var s = c.prepareStatement(
                "INSERT INTO intake.outbox (topic, record_key, payload) VALUES (?, ?, ?)")) {
            s.setString(1, Topics.ALERTS_EVENTS);
            s.setString(2, key);
            s.setBytes(3, payload);
            s.executeUpdate();
        }
        String after = "BEHIND-" + UUID.randomUUID();
        sendSigned(after, signedFeature(after));
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            DeadLetter letter = Json.fromBytes(dlq.await(r -> key.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), DeadLetter.class);
            assertThat(letter.source()).isEqualTo(Topics.ALERTS_EVENTS);
            assertThat(letter.reasons().get(0).type()).isEqualTo("urn:allerta:problem:record-too-large");
            assertThat(letter.payloadEncoding()).isEqualTo("digest");
        }
        try (var events = new TopicReader(Topics.ALERTS_EVENTS)) {
            events.await(r -> eventFor(r, after), 1, Duration.ofSeconds(30));
        }
        try (var c = db.getConnection(); var s = c.prepareStatement(
                "SELECT count(*) FROM intake.outbox WHERE record_key = ?")) {
            s.setString(1, key);
            try (var rows = s.executeQuery()) {
                rows.next();
                assertThat(rows.getLong(1)).isZero();
            }
        }
    }

    /**
     * A key the database cannot store (a NUL character) fails even the writing of the record's dead letter: the
     * consumer tries it a few times, then dead-letters it straight to the broker with the error, and goes on.
     */
    @Test
    void aRecordThatKeepsFailingIsDeadLetteredWithTheErrorAndConsumptionGoesOn() throws Exception {
        String nul = "NUL\u0000" + UUID.randomUUID();
        send(nul, "{}".getBytes(StandardCharsets.UTF_8), null, null);
        String after = "AFTER-NUL-" + UUID.randomUUID();
        sendSigned(after, signedFeature(after));

        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            DeadLetter letter = Json.fromBytes(dlq.await(r -> nul.equals(r.key()), 1, Duration.ofSeconds(60))
                    .get(0).value(), DeadLetter.class);
            assertThat(letter.reasons().get(0).type()).isEqualTo("urn:allerta:problem:unprocessable-record");
            assertThat(letter.reasons().get(0).why()).startsWith("handling failed 3 times: ");
            assertThat(letter.source()).isEqualTo(Topics.INTAKE_RAW);
        }
        try (var events = new TopicReader(Topics.ALERTS_EVENTS)) {
            events.await(r -> eventFor(r, after), 1, Duration.ofSeconds(30));
        }
    }

    /**
     * The key is not signed: a signed value without its event id is refused rather than named by the key (a copy
     * under another key would be another event), and one without sentAt too (a copy replayed after a later revision
     * would undo it). With sentAt, an older copy replayed is stale.
     */
    @Test
    void aSignedValueMustNameItsEventAndWhenItWasSentSoThatACopyCannotBeReplayed() throws Exception {
        String unnamed = "UNNAMED-" + UUID.randomUUID();
        sendSigned(unnamed, Features.outage("x").without("publisherEventId").property("sentAt", Instant.now().toString())
                .json().getBytes(StandardCharsets.UTF_8));
        String undated = "UNDATED-" + UUID.randomUUID();
        sendSigned(undated, Features.outage(undated).json().getBytes(StandardCharsets.UTF_8));
        String id = "REPLAY-" + UUID.randomUUID();
        byte[] first = Features.outage(id).property("sentAt", "2026-11-28T10:00:00Z").json()
                .getBytes(StandardCharsets.UTF_8);
        byte[] resolved = Features.outage(id).property("sentAt", "2026-11-28T11:00:00Z").property("status", "RESOLVED")
                .json().getBytes(StandardCharsets.UTF_8);
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ); var events = new TopicReader(Topics.ALERTS_EVENTS)) {
            sendSigned(id, first);
            events.await(r -> eventFor(r, id), 1, Duration.ofSeconds(30));
            sendSigned(id, resolved);
            events.await(r -> eventFor(r, id) && Json.fromBytes(r.value(), AlertEvent.class).revision() == 2, 1,
                    Duration.ofSeconds(30));
            sendSigned(id + "-copy", first);   // the first record again, replayed under any key

            assertThat(Json.fromBytes(dlq.await(r -> unnamed.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), DeadLetter.class).reasons()).extracting(DeadLetter.Problem::where)
                    .contains("/properties/publisherEventId");
            assertThat(Json.fromBytes(dlq.await(r -> undated.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), DeadLetter.class).reasons()).extracting(DeadLetter.Problem::where)
                    .contains("/properties/sentAt");
            dlq.await(r -> (id + "-copy").equals(r.key()), 1, Duration.ofSeconds(30));
            assertThat(events.drain(Duration.ofSeconds(2)).stream().filter(r -> eventFor(r, id))
                    .map(r -> Json.fromBytes(r.value(), AlertEvent.class).revision())).as("no third revision")
                    .doesNotContain(3L);
        }
    }

    @Test
    void aValidButInvalidContentRecordIsDeadLetteredWithEveryReason() throws Exception {
        String id = "INVALID-" + UUID.randomUUID();
        byte[] feature = Features.outage(id).property("kind", "EARTHQUAKE").without("severity").json()
                .getBytes(StandardCharsets.UTF_8);
        sendSigned(id, feature);
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ)) {
            DeadLetter letter = Json.fromBytes(dlq.await(r -> id.equals(r.key()), 1, Duration.ofSeconds(30)).get(0)
                    .value(), DeadLetter.class);
            assertThat(letter.reasons()).extracting(DeadLetter.Problem::type)
                    .contains("urn:allerta:problem:invalid-kind", "urn:allerta:problem:missing-property");
        }
    }
}
