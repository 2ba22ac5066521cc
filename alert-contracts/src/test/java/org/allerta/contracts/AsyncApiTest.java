package org.allerta.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.allerta.contracts.Topics.TopicSpec;
import org.junit.jupiter.api.Test;

/** docs/asyncapi.yaml must describe exactly the topics of {@link Topics}, with the same settings. */
class AsyncApiTest {

    private static final Path ROOT = Path.of(System.getProperty("allerta.root", ".."));

    @Test
    void documentsEveryTopicWithItsSettings() throws Exception {
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docs/asyncapi.yaml").toFile());
        assertThat(doc.path("asyncapi").asText()).startsWith("3.");

        Map<String, JsonNode> byAddress = new HashMap<>();
        doc.path("channels").forEach(channel -> byAddress.put(channel.path("address").asText(), channel));
        assertThat(byAddress.keySet()).containsExactlyInAnyOrderElementsOf(
                Topics.ALL.stream().map(TopicSpec::name).toList());

        for (TopicSpec spec : Topics.ALL) {
            JsonNode kafka = byAddress.get(spec.name()).path("bindings").path("kafka");
            assertThat(kafka.path("partitions").asInt()).as(spec.name()).isEqualTo(spec.partitions());
            var policies = new ArrayList<String>();
            kafka.path("topicConfiguration").path("cleanup.policy").forEach(p -> policies.add(p.asText()));
            assertThat(String.join(",", policies)).as(spec.name()).isEqualTo(spec.cleanup().policy());
            assertThat(kafka.path("topicConfiguration").path("retention.ms").asText()).as(spec.name())
                    .isEqualTo(spec.config().get("retention.ms"));
        }
    }

    @Test
    void everyMessageSchemaItReferencesExists() throws Exception {
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docs/asyncapi.yaml").toFile());
        doc.path("components").path("messages").forEach(message -> {
            String ref = message.path("payload").path("$ref").asText("");
            if (!ref.isEmpty()) {
                assertThat(Files.exists(ROOT.resolve("docs").resolve(ref).normalize())).as(ref).isTrue();
            }
        });
    }
}
