package org.allerta.service;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.allerta.service.problem.DatabaseErrors;
import org.allerta.service.problem.ProblemException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

    private final String name;
    private final BrokerProbe broker;
    private final String groupId;
    private final List<String> topics;
    private final Handler handler;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;

    private ConsumerLoop(String name, BrokerProbe broker, String groupId, List<String> topics, Handler handler) {
        this.name = name;
        this.broker = broker;
        this.groupId = groupId;
        this.topics = List.copyOf(topics);
        this.handler = handler;
        this.thread = new Thread(this::run, "allerta-" + name);
        this.thread.setDaemon(true);
    }

    /** Starts consuming {@code topics} as consumer group {@code groupId}. */
    public static ConsumerLoop start(String name, BrokerProbe broker, String groupId, List<String> topics,
                                     Handler handler) {
        var loop = new ConsumerLoop(name, broker, groupId, topics, handler);
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
                    for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                        if (!handle(c, record)) {
                            break;
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

    private boolean handle(KafkaConsumer<String, byte[]> c, ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try {
            handler.handle(record);
        } catch (ProblemException e) {
            if (e.problem().status() != 503) {
                throw e;
            }
            return retryLater(c, partition, record);
        } catch (RuntimeException e) {
            if (!DatabaseErrors.isUnavailable(e)) {
                throw e;
            }
            return retryLater(c, partition, record);
        }
        c.commitSync(Map.of(partition, new OffsetAndMetadata(record.offset() + 1)));
        return true;
    }

    private boolean retryLater(KafkaConsumer<String, byte[]> c, TopicPartition partition,
                               ConsumerRecord<String, byte[]> record) {
        LOG.warnf("%s paused: the database is unavailable; retrying", name);
        c.seek(partition, record.offset());
        pause(2000);
        return false;
    }

    private KafkaConsumer<String, byte[]> create() {
        var props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-" + name);
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
