package org.allerta.contracts.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.allerta.contracts.Topics;
import org.allerta.contracts.Topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates Allerta's topics explicitly, with the partitions, cleanup policy and retention of {@link Topics}.
 * Safe to run any number of times, from any service, concurrently: existing topics are left as they are.
 */
public final class TopicCreator {

    private final Map<String, Object> adminConfig;
    private final short replicationFactor;

    /**
     * @param bootstrapServers  the brokers
     * @param replicationFactor replication factor of new topics (1 on a single local broker, 3 in production)
     * @param extraConfig       further admin client settings (security protocol, SASL...)
     */
    public TopicCreator(String bootstrapServers, short replicationFactor, Map<String, Object> extraConfig) {
        var config = new java.util.HashMap<String, Object>(extraConfig);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "allerta-topic-creator");
        this.adminConfig = Map.copyOf(config);
        this.replicationFactor = replicationFactor;
    }

    /** Creates every topic of {@link Topics#ALL} that does not exist yet; returns the names it created. */
    public List<String> createAll(Duration timeout) {
        return create(Topics.ALL, timeout);
    }

    /** Creates the given topics that do not exist yet; returns the names it created. */
    public List<String> create(Collection<TopicSpec> specs, Duration timeout) {
        var props = new Properties();
        props.putAll(adminConfig);
        try (Admin admin = Admin.create(props)) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = specs.stream()
                    .filter(spec -> !existing.contains(spec.name()))
                    .map(spec -> new NewTopic(spec.name(), spec.partitions(), replicationFactor).configs(spec.config()))
                    .toList();
            var created = new ArrayList<String>();
            var results = admin.createTopics(missing).values();
            for (var entry : results.entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            return List.copyOf(created);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot reach the Kafka brokers to create topics: " + e.getMessage(), e);
        }
    }
}
