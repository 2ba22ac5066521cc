package org.allerta.intake.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Json;
import org.allerta.contracts.Publisher;
import org.allerta.contracts.Topics;
import org.allerta.service.ApiKeys;
import org.allerta.testsupport.LocalKafka;
import org.allerta.testsupport.RealInfrastructure;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class DevPublisherBootstrapTest {

    @Test
    void announcesTheDevelopmentPublisherWithItsKeyHashOnly() {
        ConsumerRecord<String, byte[]> record = awaitPublisher("dev-publisher");

        Publisher publisher = Json.fromBytes(record.value(), Publisher.class);
        assertThat(publisher.apiKeySha256()).isEqualTo(ApiKeys.sha256("test-publisher-key"));
        assertThat(publisher.allowedKinds()).isEqualTo(EnumSet.allOf(EventKind.class));
        assertThat(publisher.territory()).isNull();
        assertThat(publisher.areaLimitKm2()).isGreaterThanOrEqualTo(510_000_000);
        assertThat(publisher.active()).isTrue();
        assertThat(publisher.testMode()).isFalse();

        String json = new String(record.value(), StandardCharsets.UTF_8);
        assertThat(json).doesNotContain("test-publisher-key").doesNotContainIgnoringCase("secret");
        assertThat(new String(record.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8))
                .isEqualTo("org.allerta.Publisher");
        assertThat(record.headers().lastHeader("ce_specversion")).isNotNull();
    }

    @jakarta.inject.Inject
    PublisherService publishers;

    /**
     * Started again (the bootstrap runs at every start), the development publisher keeps what an administrator
     * decided: revoked stays revoked, a narrower remit stays narrow, even with new credentials.
     */
    @Test
    void aRevokedOrNarrowedDevelopmentPublisherStaysSoAtTheNextStart() {
        String id = "dev-" + UUID.randomUUID().toString().substring(0, 8);
        String key = ApiKeys.sha256("key-" + id);
        assertThat(publishers.ensure(id, "Local development publisher", key, "secret-1")).isTrue();
        publishers.update(id, new PublisherService.PublisherSpec(null, null, EnumSet.of(EventKind.WATER_OUTAGE), null,
                null, null, null));
        assertThat(publishers.ensure(id, "Local development publisher", key, "secret-1")).isTrue();
        assertThat(publishers.get(id).allowedKinds()).containsExactly(EventKind.WATER_OUTAGE);
        publishers.update(id, new PublisherService.PublisherSpec(null, null, null, null, null, null, false));
        assertThat(publishers.ensure(id, "Local development publisher", key, "secret-1")).isFalse();
        assertThat(publishers.ensure(id, "Local development publisher", ApiKeys.sha256("new-" + id), "secret-2"))
                .isFalse();
        Publisher after = publishers.get(id);
        assertThat(after.active()).isFalse();
        assertThat(after.allowedKinds()).containsExactly(EventKind.WATER_OUTAGE);
        assertThat(after.apiKeySha256()).isEqualTo(ApiKeys.sha256("new-" + id));
    }

    private ConsumerRecord<String, byte[]> awaitPublisher(String id) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafka.shared().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline)) {
                if (consumer.subscription().isEmpty()) {
                    try {
                        consumer.subscribe(List.of(Topics.PUBLISHERS));
                    } catch (RuntimeException notYet) {
                        continue;
                    }
                }
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    if (id.equals(record.key())) {
                        return record;
                    }
                }
            }
        }
        throw new AssertionError("no publisher " + id + " on " + Topics.PUBLISHERS);
    }
}
