package org.allerta.intake.raw;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.allerta.contracts.Topics;
import org.allerta.service.BrokerProbe;
import org.allerta.service.problem.ProblemException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Consumes {@code intake.raw} on a thread of its own. Each record is accepted or dead-lettered before its offset is
 * committed, so a poison record never stalls the partition and nothing is skipped; while the database is away the
 * consumer goes back to the record it could not handle and waits.
 */
@ApplicationScoped
public class RawIntakeConsumer {

    private static final Logger LOG = Logger.getLogger(RawIntakeConsumer.class);

    @ConfigProperty(name = "allerta.intake.raw.enabled", defaultValue = "true")
    boolean enabled;

    @ConfigProperty(name = "allerta.intake.raw.group-id", defaultValue = "alert-intake")
    String groupId;

    private final BrokerProbe broker;
    private final RawIntake intake;
    private volatile boolean running;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    RawIntakeConsumer(BrokerProbe broker, RawIntake intake) {
        this.broker = broker;
        this.intake = intake;
    }

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        running = true;
        thread = new Thread(this::run, "allerta-intake-raw");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
                c.subscribe(List.of(Topics.INTAKE_RAW));
                while (running) {
                    for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                        if (!handle(c, record)) {
                            break;
                        }
                    }
                }
            } catch (WakeupException e) {
                // shutting down
            } catch (RuntimeException e) {
                LOG.warnf("intake.raw consumer restarting: %s", e.getMessage());
                pause(1000);
            } finally {
                consumer = null;
            }
        }
    }

    /** Handles one record and commits past it; false when it must be retried later (the database is away). */
    private boolean handle(KafkaConsumer<String, byte[]> c, ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try {
            intake.handle(record);
        } catch (ProblemException unavailable) {
            LOG.warn("intake.raw paused: the database is unavailable; retrying");
            c.seek(partition, record.offset());
            pause(2000);
            return false;
        }
        c.commitSync(Map.of(partition, new OffsetAndMetadata(record.offset() + 1)));
        return true;
    }

    private KafkaConsumer<String, byte[]> create() {
        var props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "alert-intake-raw");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
