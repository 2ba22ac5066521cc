package org.allerta.demo;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Topics;
import org.allerta.testsupport.LocalKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What came out of the system, read as an operator's tool would: a plain Kafka consumer of every
 * {@code notifications.jobs.*} topic, of {@code alerts.matches} and of {@code notifications.receipts} (of which it
 * keeps the {@code FAILED} ones), from the beginning, on its own thread.
 */
final class Tap implements AutoCloseable {

    private final ConcurrentLinkedQueue<Job> jobs = new ConcurrentLinkedQueue<>();
    /** Matches read per event: counted, not kept (a run reads millions). */
    private final ConcurrentHashMap<String, LongAdder> matches = new ConcurrentHashMap<>();
    /** One copy of each event id, shared by that event's jobs. */
    private final ConcurrentHashMap<String, String> eventIds = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Receipt> failures = new ConcurrentLinkedQueue<>();
    private final Thread reader;
    private volatile boolean reading = true;

    Tap() {
        reader = new Thread(this::read, "test-tap");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * What the tests count of a job: who, for which notice, under which id. The rendered texts are not kept, so
     * that a run of millions of jobs fits in the test's heap.
     */
    record Job(String jobId, Channel channel, String eventId, Long revision, Change change, String subscriberId,
               String recipient) {

        static Job of(NotificationJob job, Map<String, String> eventIds) {
            return new Job(job.jobId(), job.channel(), job.eventId() == null ? null
                    : eventIds.computeIfAbsent(job.eventId(), id -> id), job.revision(), job.change(),
                    job.subscriberId(), job.recipient());
        }
    }

    /** Every job read so far of {@code eventId}. */
    List<Job> jobsOf(String eventId) {
        return jobs.stream().filter(j -> eventId != null && eventId.equals(j.eventId())).toList();
    }

    /** How many jobs were read so far: a mark for {@link #jobsSince(long)}. */
    long jobCount() {
        return jobs.size();
    }

    /** Every job read after the mark, whatever its event. */
    List<Job> jobsSince(long mark) {
        return jobs.stream().skip(mark).toList();
    }

    /** How many matches of {@code eventId} were read so far. */
    long matchCount(String eventId) {
        LongAdder count = eventId == null ? null : matches.get(eventId);
        return count == null ? 0 : count.sum();
    }

    /** Every FAILED receipt read so far. */
    List<Receipt> failures() {
        return List.copyOf(failures);
    }

    private void read() {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafka.shared().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-tap-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(Pattern.compile(Pattern.quote(Topics.JOBS_PREFIX) + ".*|"
                    + Pattern.quote(Topics.ALERTS_MATCHES) + "|" + Pattern.quote(Topics.NOTIFICATIONS_RECEIPTS)));
            while (reading) {
                try {
                    for (var r : consumer.poll(Duration.ofMillis(200))) {
                        try {
                            if (r.topic().equals(Topics.ALERTS_MATCHES)) {
                                matches.computeIfAbsent(Json.fromBytes(r.value(), MatchChange.class).eventId(),
                                        id -> new LongAdder()).increment();
                            } else if (r.topic().equals(Topics.NOTIFICATIONS_RECEIPTS)) {
                                Receipt receipt = Json.fromBytes(r.value(), Receipt.class);
                                if (receipt.status() == ReceiptStatus.FAILED) {
                                    failures.add(receipt);
                                }
                            } else {
                                jobs.add(Job.of(Json.fromBytes(r.value(), NotificationJob.class), eventIds));
                            }
                        } catch (IllegalArgumentException | NullPointerException e) {
                            // not a record of the contract (a poison record of a scenario): not counted
                        }
                    }
                } catch (org.apache.kafka.common.errors.RetriableException e) {
                    // the broker is being restarted by a scenario
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        reading = false;
        reader.join(10_000);
    }
}
