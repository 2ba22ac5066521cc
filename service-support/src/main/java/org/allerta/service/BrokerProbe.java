package org.allerta.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.kafka.TopicCreator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Watches the Kafka brokers from a background thread, so that readiness answers at once, and creates Allerta's
 * topics ({@link org.allerta.contracts.Topics}) the first time the brokers are reachable. Never blocks start-up:
 * a service may start while the brokers are away.
 */
@ApplicationScoped
public class BrokerProbe {

    private static final Logger LOG = Logger.getLogger(BrokerProbe.class);

    /** What the probe saw last. */
    public record State(boolean up, boolean topicsReady, String detail, Instant checkedAt) {
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "allerta.kafka.create-topics", defaultValue = "true")
    boolean createTopics;

    @ConfigProperty(name = "allerta.kafka.replication-factor", defaultValue = "1")
    short replicationFactor;

    @ConfigProperty(name = "allerta.kafka.probe-interval", defaultValue = "1s")
    Duration interval;

    @ConfigProperty(name = "allerta.kafka.probe-timeout", defaultValue = "2s")
    Duration timeout;

    private final Config config;
    private volatile State state = new State(false, false, "not probed yet", Instant.EPOCH);
    private Ticker ticker;
    private Admin admin;

    BrokerProbe(Config config) {
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-broker-probe").every(Duration.ZERO, interval, this::probe);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
        synchronized (this) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
        }
    }

    /** The latest observation. */
    public State state() {
        return state;
    }

    /**
     * Kafka client settings shared by every client of the service: bootstrap servers and security, from every
     * {@code kafka.*} property or {@code KAFKA_*} environment variable. Of the environment variables only those that
     * name a client setting are taken: {@code KAFKA_HEAP_OPTS} or {@code KAFKA_OPTS}, set for Kafka's own scripts on
     * the same machine, are not settings of a client.
     */
    /** Every setting an admin client, a producer or a consumer knows ({@code client.rack} is a consumer's). */
    private static final java.util.Set<String> CLIENT_SETTINGS = java.util.stream.Stream.of(
                    AdminClientConfig.configNames(),
                    org.apache.kafka.clients.producer.ProducerConfig.configNames(),
                    org.apache.kafka.clients.consumer.ConsumerConfig.configNames())
            .flatMap(java.util.Set::stream).collect(java.util.stream.Collectors.toUnmodifiableSet());

    public Map<String, Object> clientConfig() {
        var settings = new HashMap<String, Object>();
        for (String name : config.getPropertyNames()) {
            String key = null;
            if (name.startsWith("kafka.") && !name.startsWith("kafka.devservices")) {
                key = name.substring("kafka.".length());
            } else if (name.startsWith("KAFKA_") && !name.startsWith("KAFKA_DEVSERVICES")) {
                // Environment form: KAFKA_SASL_JAAS_CONFIG is sasl.jaas.config.
                key = name.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.');
                if (!CLIENT_SETTINGS.contains(key)) {
                    LOG.debugf("%s names no Kafka client setting: not passed to the clients", name);
                    continue;
                }
            }
            if (key != null) {
                String clientKey = key;
                config.getOptionalValue(name, String.class).ifPresent(value -> settings.put(clientKey, value));
            }
        }
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return settings;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            var props = new Properties();
            props.putAll(clientConfig());
            props.put(AdminClientConfig.CLIENT_ID_CONFIG, "allerta-broker-probe");
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
            admin = Admin.create(props);
        }
        return admin;
    }

    void probe() {
        boolean topicsReady = state.topicsReady();
        try {
            int nodes = admin().describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS).size();
            if (createTopics && !topicsReady) {
                var created = new TopicCreator(bootstrapServers, replicationFactor, clientConfig())
                        .createAll(Duration.ofSeconds(15));
                if (!created.isEmpty()) {
                    LOG.infof("created topics %s", created);
                }
                topicsReady = true;
            }
            if (!state.up()) {
                LOG.infof("Kafka brokers reachable at %s", bootstrapServers);
            }
            state = new State(true, topicsReady || !createTopics, nodes + " broker(s)", Instant.now());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            String reason = e.getCause() != null ? e.getCause().getClass().getSimpleName() : e.getClass().getSimpleName();
            if (state.up() || state.checkedAt().equals(Instant.EPOCH)) {
                LOG.warnf("Kafka brokers unreachable at %s (%s)", bootstrapServers, reason);
            }
            state = new State(false, topicsReady, "unreachable: " + reason, Instant.now());
        }
    }
}
