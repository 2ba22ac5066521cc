package org.allerta.sender;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.agroal.api.AgroalDataSource;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Topics;
import org.allerta.peers.Smsc;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.allerta.testsupport.TopicWriter;
import org.junit.jupiter.api.Test;

/** SMS over SMPP 3.4 to the SMSC simulator on loopback: encodings, concatenation, receipts, throttling. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
@WithTestResource(Peers.class)
class SmsTest {

    private static int next = (int) (Math.random() * 1_000_000);

    private static NotificationJob sms(String text) {
        String number = "+39333" + String.format("%07d", next++);
        return new NotificationJob(UUID.randomUUID().toString(), JobPurpose.NOTICE, Channel.SMS, "ev-sms", 1L,
                Change.AFFECTED, UUID.randomUUID().toString(), number, "it", null, text, null, Map.of(), null, false,
                Instant.now().plusSeconds(3600), Instant.now());
    }

    private static Smsc.Received arrived(NotificationJob job) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            List<Smsc.Received> to = Peers.smsc.received().stream()
                    .filter(r -> ("+" + r.destination()).equals(job.recipient())).toList();
            if (!to.isEmpty()) {
                assertThat(to).hasSize(1);
                return to.get(0);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no SMS to " + job.recipient());
    }

    private static Receipt receipt(TopicReader reader, String jobId, ReceiptStatus status) {
        return Json.fromBytes(reader.await(r -> jobId.equals(r.key())
                && Json.fromBytes(r.value(), Receipt.class).status() == status, 1, Duration.ofSeconds(30)).get(0)
                .value(), Receipt.class);
    }

    @Test
    void accentedItalianIsGsm7AndOtherScriptsAreUcs2() throws Exception {
        NotificationJob italian = sms("Giulia, la corrente è tornata presso la tua casa in Via Dazio 90/H. Città: 5€");
        NotificationJob polish = sms("Łukasz, przerwa w dostawie prądu. Дякуємо");
        TopicWriter.send(Topics.JOBS_PREFIX + "sms", italian.subscriberId(), Json.toBytes(italian));
        TopicWriter.send(Topics.JOBS_PREFIX + "sms", polish.subscriberId(), Json.toBytes(polish));
        Smsc.Received first = arrived(italian);
        assertThat(first.encoding()).isEqualTo("GSM7");
        assertThat(first.text()).isEqualTo(italian.text());
        assertThat(first.segments()).isEqualTo(1);
        assertThat(first.source()).isEqualTo("Allerta");
        Smsc.Received second = arrived(polish);
        assertThat(second.encoding()).isEqualTo("UCS2");
        assertThat(second.text()).isEqualTo(polish.text());
    }

    @Test
    void aLongTextArrivesWholeAsAConcatenatedMessageAndItsReceiptSaysDelivered() throws Exception {
        NotificationJob job = sms("Allerta protezione civile: esondazione del Tanaro prevista in serata. Salire ai "
                + "piani alti, non usare l'auto, non scendere in cantine e garage. Seguire gli aggiornamenti sul sito "
                + "del Comune e le indicazioni delle autorità. Numero utile 0131 515111.");
        assertThat(job.text().length()).isGreaterThan(160);
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", job.subscriberId(), Json.toBytes(job));
            Smsc.Received message = arrived(job);
            assertThat(message.segments()).isEqualTo(2);
            assertThat(message.text()).isEqualTo(job.text());
            Receipt sent = receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            assertThat(sent.providerMessageId()).isEqualTo(message.messageId());
            receipt(receipts, job.jobId(), ReceiptStatus.DELIVERED);
        }
    }

    /**
     * The SMSC accepts the first two parts of a three-part message and throttles the third: the retry submits the
     * third alone, under the same reference, so the handset assembles one message and no part is paid twice.
     */
    @Test
    void aLongSmsWhoseLastPartIsThrottledIsCompletedNotSubmittedAgain() throws Exception {
        NotificationJob job = sms("Allerta protezione civile: esondazione del Tanaro prevista in serata nei quartieri "
                + "Orti, Borgo Rovereto e Cristo. Salire ai piani alti, non usare l'auto, non scendere in cantine e "
                + "garage, staccare la corrente prima di lasciare la casa. Seguire gli aggiornamenti sul sito del "
                + "Comune e le indicazioni delle autorità. Numero utile 0131 515111, attivo tutta la notte. Grazie.");
        assertThat(org.allerta.contracts.sms.Sms.parts(job.text())).hasSize(3);
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            long before = Peers.smsc.submits();
            Peers.smsc.throttleAfter(2, 1);
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", job.subscriberId(), Json.toBytes(job));
            assertThat(receipt(receipts, job.jobId(), ReceiptStatus.SENT).attempts()).isEqualTo(2);
            Smsc.Received message = arrived(job);
            assertThat(message.segments()).isEqualTo(3);
            assertThat(message.text()).isEqualTo(job.text());
            assertThat(Peers.smsc.submits() - before).as("each part accepted once").isEqualTo(3);
        } finally {
            Peers.smsc.throttleNext(0);
        }
    }

    /** An SMSC asking to slow down says nothing against the message: its throttling uses up no attempt. */
    @Test
    void throttlingUsesUpNoAttempt() throws Exception {
        NotificationJob job = sms("Giulia, la neve nella tua via non è ancora stata sgomberata.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            Peers.smsc.throttleNext(9);   // more than the 8 attempts a job may use up
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", job.subscriberId(), Json.toBytes(job));
            assertThat(receipt(receipts, job.jobId(), ReceiptStatus.SENT).attempts()).isEqualTo(10);
            assertThat(arrived(job).text()).isEqualTo(job.text());
        } finally {
            Peers.smsc.throttleNext(0);
        }
    }

    /**
     * An SMSC that cannot be reached (restarting) says nothing against the message: the job waits for it, past the
     * eight attempts a failing message may use up. The SMS carries its job's expiry as its validity period, so that
     * the SMSC does not deliver it to a handset switched on after the notice has expired.
     */
    @Test
    void anSmscAwayIsWaitedForAndTheSmsExpiresWithItsJob() throws Exception {
        NotificationJob job = sms("Giulia, la corrente tornerà alle 20.");
        int port = Peers.smsc.port();
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            Peers.smsc.close();
            try {
                TopicWriter.send(Topics.JOBS_PREFIX + "sms", job.subscriberId(), Json.toBytes(job));
                // more than the eight attempts a failing message may use, at the tests' backoff (50 ms doubling to
                // 500 ms)
                Thread.sleep(4000);
                assertThat(receipts.drain(Duration.ofSeconds(1)).stream().filter(r -> job.jobId().equals(r.key())))
                        .as("no receipt while the SMSC is away").isEmpty();
            } finally {
                Peers.smsc = Smsc.start(port);
            }
            assertThat(receipt(receipts, job.jobId(), ReceiptStatus.SENT).attempts()).isGreaterThan(8);
        }
        String validity = arrived(job).validity();
        assertThat(validity).hasSize(16).endsWith("00+")
                .startsWith(java.time.format.DateTimeFormatter.ofPattern("yyMMddHHmmss")
                        .withZone(java.time.ZoneOffset.UTC).format(job.expiresAt()));
    }

    @Inject
    AgroalDataSource db;

    /**
     * A delivery receipt is acknowledged to the SMSC only once it is stored: while the database cannot take it, the
     * SMSC is told to send it again (ESME_RX_T_APPN), and a later delivery of it becomes the one DELIVERED receipt.
     * Acknowledged before it was stored, it would be lost with the process if the sender stopped meanwhile.
     */
    @Test
    void aReceiptIsAcknowledgedOnlyOnceStoredAndTheSmscOffersItAgainUntilThen() throws Exception {
        NotificationJob job = sms("Giulia, l'acqua tornerà entro le 18.");
        Peers.smsc.receiptDelay(Duration.ofSeconds(3));
        long refusedBefore = Peers.smsc.refusedReceipts();
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS);
             Connection blocker = db.getConnection()) {
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", job.subscriberId(), Json.toBytes(job));
            receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            // the SMSC's receipt comes while no receipt can be written
            blocker.setAutoCommit(false);
            try (var s = blocker.createStatement()) {
                s.execute("LOCK TABLE outbox IN SHARE MODE");
            }
            long deadline = System.currentTimeMillis() + 15_000;
            while (Peers.smsc.refusedReceipts() == refusedBefore && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(Peers.smsc.refusedReceipts()).as("refused while it cannot be stored")
                    .isGreaterThan(refusedBefore);
            blocker.rollback();
            receipt(receipts, job.jobId(), ReceiptStatus.DELIVERED);
            assertThat(receipts.drain(Duration.ofSeconds(3)).stream().filter(r -> job.jobId().equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), Receipt.class).status()))
                    .as("stored once, whatever the SMSC's attempts")
                    .containsExactlyInAnyOrder(ReceiptStatus.SENT, ReceiptStatus.DELIVERED);
        } finally {
            Peers.smsc.receiptDelay(Duration.ofMillis(50));
        }
    }

    /**
     * A receipt whose message id matches no submission (one whose id was never recorded: its submit_sm_resp lost, or
     * a job reported UNCERTAIN) is refused a few times, in case its job's record is just late, then acknowledged, so
     * that the SMSC stops offering it.
     */
    @Test
    void aReceiptThatMatchesNoSubmissionIsAcknowledgedAfterAFewOffers() throws Exception {
        NotificationJob job = sms("Giulia, la scuola resta chiusa domani.");
        Peers.smsc.receiptDelay(Duration.ofSeconds(3));
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", job.subscriberId(), Json.toBytes(job));
            receipt(receipts, job.jobId(), ReceiptStatus.SENT);
            long refusedBefore = Peers.smsc.refusedReceipts();
            try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                    "UPDATE handled_job SET provider_message_id = NULL WHERE job_id = ?")) {
                s.setObject(1, UUID.fromString(job.jobId()));
                assertThat(s.executeUpdate()).isEqualTo(1);
            }
            long deadline = System.currentTimeMillis() + 30_000;
            while (Peers.smsc.refusedReceipts() < refusedBefore + org.allerta.sender.channel.SmppAdapter.UNKNOWN_OFFERS - 1
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            // the next offer (2 s after the last refusal at the latest) is acknowledged; none comes after it (a
            // refused one would be offered again within 2 s)
            Thread.sleep(5_000);
            assertThat(Peers.smsc.refusedReceipts() - refusedBefore).as("offers refused")
                    .isEqualTo(org.allerta.sender.channel.SmppAdapter.UNKNOWN_OFFERS - 1);
            assertThat(receipts.drain(Duration.ofSeconds(1)).stream().filter(r -> job.jobId().equals(r.key()))
                    .map(r -> Json.fromBytes(r.value(), Receipt.class).status()))
                    .as("no delivery credited to a job it cannot be matched to").containsOnly(ReceiptStatus.SENT);
        } finally {
            Peers.smsc.receiptDelay(Duration.ofMillis(50));
        }
    }

    /**
     * SMPP 3.4 leaves the receipt's text to each vendor; the standard fields (receipted_message_id, message_state)
     * say the same in a form every SMSC that sets them shares, and are read first: a receipt with a vendor's own text
     * still says DELIVERED, or FAILED with its state.
     */
    @Test
    void aReceiptInTheStandardFieldsWithAVendorsOwnTextIsRead() throws Exception {
        Peers.smsc.receiptsInFieldsOnly(true);
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            NotificationJob delivered = sms("Campi standard");
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", delivered.subscriberId(), Json.toBytes(delivered));
            assertThat(receipt(receipts, delivered.jobId(), ReceiptStatus.DELIVERED).providerMessageId())
                    .isEqualTo(arrived(delivered).messageId());
            Peers.smsc.undeliverable(true);
            NotificationJob undelivered = sms("Non consegnato");
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", undelivered.subscriberId(), Json.toBytes(undelivered));
            assertThat(receipt(receipts, undelivered.jobId(), ReceiptStatus.FAILED).reason())
                    .isEqualTo("SMSC_UNDELIV");
        } finally {
            Peers.smsc.receiptsInFieldsOnly(false);
            Peers.smsc.undeliverable(false);
        }
    }

    @Test
    void aReceiptForAMessageIdTheSmscUsedBeforeCreditsItsLatestSubmission() throws Exception {
        // SMSCs recycle their message ids (a counter that starts again after a restart): a receipt belongs to the
        // latest submission that received the id, never to an older job of the same id
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            NotificationJob first = sms("Prima");
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", first.subscriberId(), Json.toBytes(first));
            long last = Long.parseLong(arrived(first).messageId());
            receipt(receipts, first.jobId(), ReceiptStatus.DELIVERED);
            String old = UUID.randomUUID().toString();
            try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("INSERT INTO handled_job"
                    + " (job_id, channel, event_id, outcome, attempts, provider_message_id, handled_at) VALUES"
                    + " (?::uuid, 'SMS', 'ev-old', 'SENT', 1, ?, now() - interval '3 days')")) {
                s.setString(1, old);
                s.setString(2, Long.toString(last + 1));
                s.executeUpdate();
            }
            NotificationJob second = sms("Seconda");
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", second.subscriberId(), Json.toBytes(second));
            assertThat(arrived(second).messageId()).isEqualTo(Long.toString(last + 1));
            Receipt delivered = receipt(receipts, second.jobId(), ReceiptStatus.DELIVERED);
            assertThat(delivered.providerMessageId()).isEqualTo(Long.toString(last + 1));
            assertThat(receipts.drain(Duration.ofSeconds(2))).as("nothing credited to the old job")
                    .noneMatch(r -> old.equals(r.key()));
        }
    }

    private long announced(NotificationJob job) throws Exception {
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM sending_job WHERE job_id = ?::uuid")) {
            s.setString(1, job.jobId());
            try (var rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    @Test
    void atMostOnceAJobWhoseAttemptAStopInterruptedIsNotSentAgainButFailsAsUncertain() throws Exception {
        // the state a kill -9 leaves in the middle of an attempt: announced, not handled; the job is consumed again
        NotificationJob interrupted = sms("Giulia, interruzione di corrente presso la tua casa.");
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO sending_job (job_id, channel, attempt) VALUES (?::uuid, 'SMS', 1)")) {
            s.setString(1, interrupted.jobId());
            s.executeUpdate();
        }
        NotificationJob next = sms("Marco, interruzione di corrente presso il tuo lavoro.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", interrupted.subscriberId(), Json.toBytes(interrupted));
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", next.subscriberId(), Json.toBytes(next));
            Receipt uncertain = receipt(receipts, interrupted.jobId(), ReceiptStatus.FAILED);
            assertThat(uncertain.reason()).isEqualTo("UNCERTAIN");
            assertThat(uncertain.attempts()).isZero();
            arrived(next);   // the jobs after it go on
            assertThat(receipt(receipts, next.jobId(), ReceiptStatus.SENT).attempts()).isEqualTo(1);
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", interrupted.subscriberId(), Json.toBytes(interrupted));
            assertThat(receipts.drain(Duration.ofSeconds(2)).stream().filter(r -> interrupted.jobId().equals(r.key())))
                    .as("handled once: the FAILED receipt only").hasSize(1);
        }
        assertThat(Peers.smsc.received()).as("never sent").noneMatch(r ->
                ("+" + r.destination()).equals(interrupted.recipient()));
        assertThat(announced(interrupted)).as("the announcement left with the outcome").isZero();
        assertThat(announced(next)).isZero();
    }

    /**
     * At most once, a message the SMSC took but answered too late (its submit_sm_resp after the sender's response
     * timeout) is not submitted again: it may already be on its way, and an SMS twice is paid twice. It fails as
     * UNCERTAIN, the SMSC holding it once.
     */
    @Test
    void atMostOnceAMessageAnsweredTooLateIsNotSubmittedAgain() throws Exception {
        NotificationJob late = sms("Giulia, risposta tardiva dal centro SMS.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            // past the test profile's response timeout (5 s)
            Peers.smsc.answerLate(1, Duration.ofSeconds(7));
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", late.subscriberId(), Json.toBytes(late));
            Receipt uncertain = receipt(receipts, late.jobId(), ReceiptStatus.FAILED);
            assertThat(uncertain.reason()).isEqualTo("UNCERTAIN");
            assertThat(uncertain.attempts()).isEqualTo(1);
            Thread.sleep(3_000);   // a second submit, were there one, has had its time
        } finally {
            Peers.smsc.answerLate(0, Duration.ZERO);
        }
        assertThat(Peers.smsc.received()).filteredOn(r -> ("+" + r.destination()).equals(late.recipient()))
                .hasSize(1);
    }

    @Test
    void aThrottlingSmscIsRetriedAndAnUndeliverableMessageFails() throws Exception {
        NotificationJob throttled = sms("Giulia, aggiornamento: ripristino previsto alle 20:00.");
        try (var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            Peers.smsc.throttleNext(2);
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", throttled.subscriberId(), Json.toBytes(throttled));
            assertThat(receipt(receipts, throttled.jobId(), ReceiptStatus.SENT).attempts()).isEqualTo(3);
            arrived(throttled);
            assertThat(announced(throttled)).as("at most once, no announcement outlives its attempt").isZero();

            Peers.smsc.undeliverable(true);
            NotificationJob lost = sms("Marco, interruzione dell'acqua.");
            TopicWriter.send(Topics.JOBS_PREFIX + "sms", lost.subscriberId(), Json.toBytes(lost));
            Receipt failed = receipt(receipts, lost.jobId(), ReceiptStatus.FAILED);
            assertThat(failed.reason()).isEqualTo("SMSC_UNDELIV");
        } finally {
            Peers.smsc.undeliverable(false);
        }
    }
}
