package org.allerta.contracts.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.allerta.contracts.Topics;
import org.allerta.contracts.Topics.TopicSpec;
import org.allerta.testsupport.LocalKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** On a real, empty broker (its own, started by this test JVM). */
class TopicCreatorTest {

    @Test
    void createsEveryTopicWithItsDeclaredSettingsOnAnEmptyBrokerAndIsSafeToRepeat() throws Exception {
        String bootstrap = LocalKafka.shared().bootstrapServers();
        var creator = new TopicCreator(bootstrap, (short) 1, Map.of());

        List<String> created = creator.createAll(Duration.ofSeconds(30));
        assertThat(created).containsExactlyInAnyOrderElementsOf(
                Topics.ALL.stream().map(TopicSpec::name).toList());

        var props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            Set<String> names = Topics.ALL.stream().map(TopicSpec::name).collect(Collectors.toSet());
            Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
            var resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();

            for (TopicSpec spec : Topics.ALL) {
                assertThat(described.get(spec.name()).partitions()).as(spec.name()).hasSize(spec.partitions());
                Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
                spec.config().forEach((key, value) -> {
                    ConfigEntry entry = config.get(key);
                    assertThat(entry.value()).as(spec.name() + " " + key).isEqualTo(value);
                });
            }
        }

        assertThat(creator.createAll(Duration.ofSeconds(30))).as("second run creates nothing").isEmpty();
    }
}
