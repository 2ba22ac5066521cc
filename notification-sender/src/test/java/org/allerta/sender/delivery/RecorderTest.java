package org.allerta.sender.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Topics;
import org.allerta.service.Jdbc;
import org.allerta.service.outbox.Outbox;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Outcomes recorded together: each job one handled row and one receipt, whatever arrives in the same group. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class RecorderTest {

    @Inject
    Jdbc jdbc;

    @Inject
    Outbox outbox;

    private static NotificationJob job(String eventId) {
        return new NotificationJob(UUID.randomUUID().toString(), JobPurpose.NOTICE, Channel.SMS, eventId, 1L,
                Change.AFFECTED, UUID.randomUUID().toString(), "+393330000000", "it", null, "Avviso", null, Map.of(),
                null, false, Instant.now().plusSeconds(600), Instant.now());
    }

    private static Recorder.Outcome sent(NotificationJob job, boolean announced) {
        return new Recorder.Outcome(job, new Receipt(job.jobId(), job.channel(), job.eventId(), ReceiptStatus.SENT,
                null, "smsc-" + job.jobId(), 1, Instant.now()), announced);
    }

    @Test
    void concurrentOutcomesEachCommitOnceWithOneReceiptEvenWhenAJobComesTwice() throws Exception {
        // the receipts topic's leader settled first: a producer's first records on a topic the broker has just
        // created can meet NOT_LEADER and OUT_OF_ORDER_SEQUENCE_NUMBER, and be written twice (at least once, which
        // the receipts' readers absorb); this test counts what the recorder itself emits
        NotificationJob warmUp = job("ev-rec-warm-up");
        org.allerta.testsupport.TopicWriter.send(Topics.NOTIFICATIONS_RECEIPTS, warmUp.jobId(),
                Json.toBytes(sent(warmUp, false).receipt()));
        String eventId = "ev-rec-" + UUID.randomUUID();
        var jobs = new ArrayList<NotificationJob>();
        for (int i = 0; i < 200; i++) {
            jobs.add(job(eventId));
        }
        NotificationJob announced = jobs.get(0);
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO sending_job (job_id, channel, attempt) VALUES (?::uuid, 'SMS', 1)")) {
                s.setString(1, announced.jobId());
                s.executeUpdate();
            }
            return null;
        });
        var outcomes = new ArrayList<Recorder.Outcome>();
        jobs.forEach(j -> outcomes.add(sent(j, j == announced)));
        jobs.subList(0, 20).forEach(j -> outcomes.add(sent(j, false)));   // the same jobs recorded a second time
        ExecutorService threads = Executors.newFixedThreadPool(16);
        try (var recorder = new Recorder(jdbc, outbox, 64);
             var receipts = new TopicReader(Topics.NOTIFICATIONS_RECEIPTS)) {
            var start = new CountDownLatch(1);
            var futures = new ArrayList<Future<?>>();
            for (Recorder.Outcome o : outcomes) {
                futures.add(threads.submit(() -> {
                    start.await();
                    recorder.record(o);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
            // a broker that has just created the topic can hold a partition's first records until the producer's
            // delivery timeout (30 s) and the relay's next attempt
            receipts.await(r -> eventId.equals(Json.fromBytes(r.value(), Receipt.class).eventId()), 200,
                    Duration.ofSeconds(90));
            List<ConsumerRecord<String, byte[]>> got = receipts.drain(Duration.ofSeconds(2)).stream()
                    .filter(r -> eventId.equals(Json.fromBytes(r.value(), Receipt.class).eventId())).toList();
            var perJob = new HashMap<String, Integer>();
            got.forEach(r -> perJob.merge(r.key(), 1, Integer::sum));
            assertThat(perJob).hasSize(200);
            assertThat(perJob.values()).allMatch(n -> n == 1);
        } finally {
            threads.shutdownNow();
        }
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT count(*), count(DISTINCT job_id) FROM handled_job WHERE event_id = ?")) {
                s.setString(1, eventId);
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    assertThat(rows.getLong(1)).isEqualTo(200);
                    assertThat(rows.getLong(2)).isEqualTo(200);
                }
            }
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM sending_job WHERE job_id = ?::uuid")) {
                s.setString(1, announced.jobId());
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    assertThat(rows.getLong(1)).as("the announcement left with the outcome").isZero();
                }
            }
            return null;
        });
    }
}
