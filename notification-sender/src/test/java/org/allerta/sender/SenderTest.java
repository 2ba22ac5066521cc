package org.allerta.sender;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Channel;
import org.allerta.contracts.ChannelBacklog;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Topics;
import org.allerta.sender.channel.Signatures;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Jobs delivered over real SMTP and HTTP peers on loopback, each once, with receipts. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
@WithTestResource(Peers.class)
class SenderTest {

    private static NotificationJob job(Channel channel, String recipient, String text, Instant expiresAt) {
        String id = UUID.randomUUID().toString();
        return new NotificationJob(id, JobPurpose.NOTICE, channel, "ev-send", 1L, Change.AFFECTED,
                UUID.randomUUID().toString(), recipient, "it", "Interruzione di corrente - la tua casa",
                text, channel == Channel.EMAIL ? "<p>" + text + "</p>" : null,
                channel == Channel.EMAIL ? Map.of("List-Unsubscribe", "<https://allerta.example/u/tok>",
                        "List-Unsubscribe-Post", "List-Unsubscribe=One-Click") : Map.of(),
                "https://allerta.example/r/tok", false, expiresAt, Instant.now());
    }

    /** A push notice to this device token, valid for an hour. */
    private static NotificationJob push(String token, String text) {
        return job(Channel.PUSH, token, text, Instant.now().plusSeconds(3600));
    }

    private static void put(NotificationJob job) throws Exception {
        TopicWriter.send(job.channel().jobsTopic(), job.subscriberId(), Json.toBytes(job));
    }

    private static Receipt receipt(TopicReader reader, String jobId, ReceiptStatus status) {
        ConsumerRecord<String, byte[]> record = reader.await(r -> jobId.equals(r.key())
                && Json.fromBytes(r.value(), Receipt.class).status() == status, 1, Duration.ofSeconds(30)).get(0);
        return Json.fromBytes(record.value(), Receipt.class);
    }

    private static List<MimeMessage> mailTo(String address) {
        return Arrays.stream(Peers.mail.getReceivedMessages()).filter(m -> {
            try {
                return m.getAllRecipients()[0].toString().equals(address);
            } catch (Exception e) {
                return false;
            }
        }).toList();
    }

    @Test
    void anEmailArrivesOnceWithItsPartsAndHeaders() throws Exception {
        String to = "giulia-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        NotificationJob job = job(Channel.EMAIL, to, "Giulia, interruzione di corrente presso la tua casa.",
                Instant.now().plusSeconds(3600));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(job);
            put(job);   // redelivered
            Receipt sent = receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            assertThat(sent.attempts()).isEqualTo(1);
            put(job);   // re-emitted later
            Thread.sleep(2000);
            assertThat(receipts.drain(Duration.ofSeconds(1)).stream().filter(r -> job.jobId().equals(r.key())))
                    .hasSize(1);
        }
        List<MimeMessage> messages = mailTo(to);
        assertThat(messages).hasSize(1);
        MimeMessage message = messages.get(0);
        assertThat(message.getSubject()).isEqualTo("Interruzione di corrente - la tua casa");
        assertThat(message.getHeader("List-Unsubscribe-Post")[0]).isEqualTo("List-Unsubscribe=One-Click");
        assertThat(message.getHeader("List-Unsubscribe")[0]).isEqualTo("<https://allerta.example/u/tok>");
        assertThat(message.getMessageID()).contains(job.jobId());
        Multipart parts = (Multipart) message.getContent();
        assertThat(parts.getContentType()).startsWith("multipart/alternative");
        assertThat(parts.getCount()).isEqualTo(2);
        assertThat(parts.getBodyPart(0).getContentType()).startsWith("text/plain");
        assertThat(parts.getBodyPart(1).getContentType()).startsWith("text/html");
        assertThat((String) parts.getBodyPart(0).getContent()).contains("interruzione di corrente");
    }

    /**
     * An SMTP server that cannot be reached says nothing against the message: the job waits for it, past the five
     * attempts a failing message may use up, and is sent once it is back.
     */
    @Test
    void anEmailWaitsForItsServerWithoutUsingUpItsAttempts() throws Exception {
        String to = "patient-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        NotificationJob job = job(Channel.EMAIL, to, "Giulia, la corrente tornerà alle 20.", Instant.now().plusSeconds(3600));
        int port = Peers.mail.getSmtp().getPort();
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            Peers.mail.stop();
            try {
                put(job);
                // more than the eight attempts a failing message may use, at the tests' backoff (50 ms doubling to
                // 500 ms)
                Thread.sleep(4000);
                assertThat(receipts.drain(Duration.ofSeconds(1)).stream().filter(r -> job.jobId().equals(r.key())))
                        .as("no receipt while the server is away").isEmpty();
            } finally {
                Peers.mail = new com.icegreen.greenmail.util.GreenMail(
                        new com.icegreen.greenmail.util.ServerSetup(port, "127.0.0.1", "smtp"));
                Peers.mail.start();
            }
            Receipt sent = receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            assertThat(sent.attempts()).isGreaterThan(8);
        }
        assertThat(mailTo(to)).hasSize(1);
    }

    /** A job can set only the unsubscribe headers, each on one line: no recipient and no header line added. */
    @Test
    void aJobCannotAddRecipientsOrHeaderLines() throws Exception {
        String to = "headers-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        NotificationJob plain = job(Channel.EMAIL, to, "Giulia, avviso.", Instant.now().plusSeconds(3600));
        NotificationJob bcc = withHeaders(plain, Map.of("Bcc", "someone@example.org"));
        NotificationJob folded = withHeaders(plain, Map.of("List-Unsubscribe",
                "<https://allerta.example/u/tok>\r\nBcc: someone@example.org"));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(bcc);
            put(folded);
            assertThat(receipt(receipts, bcc.jobId(), ReceiptStatus.FAILED).reason()).isEqualTo("INVALID_HEADER: Bcc");
            assertThat(receipt(receipts, folded.jobId(), ReceiptStatus.FAILED).reason())
                    .isEqualTo("INVALID_HEADER: List-Unsubscribe");
        }
        assertThat(mailTo(to)).isEmpty();
        assertThat(mailTo("someone@example.org")).isEmpty();
    }

    private static NotificationJob withHeaders(NotificationJob job, Map<String, String> headers) {
        return new NotificationJob(UUID.randomUUID().toString(), job.purpose(), job.channel(), job.eventId(),
                job.revision(), job.change(), job.subscriberId(), job.recipient(), job.language(), job.subject(),
                job.text(), job.html(), headers, job.link(), job.priority(), job.expiresAt(), job.createdAt());
    }

    @Test
    void anExpiredJobIsNotSent() throws Exception {
        String to = "late-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        NotificationJob job = job(Channel.EMAIL, to, "Too late.", Instant.now().minusSeconds(5));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(job);
            Receipt failed = receipt(receipts, job.jobId(), ReceiptStatus.FAILED);
            assertThat(failed.reason()).isEqualTo("EXPIRED");
            assertThat(failed.attempts()).isZero();
        }
        assertThat(mailTo(to)).isEmpty();
    }

    @jakarta.inject.Inject
    io.agroal.api.AgroalDataSource db;

    /**
     * Another instance that took the partition over (this one waited on a throttling provider longer than the group
     * allows) has handled the job: the retry leaves it alone instead of sending it a second time.
     */
    @Test
    void aRetryLeavesAJobAnotherInstanceHasHandledMeanwhile() throws Exception {
        NotificationJob job = push("device-token-taken-over-0123456789", "Giulia, una volta sola.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            Peers.THROTTLE.set(1_000);
            try {
                put(job);
                long deadline = System.currentTimeMillis() + 30_000;
                while (Peers.THROTTLE.get() == 1_000 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(Peers.THROTTLE.get()).as("a first attempt was throttled").isLessThan(1_000);
                try (var c = db.getConnection(); var s = c.prepareStatement("INSERT INTO handled_job (job_id, channel,"
                        + " event_id, outcome, attempts, provider_message_id) VALUES (?::uuid, 'PUSH', 'ev-send',"
                        + " 'SENT', 1, 'other-instance')")) {
                    s.setString(1, job.jobId());
                    s.executeUpdate();
                }
                Thread.sleep(1500);   // a few more retries at the tests' backoff
            } finally {
                Peers.THROTTLE.set(0);
            }
            Thread.sleep(1500);
            assertThat(Peers.HOOKS).noneMatch(h -> job.jobId().equals(h.idempotencyKey()));
            assertThat(receipts.drain(Duration.ofSeconds(1))).noneMatch(r -> job.jobId().equals(r.key()));
        }
    }

    /** A provider cannot deliver what was never sent: its callback for an expired job is refused, not counted. */
    @Test
    void aCallbackForAJobNeverSentIsRefused() throws Exception {
        NotificationJob expired = job(Channel.PUSH, "device-token-expired-0123456789", "Troppo tardi.",
                Instant.now().minusSeconds(5));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(expired);
            assertThat(receipt(receipts, expired.jobId(), ReceiptStatus.FAILED).reason()).isEqualTo("EXPIRED");
            byte[] report = ("{\"jobId\":\"" + expired.jobId() + "\",\"status\":\"DELIVERED\"}").getBytes();
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now(), report)).body(report).post("/v1/callbacks/push").then().statusCode(409)
                    .contentType("application/problem+json")
                    .body("type", org.hamcrest.Matchers.equalTo("urn:allerta:problem:job-not-sent"));
            Thread.sleep(1000);
            assertThat(receipts.drain(Duration.ofSeconds(1)).stream().filter(r -> expired.jobId().equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), Receipt.class).status())).doesNotContain(ReceiptStatus.DELIVERED);
        }
    }

    /**
     * At most once (WhatsApp in these tests), a provider that takes a request and gives no answer within the request's
     * timeout may have it: the job is not sent again but fails as UNCERTAIN, the provider holding it once.
     */
    @Test
    void atMostOnceAWebhookThatNeverAnswersIsNotSentAgain() throws Exception {
        NotificationJob silent = job(Channel.WHATSAPP, "+393331112233", "SILENT-" + UUID.randomUUID(),
                Instant.now().plusSeconds(3600));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(silent);
            Receipt uncertain = receipt(receipts, silent.jobId(), ReceiptStatus.FAILED);
            assertThat(uncertain.reason()).isEqualTo("UNCERTAIN");
            assertThat(uncertain.attempts()).isEqualTo(1);
            Thread.sleep(3_000);
        }
        assertThat(Peers.HOOKS).filteredOn(h -> silent.jobId().equals(h.idempotencyKey())).hasSize(1);
    }

    /** A provider's failure report quoting the recipient reaches the receipts without them. */
    @Test
    void aFailureReportedByTheProviderKeepsItsReasonButNotTheRecipient() throws Exception {
        NotificationJob job = push("device-token-quoted-0123456789", "Giulia, push.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(job);
            receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            byte[] report = ("{\"jobId\":\"" + job.jobId() + "\",\"status\":\"FAILED\",\"reason\":"
                    + "\"The 'To' number +393331234567 is not a valid user\\u0000\"}").getBytes();
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now(), report)).body(report).post("/v1/callbacks/push").then().statusCode(202);
            assertThat(receipt(receipts, job.jobId(), ReceiptStatus.FAILED).reason())
                    .isEqualTo("The 'To' number <number> is not a valid user");
        }
    }

    @Test
    void aThrottlingProviderIsRetriedAndARefusalFails() throws Exception {
        NotificationJob throttled = push("device-token-0123456789abcdef", "Giulia, push.");
        NotificationJob refused = push("device-token-refused-0123456789", "REFUSE-ME");
        Peers.refuse = "REFUSE-ME";
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            // more 429s than the 8 attempts a job may use up: asking to slow down says nothing against the message
            Peers.THROTTLE.set(9);
            put(throttled);
            Receipt sent = receipt(receipts, throttled.jobId(), ReceiptStatus.SENT);
            assertThat(sent.attempts()).isEqualTo(10);
            put(refused);
            Receipt failed = receipt(receipts, refused.jobId(), ReceiptStatus.FAILED);
            assertThat(failed.reason()).isEqualTo("HTTP_400");
            assertThat(failed.attempts()).isEqualTo(1);

            Peers.Hook hook = Peers.HOOKS.stream().filter(h -> throttled.jobId().equals(h.idempotencyKey()))
                    .findFirst().orElseThrow();
            assertThat(Signatures.valid(Peers.PUSH_SECRET, hook.body(), hook.signature(), Instant.now())).isTrue();
            assertThat(new String(hook.body())).contains("\"text\":\"Giulia, push.\"")
                    .contains("\"recipient\":\"device-token-0123456789abcdef\"");

            // the provider reports the delivery, signed (the job id in upper case, as some platforms write uuids:
            // the receipt names the job as it was emitted); an unsigned report is refused
            byte[] report = ("{\"jobId\":\"" + throttled.jobId().toUpperCase(java.util.Locale.ROOT)
                    + "\",\"status\":\"DELIVERED\"}").getBytes();
            given().contentType("application/json").body(report).post("/v1/callbacks/push").then().statusCode(401);
            // a report signed six minutes ago (a recording replayed), or signed for another body: refused
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now().minusSeconds(360), report)).body(report).post("/v1/callbacks/push").then()
                    .statusCode(401);
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now(), "{}".getBytes())).body(report).post("/v1/callbacks/push").then().statusCode(401);
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now(), report)).body(report).post("/v1/callbacks/push").then().statusCode(202);
            assertThat(receipt(receipts, throttled.jobId(), ReceiptStatus.DELIVERED).providerMessageId()).isNull();
            byte[] byProviderId = ("{\"id\":\"" + sent.providerMessageId() + "\",\"status\":\"READ\"}").getBytes();
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now(), byProviderId)).body(byProviderId).post("/v1/callbacks/push").then().statusCode(202);
            receipt(receipts, throttled.jobId(), ReceiptStatus.READ);
            // reports quicker than their job's record (a webhook attempt that timed out after the provider took the
            // message, a callback quicker than the group commit), by job id and by the provider's id: kept, and each
            // becomes its receipt, after the job's own, once the job is recorded
            NotificationJob early = push("device-token-early-0123456789", "Giulia, early.");
            NotificationJob earlyById = push("device-token-early-by-id-0123456789", "Giulia, early by id.");
            byte[] earlyReport = ("{\"jobId\":\"" + early.jobId() + "\",\"status\":\"READ\"}").getBytes();
            byte[] earlyByProvider = "{\"id\":\"prov-early-7\",\"status\":\"DELIVERED\"}".getBytes();
            for (byte[] body : List.of(earlyReport, earlyByProvider)) {
                given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                        Instant.now(), body)).body(body).post("/v1/callbacks/push").then().statusCode(202);
            }
            put(early);
            assertThat(receipt(receipts, early.jobId(), ReceiptStatus.READ).at())
                    .isAfterOrEqualTo(receipt(receipts, early.jobId(), ReceiptStatus.SENT).at());
            Peers.answerId = "prov-early-7";
            try {
                put(earlyById);
                assertThat(receipt(receipts, earlyById.jobId(), ReceiptStatus.DELIVERED).providerMessageId())
                        .isEqualTo("prov-early-7");
            } finally {
                Peers.answerId = null;
            }
            // 36 characters of hex digits and dashes that are not a UUID: refused, never a database error
            byte[] notAUuid = "{\"jobId\":\"-1eca-1d-e-1e--1c-a-1f--1c-1dab-1b-1\",\"status\":\"READ\"}".getBytes();
            given().contentType("application/json").header(Signatures.HEADER, Signatures.sign(Peers.PUSH_SECRET,
                    Instant.now(), notAUuid)).body(notAUuid).post("/v1/callbacks/push").then().statusCode(422);
        } finally {
            Peers.refuse = "\u0000";
        }
    }

    /**
     * A provider that answers 503 (away for maintenance), or refuses our key (401: rotated, waiting for the operator's
     * fix), says nothing against the message: the job waits for it past the eight attempts a failing message may use
     * up. A 500 counts against them.
     */
    @Test
    void aProviderAwayIsWaitedForAndAnErrorOfItsOwnCounts() throws Exception {
        NotificationJob waiting = push("device-token-away-0123456789", "Giulia, AWAY-503.");
        NotificationJob refusedKey = push("device-token-key-0123456789", "Giulia, KEY-401.");
        NotificationJob failing = push("device-token-error-0123456789", "Giulia, ERROR-500.");
        Peers.TROUBLES.add(new Peers.Trouble("AWAY-503", 503, new java.util.concurrent.atomic.AtomicInteger(10)));
        Peers.TROUBLES.add(new Peers.Trouble("KEY-401", 401, new java.util.concurrent.atomic.AtomicInteger(10)));
        Peers.TROUBLES.add(new Peers.Trouble("ERROR-500", 500, new java.util.concurrent.atomic.AtomicInteger(10)));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(waiting);
            put(refusedKey);
            put(failing);
            assertThat(receipt(receipts, waiting.jobId(), ReceiptStatus.SENT).attempts()).isEqualTo(11);
            assertThat(receipt(receipts, refusedKey.jobId(), ReceiptStatus.SENT).attempts()).isEqualTo(11);
            Receipt failed = receipt(receipts, failing.jobId(), ReceiptStatus.FAILED);
            assertThat(failed.reason()).isEqualTo("MAX_ATTEMPTS: HTTP 500");
            assertThat(failed.attempts()).isEqualTo(8);
        } finally {
            Peers.TROUBLES.clear();
        }
    }

    /**
     * A batch that has waited for its provider for three quarters of the longest a batch may take (here 9 s of 12) is
     * read again, rather than held until the group gives its partition to another instance while this one still
     * sends: the job's attempts start again from the re-read, and it is sent once.
     */
    @Test
    void aBatchThatOutwaitsItsBudgetIsReadAgainAndItsJobSentOnce() throws Exception {
        int away = 32;   // about 11 s of 503 answers at the tests' backoff (50 ms doubling up to 500 ms, jittered)
        NotificationJob job = push("device-token-budget-0123456789", "Giulia, BUDGET-503.");
        Peers.TROUBLES.add(new Peers.Trouble("BUDGET-503", 503, new java.util.concurrent.atomic.AtomicInteger(away)));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(job);
            Receipt sent = receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            assertThat(sent.attempts()).as("attempts counted since the batch was read again")
                    .isLessThan(away + 1);
            assertThat(receipts.drain(Duration.ofSeconds(1)).stream().filter(r -> job.jobId().equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), Receipt.class).status()))
                    .as("one outcome").containsExactly(ReceiptStatus.SENT);
        } finally {
            Peers.TROUBLES.clear();
        }
        assertThat(Peers.HOOKS.stream().filter(h -> job.jobId().equals(h.idempotencyKey()))).hasSize(1);
    }

    /**
     * One person's notices reach the provider in the order they were emitted, even when the first is held back:
     * "the power is back" never overtakes "the power is out".
     */
    @Test
    void onePersonsNoticesKeepTheirOrderWhenTheFirstIsHeldBack() throws Exception {
        NotificationJob first = push("device-token-order-0123456789", "Giulia, SLOW-FIRST.");
        NotificationJob second = new NotificationJob(UUID.randomUUID().toString(), JobPurpose.NOTICE, Channel.PUSH,
                "ev-send", 2L, Change.RESOLVED, first.subscriberId(), first.recipient(), "it", "Corrente tornata",
                "Giulia, THEN-SECOND.", null, Map.of(), null, false, Instant.now().plusSeconds(3600), Instant.now());
        Peers.TROUBLES.add(new Peers.Trouble("SLOW-FIRST", 429, new java.util.concurrent.atomic.AtomicInteger(4)));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(first);
            put(second);
            receipt(receipts, first.jobId(), ReceiptStatus.SENT);
            receipt(receipts, second.jobId(), ReceiptStatus.SENT);
        } finally {
            Peers.TROUBLES.clear();
        }
        List<String> order = Peers.HOOKS.stream().map(Peers.Hook::idempotencyKey)
                .filter(id -> id.equals(first.jobId()) || id.equals(second.jobId())).toList();
        assertThat(order).containsExactly(first.jobId(), second.jobId());
    }

    /** A provider id the database cannot store (a NUL character, JSON-escaped) is dropped; sending goes on. */
    @Test
    void aProviderIdThatCannotBeStoredDoesNotStopSending() throws Exception {
        NotificationJob odd = push("device-token-odd-id-0123456789", "Giulia, odd id.");
        NotificationJob next = push("device-token-next-0123456789", "Giulia, next.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            Peers.answerId = "prov\\u0000odd";
            put(odd);
            assertThat(receipt(receipts, odd.jobId(), ReceiptStatus.SENT).providerMessageId()).isNull();
            Peers.answerId = null;
            put(next);
            assertThat(receipt(receipts, next.jobId(), ReceiptStatus.SENT).providerMessageId()).startsWith("prov-");
        } finally {
            Peers.answerId = null;
        }
    }

    /** The channel sends four at a time, its provider account one: the account's bound holds. */
    @Test
    void aProviderAccountsConcurrencyBoundsTheChannelsSends() throws Exception {
        Peers.MOST_AT_ONCE.set(0);
        var jobs = new java.util.ArrayList<NotificationJob>();
        for (int i = 0; i < 8; i++) {
            jobs.add(push("device-token-hold-" + i + "-0123456789", "Giulia, HOLD-" + i));
        }
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            for (NotificationJob job : jobs) {
                put(job);
            }
            for (NotificationJob job : jobs) {
                receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            }
        }
        assertThat(Peers.MOST_AT_ONCE.get()).isEqualTo(1);
    }

    /**
     * A channel limited to four messages a second with 24 notices of an announcement waiting: an urgent job (a
     * prioritised person, an emergency, a code) put on the urgent topic once the first of them has gone out is sent
     * well before the end of the queue, not behind it; every job is sent once.
     */
    @Test
    void anUrgentJobOvertakesTheBulkWaitingForTheChannelsLimit() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        var bulk = new java.util.ArrayList<NotificationJob>();
        for (int i = 0; i < 24; i++) {
            bulk.add(job(Channel.TELEGRAM, "7000" + i, "Bulk-" + run + "-" + i, Instant.now().plusSeconds(3600)));
        }
        NotificationJob urgent = job(Channel.TELEGRAM, "7099", "Urgent-" + run, Instant.now().plusSeconds(3600));
        java.util.function.Supplier<List<String>> order = () -> Peers.HOOKS.stream()
                .map(h -> new String(h.body(), java.nio.charset.StandardCharsets.UTF_8)).filter(b -> b.contains(run))
                .map(b -> b.contains("Urgent-") ? "urgent" : "bulk").toList();
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.sendAll(Channel.TELEGRAM.jobsTopic(),
                    bulk.stream().map(j -> Map.entry(j.subscriberId(), Json.toBytes(j))).toList());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (order.get().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            TopicWriter.send(Channel.TELEGRAM.urgentJobsTopic(), urgent.subscriberId(), Json.toBytes(urgent));
            receipt(receipts, urgent.jobId(), ReceiptStatus.SENT);
            for (NotificationJob job : bulk) {
                receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            }
        }
        List<String> sent = order.get();
        assertThat(sent).hasSize(25);
        // on one topic, the urgent job would have been the last (24 ahead of it, six seconds at the limit)
        assertThat(sent.size() - 1 - sent.indexOf("urgent")).as("sent after the urgent job: %s", sent)
                .isGreaterThanOrEqualTo(12);
    }

    /**
     * An outage's AFFECTED is held back by its provider (429, twenty times: read, and waiting for its next attempt)
     * when the event escalates to an emergency: the urgent UPDATED of the later revision reaches the person, and the
     * older AFFECTED is then not sent after it (FAILED, SUPERSEDED); the RESOLVED that follows, a later revision still,
     * is sent.
     */
    @Test
    void aNoticeOfTheBulkOvertakenByAnUrgentOneOfALaterRevisionIsNotSentAfterIt() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String event = "ev-escalates-" + run;
        String person = UUID.randomUUID().toString();
        NotificationJob affected = notice(event, 1, Change.AFFECTED, person, "Stuck-" + run);
        NotificationJob updated = notice(event, 2, Change.UPDATED, person, "Updated-" + run);
        NotificationJob resolved = notice(event, 3, Change.RESOLVED, person, "Resolved-" + run);
        var refusals = new java.util.concurrent.atomic.AtomicInteger(20);
        Peers.TROUBLES.add(new Peers.Trouble("Stuck-" + run, 429, refusals));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(affected);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (refusals.get() == 20 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(refusals.get()).as("the provider refused the AFFECTED once").isLessThan(20);
            TopicWriter.send(Channel.TELEGRAM.urgentJobsTopic(), person, Json.toBytes(updated));
            receipt(receipts, updated.jobId(), ReceiptStatus.SENT);
            Receipt dropped = receipt(receipts, affected.jobId(), ReceiptStatus.FAILED);
            assertThat(dropped.reason()).isEqualTo("SUPERSEDED");
            assertThat(dropped.attempts()).isPositive();
            put(resolved);
            receipt(receipts, resolved.jobId(), ReceiptStatus.SENT);
        } finally {
            Peers.TROUBLES.clear();
        }
        List<String> received = Peers.HOOKS.stream()
                .map(h -> new String(h.body(), java.nio.charset.StandardCharsets.UTF_8)).filter(b -> b.contains(run))
                .map(b -> b.replaceAll("(?s).*?((Stuck|Updated|Resolved)-" + run + ").*", "$1")).toList();
        assertThat(received).containsExactly("Updated-" + run, "Resolved-" + run);
    }

    /**
     * The same, when the older notice is read only after the urgent one went out (another instance read its bulk
     * later, or it came from a later poll): it is not sent either; one about a later revision still is.
     */
    @Test
    void aNoticeOfTheBulkReadAfterAnUrgentOneOfALaterRevisionIsNotSent() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String event = "ev-escalated-" + run;
        String person = UUID.randomUUID().toString();
        NotificationJob affected = notice(event, 1, Change.AFFECTED, person, "Affected-" + run);
        NotificationJob updated = notice(event, 2, Change.UPDATED, person, "Updated-" + run);
        NotificationJob later = notice(event, 3, Change.UPDATED, person, "Later-" + run);
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Channel.TELEGRAM.urgentJobsTopic(), person, Json.toBytes(updated));
            receipt(receipts, updated.jobId(), ReceiptStatus.SENT);
            put(affected);
            put(later);
            assertThat(receipt(receipts, affected.jobId(), ReceiptStatus.FAILED).reason()).isEqualTo("SUPERSEDED");
            receipt(receipts, later.jobId(), ReceiptStatus.SENT);
        }
        List<String> bodies = Peers.HOOKS.stream()
                .map(h -> new String(h.body(), java.nio.charset.StandardCharsets.UTF_8)).filter(b -> b.contains(run))
                .toList();
        assertThat(bodies).hasSize(2).noneMatch(b -> b.contains("Affected-" + run));
    }

    /**
     * One person's urgent job refused for a while (a 500, retried after a backoff) holds back only that person's bulk
     * notices of the same event: their notice of another event, and everyone else's, go on meanwhile.
     */
    @Test
    void anUrgentJobInItsBackoffHoldsBackNoOneElsesBulk() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String person = UUID.randomUUID().toString();
        NotificationJob urgent = notice("ev-storm-" + run, 2, Change.UPDATED, person, "URGENT-REFUSED-" + run);
        NotificationJob otherEvent = notice("ev-water-" + run, 1, Change.AFFECTED, person, "Water-" + run);
        NotificationJob someoneElse = notice("ev-water-" + run, 1, Change.AFFECTED, UUID.randomUUID().toString(),
                "Else-" + run);
        var refusals = new java.util.concurrent.atomic.AtomicInteger(7);
        Peers.TROUBLES.add(new Peers.Trouble("URGENT-REFUSED-" + run, 500, refusals));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Channel.TELEGRAM.urgentJobsTopic(), person, Json.toBytes(urgent));
            Instant deadline = Instant.now().plusSeconds(30);
            while (refusals.get() == 7 && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);   // the urgent job read, refused once, now waiting out its backoff
            }
            put(otherEvent);
            Thread.sleep(300);
            put(someoneElse);
            receipt(receipts, someoneElse.jobId(), ReceiptStatus.SENT);
            receipt(receipts, otherEvent.jobId(), ReceiptStatus.SENT);
            receipt(receipts, urgent.jobId(), ReceiptStatus.SENT);
        } finally {
            Peers.TROUBLES.clear();
        }
        List<String> order = Peers.HOOKS.stream().map(Peers.Hook::idempotencyKey)
                .filter(id -> id.equals(urgent.jobId()) || id.equals(otherEvent.jobId())
                        || id.equals(someoneElse.jobId())).toList();
        assertThat(order).as("the bulk went on while the urgent job waited out its refusals")
                .containsExactly(otherEvent.jobId(), someoneElse.jobId(), urgent.jobId());
    }

    private static NotificationJob notice(String event, long revision, Change change, String person, String text) {
        return new NotificationJob(UUID.randomUUID().toString(), JobPurpose.NOTICE, Channel.TELEGRAM, event,
                revision, change, person, "7199", "it", null, text, null, Map.of(), null, false,
                Instant.now().plusSeconds(3600), Instant.now());
    }

    @Test
    void theSendPlanIsPublishedPerChannel() throws Exception {
        NotificationJob mail = job(Channel.EMAIL, "plan-" + UUID.randomUUID().toString().substring(0, 8)
                + "@example.org", "Piano di invio.", Instant.now().plusSeconds(3600));
        Instant sent;
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            put(mail);
            receipt(receipts, mail.jobId(), ReceiptStatus.SENT);
            sent = Instant.now();
        }
        try (var backlog = new TopicReader(Topics.NOTIFICATIONS_BACKLOG)) {
            // a plan made once the job's offset was committed
            var records = backlog.await(r -> "EMAIL".equals(r.key()) && Json.fromBytes(r.value(),
                    ChannelBacklog.class).at().isAfter(sent.plusSeconds(2)), 1, Duration.ofSeconds(30));
            ChannelBacklog plan = Json.fromBytes(records.get(records.size() - 1).value(), ChannelBacklog.class);
            assertThat(plan.channel()).isEqualTo(Channel.EMAIL);
            assertThat(plan.positions().values().stream().mapToLong(Long::longValue).sum())
                    .as("the sender's position moved past the job it sent").isPositive();
            assertThat(plan.waiting()).isGreaterThanOrEqualTo(0);
            // the queue's position in every partition of the topic, never past its end: with the offsets of an
            // event's last jobs, the dispatcher tells how much of the queue is ahead of them
            try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
                    "bootstrap.servers", org.allerta.testsupport.LocalKafka.shared().bootstrapServers()),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                var partitions = consumer.partitionsFor(Channel.EMAIL.jobsTopic()).stream()
                        .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
                var ends = consumer.endOffsets(partitions);
                assertThat(plan.positions()).containsOnlyKeys(partitions.stream()
                        .map(org.apache.kafka.common.TopicPartition::partition).toArray(Integer[]::new));
                assertThat(plan.ends()).containsOnlyKeys(plan.positions().keySet().toArray(Integer[]::new));
                plan.positions().forEach((partition, position) -> {
                    long end = ends.get(new org.apache.kafka.common.TopicPartition(Channel.EMAIL.jobsTopic(),
                            partition));
                    assertThat(plan.ends().get(partition)).isBetween(position, end);
                    assertThat(position).isBetween(0L, end);
                });
                // the waiting jobs are what lies between the positions and the ends (or more, being sent)
                assertThat(plan.waiting()).isGreaterThanOrEqualTo(plan.positions().keySet().stream()
                        .mapToLong(p -> plan.ends().get(p) - plan.positions().get(p)).sum());
            }
        }
    }

    /**
     * A channel with a limit (Telegram, four a second here) whose provider is away: once a full window of plans has
     * gone by with the job waiting and nothing finished, the plan gives no time to drain, rather than the limit's
     * quarter of a second for a job that is not going out. Once sent, the queue is empty again.
     */
    @Test
    void aChannelWhoseProviderIsAwayHasNoEstimateOfItsDrain() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // away until the plan has said so (the plans' window is six of them, 3 s here)
        Peers.TROUBLES.add(new Peers.Trouble("Away-" + run, 503, new java.util.concurrent.atomic.AtomicInteger(1000)));
        NotificationJob job = job(Channel.TELEGRAM, "7200", "Away-" + run, Instant.now().plusSeconds(3600));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS);
             var backlog = new TopicReader(Topics.NOTIFICATIONS_BACKLOG)) {
            put(job);
            Instant put = Instant.now();
            var stalled = backlog.await(r -> {
                ChannelBacklog plan = Json.fromBytes(r.value(), ChannelBacklog.class);
                return plan.channel() == Channel.TELEGRAM && plan.at().isAfter(put) && plan.waiting() > 0
                        && plan.estimatedDrainSeconds() == null;
            }, 1, Duration.ofSeconds(30));
            assertThat(Json.fromBytes(stalled.get(0).value(), ChannelBacklog.class).at())
                    // a full window is 2.5 s of plans with the job waiting, the first of them as soon as the broker
                    // holds the job (a moment before this test heard so)
                    .as("not before a full window").isAfter(put.plusMillis(2000));
            Peers.TROUBLES.clear();   // the provider is back
            receipt(receipts, job.jobId(), ReceiptStatus.SENT);
        } finally {
            Peers.TROUBLES.clear();
        }
    }

    @Test
    void aPoisonJobIsDeadLetteredAndConsumptionGoesOn() throws Exception {
        try (var dlq = new TopicReader(Topics.ALERTS_DLQ); var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Channel.EMAIL.jobsTopic(), "poison", "{not a job".getBytes());
            dlq.await(r -> "poison".equals(r.key()), 1, Duration.ofSeconds(30));
            String to = "after-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
            NotificationJob job = job(Channel.EMAIL, to, "Still going.", Instant.now().plusSeconds(3600));
            // the same job id spelt in upper case would escape the check of handled ids: refused with the reason
            NotificationJob shouting = new NotificationJob(job.jobId().toUpperCase(java.util.Locale.ROOT),
                    job.purpose(), job.channel(), job.eventId(), job.revision(), job.change(), job.subscriberId(),
                    job.recipient(), job.language(), job.subject(), job.text(), job.html(), job.headers(), job.link(),
                    job.priority(), job.expiresAt(), job.createdAt());
            TopicWriter.send(Channel.EMAIL.jobsTopic(), "shouting", Json.toBytes(shouting));
            DeadLetter letter = Json.fromBytes(dlq.await(r -> "shouting".equals(r.key()), 1, Duration.ofSeconds(30))
                    .get(0).value(), DeadLetter.class);
            assertThat(letter.reasons().get(0).why()).contains("canonical");
            // a job carries a person's address and text: its dead letter keeps a digest and where the job lies
            assertThat(letter.payloadEncoding()).isEqualTo("redacted");
            assertThat(letter.payload()).startsWith("sha256:").doesNotContain(to).doesNotContain("Still going");
            assertThat(letter.offset()).isNotNull();
            put(job);
            receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            assertThat(mailTo(to)).as("sent once, by its canonical id").hasSize(1);
        }
    }

    /**
     * A person erased from the registry after their jobs were queued: the jobs still on the topic are not sent but
     * fail as ERASED, on the bulk and the urgent topic alike; another person's job goes out.
     */
    @Test
    void theQueuedJobsOfAnErasedPersonAreNotSent() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String erased = UUID.randomUUID().toString();
        String kept = UUID.randomUUID().toString();
        NotificationJob bulk = notice("ev-erased-" + run, 1, Change.AFFECTED, erased, "Erased-" + run);
        NotificationJob urgent = notice("ev-erased-urgent-" + run, 1, Change.AFFECTED, erased, "Urgent-" + run);
        NotificationJob other = notice("ev-erased-" + run, 1, Change.AFFECTED, kept, "Kept-" + run);
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Topics.SUBSCRIBERS_ERASED, erased,
                    Json.toBytes(new org.allerta.contracts.SubscriberErased(erased, Instant.now())));
            // the erasure is stored before the jobs are read: the sender reads it on a consumer of its own
            java.time.Instant deadline = Instant.now().plusSeconds(30);
            while (erasedRows() == 0 && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            put(bulk);
            TopicWriter.send(Channel.TELEGRAM.urgentJobsTopic(), erased, Json.toBytes(urgent));
            put(other);
            Receipt withdrawn = receipt(receipts, bulk.jobId(), ReceiptStatus.FAILED);
            assertThat(withdrawn.reason()).isEqualTo("ERASED");
            assertThat(withdrawn.attempts()).isZero();
            assertThat(receipt(receipts, urgent.jobId(), ReceiptStatus.FAILED).reason()).isEqualTo("ERASED");
            receipt(receipts, other.jobId(), ReceiptStatus.SENT);
        }
        List<String> bodies = Peers.HOOKS.stream()
                .map(h -> new String(h.body(), java.nio.charset.StandardCharsets.UTF_8)).filter(b -> b.contains(run))
                .toList();
        assertThat(bodies).hasSize(1).allMatch(b -> b.contains("Kept-" + run));
    }

    /**
     * A channel removed from a person after their jobs were queued (the number replaced, the channel unsubscribed):
     * the jobs of that channel type made before the removal are not sent (CHANNEL_REMOVED); one made after it (the
     * new number's) goes out, and so do the jobs made before the removal of another of the person's channels.
     */
    @Test
    void theQueuedJobsOfARemovedChannelAreNotSentThoseMadeSinceAre() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String person = UUID.randomUUID().toString();
        Instant removedAt = Instant.now();
        NotificationJob before = made(notice("ev-removed-" + run, 1, Change.AFFECTED, person, "Before-" + run),
                removedAt.minusSeconds(5));
        NotificationJob since = made(notice("ev-removed-" + run, 2, Change.UPDATED, person, "Since-" + run),
                removedAt.plusMillis(1));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            long rows = erasedRows();
            TopicWriter.send(Topics.SUBSCRIBERS_ERASED, person, Json.toBytes(
                    new org.allerta.contracts.SubscriberErased(person, removedAt, Channel.TELEGRAM)));
            // another channel of theirs removed later: the Telegram jobs stay its own business
            TopicWriter.send(Topics.SUBSCRIBERS_ERASED, person, Json.toBytes(
                    new org.allerta.contracts.SubscriberErased(person, removedAt.plusSeconds(3600), Channel.SMS)));
            java.time.Instant deadline = Instant.now().plusSeconds(30);
            while (erasedRows() < rows + 2 && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            put(before);
            put(since);
            Receipt withdrawn = receipt(receipts, before.jobId(), ReceiptStatus.FAILED);
            assertThat(withdrawn.reason()).isEqualTo("CHANNEL_REMOVED");
            assertThat(withdrawn.attempts()).isZero();
            receipt(receipts, since.jobId(), ReceiptStatus.SENT);
        }
        List<String> bodies = Peers.HOOKS.stream()
                .map(h -> new String(h.body(), java.nio.charset.StandardCharsets.UTF_8)).filter(b -> b.contains(run))
                .toList();
        assertThat(bodies).hasSize(1).allMatch(b -> b.contains("Since-" + run));
    }

    /** The job as made at {@code at}. */
    private static NotificationJob made(NotificationJob j, Instant at) {
        return new NotificationJob(j.jobId(), j.purpose(), j.channel(), j.eventId(), j.revision(), j.change(),
                j.subscriberId(), j.recipient(), j.language(), j.subject(), j.text(), j.html(), j.headers(), j.link(),
                j.priority(), j.expiresAt(), at);
    }

    private long erasedRows() throws Exception {
        try (var c = db.getConnection(); var s = c.prepareStatement("SELECT count(*) FROM erased_subscriber");
             var rows = s.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
