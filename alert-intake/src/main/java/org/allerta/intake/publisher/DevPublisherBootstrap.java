package org.allerta.intake.publisher;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Json;
import org.allerta.contracts.Publisher;
import org.allerta.contracts.Topics;
import org.allerta.contracts.kafka.CloudEvents;
import org.allerta.service.BrokerProbe;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Local mode only: announces the development publisher that {@code ./allerta up} generated (every kind, whole
 * world, no area limit) on the compacted {@code publishers} topic, once the broker is reachable. Safe to repeat: the
 * record is keyed by the publisher id, so a restart replaces it with the same content. Nothing happens unless
 * {@code allerta.bootstrap-publisher.key-sha256} is set; only the key's hash is known here.
 */
@ApplicationScoped
public class DevPublisherBootstrap {

    private static final Logger LOG = Logger.getLogger(DevPublisherBootstrap.class);
    /** The Earth's surface: no area limit. */
    static final double WHOLE_WORLD_KM2 = 510_072_000;

    @ConfigProperty(name = "allerta.bootstrap-publisher.id", defaultValue = "dev-publisher")
    String publisherId;

    @ConfigProperty(name = "allerta.bootstrap-publisher.key-sha256")
    Optional<String> keySha256;

    private final BrokerProbe broker;
    private ScheduledExecutorService scheduler;
    private volatile boolean announced;

    DevPublisherBootstrap(BrokerProbe broker) {
        this.broker = broker;
    }

    void onStart(@Observes StartupEvent event) {
        if (keySha256.filter(hash -> !hash.isBlank()).isEmpty()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "allerta-dev-publisher");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::announce, 0, 1, TimeUnit.SECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    /** True once the development publisher is on the topic. */
    public boolean announced() {
        return announced;
    }

    private void announce() {
        if (announced || !broker.state().topicsReady()) {
            return;
        }
        Instant now = Instant.now();
        var publisher = new Publisher(publisherId, "Local development publisher", keySha256.get().trim(),
                EnumSet.allOf(EventKind.class), null, WHOLE_WORLD_KM2, false, true, now);
        var props = new Properties();
        props.putAll(broker.clientConfig());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            var record = new ProducerRecord<>(Topics.PUBLISHERS, publisherId, Json.toBytes(publisher));
            CloudEvents.Attributes.of(publisherId + "@" + now, "alert-intake", Publisher.class, now, publisherId)
                    .addTo(record.headers());
            producer.send(record).get(15, TimeUnit.SECONDS);
            announced = true;
            LOG.infof("development publisher %s announced on %s", publisherId, Topics.PUBLISHERS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debugf("development publisher not announced yet: %s", e.getMessage());
        }
    }
}
