package org.allerta.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import org.allerta.contracts.DeadLetter;
import org.allerta.service.problem.DatabaseErrors;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * A Kafka consumer on a thread of its own that commits a record's offset only after its handler has dealt with it
 * (accepted it, or dead-lettered it). When the handler finds the database away (a 503 problem, or a connection
 * error), the loop goes back to that record and waits, so nothing is skipped; when the broker is away it waits for
 * it. The handler dead-letters the poison records it recognises; as a last line, a batch that fails in any other way
 * is handled again one record at a time, and a record that fails {@value #ATTEMPTS} times in a row is dead-lettered
 * with the error, so that no record stops its partition for good. After a pause, every partition of the poll goes
 * back to its first record not handled, so that none is skipped.
 */
public final class ConsumerLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConsumerLoop.class);

    /** How many times in a row a record may fail before it is dead-lettered. */
    static final int ATTEMPTS = 3;

    /** Handles one record. */
    @FunctionalInterface
    public interface Handler {
        void handle(ConsumerRecord<String, byte[]> record);
    }

    /** Handles every record of one poll together (batched reads and writes); offsets are committed afterwards. */
    @FunctionalInterface
    public interface BatchHandler {
        void handle(List<ConsumerRecord<String, byte[]>> records);
    }

    /**
     * Thrown by a handler that cannot deal with a record yet (something it depends on has not arrived): the loop goes
     * back to the record and tries again a little later; nothing is skipped.
     */
    public static final class RetryLater extends RuntimeException {
        public RetryLater(String reason) {
            super(reason, null, false, false);
        }
    }

    private final String name;
    private final BrokerProbe broker;
    private final String groupId;
    private final List<String> topics;
    private final BatchHandler handler;
    private final int maxPollRecords;
    private final RecordProducer deadLetters;
    private final Thread thread;

    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;

    /** How long a batch may take between two polls; null for Kafka's default. */
    private volatile Duration longestBatch;

    private ConsumerLoop(String name, BrokerProbe broker, String groupId, List<String> topics, BatchHandler handler,
                         int maxPollRecords, RecordProducer deadLetters) {
        this.name = name;
        this.broker = broker;
        this.groupId = groupId;
        this.topics = List.copyOf(topics);
        this.handler = handler;
        this.maxPollRecords = maxPollRecords;
        this.deadLetters = deadLetters;
        this.thread = new Thread(this::run, "allerta-" + name);
        this.thread.setDaemon(true);
    }

    /**
     * Starts consuming {@code topics} as consumer group {@code groupId}; a record that keeps failing goes to
     * {@code deadLetters}.
     */
    public static ConsumerLoop start(String name, BrokerProbe broker, String groupId, List<String> topics,
                                     RecordProducer deadLetters, Handler handler) {
        var loop = new ConsumerLoop(name, broker, groupId, topics, records -> records.forEach(handler::handle), 1,
                deadLetters);
        loop.thread.start();
        return loop;
    }

    /** Starts consuming in batches of up to {@code maxPollRecords}; the handler sees each poll's records at once. */
    public static ConsumerLoop startBatches(String name, BrokerProbe broker, String groupId, List<String> topics,
                                            RecordProducer deadLetters, int maxPollRecords, BatchHandler handler) {
        var loop = new ConsumerLoop(name, broker, groupId, topics, handler, maxPollRecords, deadLetters);
        loop.thread.start();
        return loop;
    }

    /**
     * Like {@link #startBatches(String, BrokerProbe, String, List, RecordProducer, int, BatchHandler)}, for a handler
     * whose batch may rightly take up to {@code longestBatch}: the group keeps the consumer's partitions that long
     * between polls (Kafka's default is five minutes, after which another member would take the batch over while this
     * one is still working through it).
     */
    public static ConsumerLoop startBatches(String name, BrokerProbe broker, String groupId, List<String> topics,
                                            RecordProducer deadLetters, int maxPollRecords, Duration longestBatch,
                                            BatchHandler handler) {
        var loop = new ConsumerLoop(name, broker, groupId, topics, handler, maxPollRecords, deadLetters);
        loop.longestBatch = longestBatch;
        loop.thread.start();
        return loop;
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (running) {
            if (!broker.state().topicsReady()) {
                pause(500);
                continue;
            }
            try (KafkaConsumer<String, byte[]> c = create()) {
                consumer = c;
                c.subscribe(topics);
                while (running) {
                    ConsumerRecords<String, byte[]> polled = c.poll(Duration.ofMillis(500));
                    if (polled.isEmpty()) {
                        continue;
                    }
                    var batch = new ArrayList<ConsumerRecord<String, byte[]>>(polled.count());
                    polled.forEach(batch::add);
                    if (maxPollRecords > 1) {
                        handle(c, batch);
                    } else {
                        for (int i = 0; i < batch.size(); i++) {
                            if (!handle(c, List.of(batch.get(i)))) {
                                // the poll's records not handled yet, on every partition, are read again
                                rewind(c, batch.subList(i, batch.size()));
                                break;
                            }
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warnf("%s consumer restarting: %s", name, e.getMessage());
                    pause(1000);
                }
            } finally {
                consumer = null;
            }
        }
    }

    /** Handles a batch and commits it; false when it must be tried again (the consumer went back to it). */
    private boolean handle(KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> batch) {
        Attempt attempt = attempt(batch);
        switch (attempt.outcome()) {
            case DONE -> {
                commit(c, batch);
                return true;
            }
            case WAIT -> {
                retryLater(c, batch, attempt.waitReason());
                return false;
            }
            default -> {
                // not something that is away: the batch is handled again a record at a time, so that one record
                // that cannot be handled is found and dead-lettered and the others go on
                LOG.warnf(attempt.error(), "%s: a batch of %d failed; handling it a record at a time", name,
                        batch.size());
                return oneByOne(c, batch);
            }
        }
    }

    /**
     * Handles the records of a batch that failed one at a time, each up to {@value #ATTEMPTS} times; one that keeps
     * failing is dead-lettered. False when something it needs is away: the records not handled yet, on every
     * partition, are read again later.
     */
    private boolean oneByOne(KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> batch) {
        for (int i = 0; i < batch.size(); i++) {
            ConsumerRecord<String, byte[]> record = batch.get(i);
            for (int tries = 1; ; tries++) {
                Attempt attempt = attempt(List.of(record));
                if (attempt.outcome() == Outcome.WAIT) {
                    retryLater(c, batch.subList(i, batch.size()), attempt.waitReason());
                    return false;
                }
                if (attempt.outcome() == Outcome.DONE) {
                    break;
                }
                if (tries >= ATTEMPTS) {
                    RuntimeException error = attempt.error();
                    LOG.errorf(error, "%s: record %s-%d@%d failed %d times; dead-lettered", name, record.topic(),
                            record.partition(), record.offset(), tries);
                    String why = error.getClass().getSimpleName() + ": " + error.getMessage();
                    deadLetters.deadLetter(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX
                            + "unprocessable-record", "value", "handling failed " + tries + " times: "
                            + (why.length() > 500 ? why.substring(0, 500) + "..." : why))));
                    break;
                }
                pause(1000);
            }
            commit(c, List.of(record));
        }
        return true;
    }

    private enum Outcome { DONE, WAIT, FAILED }

    /** What one run of the handler came to: why it must wait, or what failed. */
    private record Attempt(Outcome outcome, String waitReason, RuntimeException error) {

        static final Attempt DONE = new Attempt(Outcome.DONE, null, null);

        static Attempt waiting(String reason) {
            return new Attempt(Outcome.WAIT, reason, null);
        }

        static Attempt failed(RuntimeException error) {
            return new Attempt(Outcome.FAILED, null, error);
        }
    }

    /** Runs the handler once: done, wait (something it depends on is away or has not arrived) or failed. */
    private Attempt attempt(List<ConsumerRecord<String, byte[]>> batch) {
        try {
            handler.handle(batch);
            return Attempt.DONE;
        } catch (RetryLater e) {
            return Attempt.waiting(e.getMessage());
        } catch (ProblemException e) {
            return e.problem().status() == 503 ? Attempt.waiting("the database is unavailable") : Attempt.failed(e);
        } catch (RuntimeException e) {
            if (!running || closedProducer(e)) {
                // the service is stopping and what the batch needs is being closed under it: the batch is neither
                // committed nor dead-lettered, and is read again at the next start
                return Attempt.waiting("stopping: " + e.getMessage());
            }
            if (DatabaseErrors.isUnavailable(e)) {
                return Attempt.waiting("the database is unavailable");
            }
            if (brokerAway(e)) {
                return Attempt.waiting("the broker is unavailable: " + e.getMessage());
            }
            if (DatabaseErrors.isTransient(e)) {
                return Attempt.waiting("the database cannot take it for now: " + e.getMessage());
            }
            return Attempt.failed(e);
        } catch (StackOverflowError e) {
            // a record nested deeper than its reader can follow: a fault of the record, never of the consumer
            return Attempt.failed(new IllegalStateException("the record is nested too deeply to be read", e));
        }
    }

    /** True when the error is a Kafka producer's refusal to send once closed (the service is stopping). */
    static boolean closedProducer(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof IllegalStateException && cause.getMessage() != null
                    && cause.getMessage().contains("producer has been closed")) {
                return true;
            }
        }
        return false;
    }

    /** True when the error says the broker did not take a record for now (it may later), not what the record is. */
    private boolean brokerAway(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.apache.kafka.common.errors.RetriableException
                    || cause instanceof java.util.concurrent.TimeoutException
                    || cause instanceof InterruptedException) {
                return true;
            }
        }
        return !broker.state().up();
    }

    private static void commit(KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> batch) {
        var offsets = new HashMap<TopicPartition, OffsetAndMetadata>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            offsets.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        c.commitSync(offsets);
    }

    /** Goes back to the first record of the batch in each partition, and waits a little. */
    private void retryLater(KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> batch,
                            String reason) {
        LOG.infof("%s paused: %s; retrying", name, reason);
        rewind(c, batch);
        pause(1000);
    }

    /** Goes back to the first of these records in each of their partitions. */
    private static void rewind(KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> records) {
        var first = new HashMap<TopicPartition, Long>();
        for (ConsumerRecord<String, byte[]> record : records) {
            first.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
        }
        first.forEach(c::seek);
    }

    /**
     * How many records a poll returns. A loop that handles records one at a time gets one per poll: Kafka's time
     * between polls (five minutes) is then the time of one record (a revision of a large area, matched in tens of
     * seconds), not of a hundred, after which the group would hand the partition to another member mid-work.
     * Records are fetched ahead all the same, so one per poll costs no round trip.
     */
    static int pollRecords(int maxPollRecords) {
        return maxPollRecords <= 1 ? 1 : Math.max(100, maxPollRecords);
    }

    private KafkaConsumer<String, byte[]> create() {
        var props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, pollRecords(maxPollRecords));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-" + name);
        // a consumer that died (kill -9) keeps its partitions until its session expires, and its restarted
        // replacement waits that long: 10 s instead of Kafka's 45 s (heartbeats have their own thread, so a long
        // batch does not end a session)
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        if (longestBatch != null) {
            props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE,
                    longestBatch.toMillis()));
        }
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
