package org.allerta.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import org.allerta.service.problem.DatabaseErrors;
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
 * it. The handler must never let a poison record throw anything else: it dead-letters it.
 */
public final class ConsumerLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConsumerLoop.class);

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
    private final Thread thread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;

    private ConsumerLoop(String name, BrokerProbe broker, String groupId, List<String> topics, BatchHandler handler,
                         int maxPollRecords) {
        this.name = name;
        this.broker = broker;
        this.groupId = groupId;
        this.topics = List.copyOf(topics);
        this.handler = handler;
        this.maxPollRecords = maxPollRecords;
        this.thread = new Thread(this::run, "allerta-" + name);
        this.thread.setDaemon(true);
    }

    /** Starts consuming {@code topics} as consumer group {@code groupId}. */
    public static ConsumerLoop start(String name, BrokerProbe broker, String groupId, List<String> topics,
                                     Handler handler) {
        var loop = new ConsumerLoop(name, broker, groupId, topics, records -> records.forEach(handler::handle), 1);
        loop.thread.start();
        return loop;
    }

    /** Starts consuming in batches of up to {@code maxPollRecords}; the handler sees each poll's records at once. */
    public static ConsumerLoop startBatches(String name, BrokerProbe broker, String groupId, List<String> topics,
                                            int maxPollRecords, BatchHandler handler) {
        var loop = new ConsumerLoop(name, broker, groupId, topics, handler, maxPollRecords);
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
        try {
            handler.handle(batch);
        } catch (RetryLater e) {
            retryLater(c, batch, e.getMessage());
            return false;
        } catch (ProblemException e) {
            if (e.problem().status() != 503) {
                throw e;
            }
            retryLater(c, batch, "the database is unavailable");
            return false;
        } catch (RuntimeException e) {
            if (!DatabaseErrors.isUnavailable(e)) {
                throw e;
            }
            retryLater(c, batch, "the database is unavailable");
            return false;
        }
        var offsets = new HashMap<TopicPartition, OffsetAndMetadata>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            offsets.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        c.commitSync(offsets);
        return true;
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
