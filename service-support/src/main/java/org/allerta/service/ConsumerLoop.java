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
 * {@value #ATTEMPTS} times in a row is handled again one record at a time, and a record that still fails
 * {@value #ATTEMPTS} times is dead-lettered with the error, so that no record stops its partition for good.
 */
public final class ConsumerLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConsumerLoop.class);

    /** How many times in a row a batch, then a record, may fail before it is split, then dead-lettered. */
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
    /** Where the batch that failed last started, and how many times in a row it failed. */
    private String failedAt;
    private int failures;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;

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
                        for (ConsumerRecord<String, byte[]> record : batch) {
                            if (!handle(c, List.of(record))) {
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
        switch (attempt(batch)) {
            case DONE -> {
                failures = 0;
                commit(c, batch);
                return true;
            }
            case WAIT -> {
                retryLater(c, batch, waitReason);
                return false;
            }
            default -> {
                String at = batch.get(0).topic() + "-" + batch.get(0).partition() + "@" + batch.get(0).offset()
                        + "+" + batch.size();
                failures = at.equals(failedAt) ? failures + 1 : 1;
                failedAt = at;
                if (failures < ATTEMPTS) {
                    LOG.warnf(error, "%s: a batch of %d failed (%d of %d times), trying it again", name,
                            batch.size(), failures, ATTEMPTS);
                    retryLater(c, batch, "the batch failed");
                    return false;
                }
                failures = 0;
                return oneByOne(c, batch);
            }
        }
    }

    /** Handles the records of a batch that kept failing one at a time; one that keeps failing is dead-lettered. */
    private boolean oneByOne(KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> batch) {
        for (ConsumerRecord<String, byte[]> record : batch) {
            for (int attempt = 1; ; attempt++) {
                Outcome outcome = attempt(List.of(record));
                if (outcome == Outcome.WAIT) {
                    retryLater(c, List.of(record), waitReason);
                    return false;
                }
                if (outcome == Outcome.DONE) {
                    break;
                }
                if (attempt >= ATTEMPTS) {
                    LOG.errorf(error, "%s: record %s-%d@%d failed %d times; dead-lettered", name, record.topic(),
                            record.partition(), record.offset(), attempt);
                    String why = error.getClass().getSimpleName() + ": " + error.getMessage();
                    deadLetters.deadLetter(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX
                            + "unprocessable-record", "value", "handling failed " + attempt + " times: "
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

    private String waitReason;
    private RuntimeException error;

    /** Runs the handler once: done, wait (something it depends on is away or has not arrived) or failed. */
    private Outcome attempt(List<ConsumerRecord<String, byte[]>> batch) {
        try {
            handler.handle(batch);
            return Outcome.DONE;
        } catch (RetryLater e) {
            waitReason = e.getMessage();
            return Outcome.WAIT;
        } catch (ProblemException e) {
            if (e.problem().status() == 503) {
                waitReason = "the database is unavailable";
                return Outcome.WAIT;
            }
            error = e;
            return Outcome.FAILED;
        } catch (RuntimeException e) {
            if (DatabaseErrors.isUnavailable(e)) {
                waitReason = "the database is unavailable";
                return Outcome.WAIT;
            }
            if (brokerAway(e)) {
                waitReason = "the broker is unavailable: " + e.getMessage();
                return Outcome.WAIT;
            }
            error = e;
            return Outcome.FAILED;
        }
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
        var first = new HashMap<TopicPartition, Long>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            first.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
        }
        first.forEach(c::seek);
        pause(1000);
    }

    private KafkaConsumer<String, byte[]> create() {
        var props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(100, maxPollRecords));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-" + name);
        // a consumer that died (kill -9) keeps its partitions until its session expires, and its restarted
        // replacement waits that long: 10 s instead of Kafka's 45 s (heartbeats have their own thread, so a long
        // batch does not end a session)
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
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
