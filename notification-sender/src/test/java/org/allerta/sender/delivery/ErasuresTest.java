package org.allerta.sender.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.allerta.testsupport.LocalKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * When the sender has read the erasures on their topic (and may send), on a real broker: not before the group's
 * position reaches the end; at once when the records are gone with their retention, whatever was committed; at once
 * when the topic does not exist.
 */
class ErasuresTest {

    @Test
    void theErasuresAreReadWhenTheGroupIsAtTheEndOrTheRecordsAreGone() throws Exception {
        String bootstrap = LocalKafka.shared().bootstrapServers();
        var props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        String topic = "erasures-test-" + UUID.randomUUID();
        String group = "erasures-test-group-" + UUID.randomUUID();
        try (Admin admin = Admin.create(props)) {
            assertThat(Erasures.readToEnd(admin, "no-such-topic-" + UUID.randomUUID(), group))
                    .as("a topic that does not exist holds nothing to read").isTrue();

            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            assertThat(Erasures.readToEnd(admin, topic, group)).as("an empty topic").isTrue();

            var producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (var producer = new KafkaProducer<String, String>(producerProps, new StringSerializer(),
                    new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "a", "{}")).get();
                producer.send(new ProducerRecord<>(topic, "b", "{}")).get();
            }
            TopicPartition partition = new TopicPartition(topic, 0);
            assertThat(Erasures.readToEnd(admin, topic, group)).as("two records, none read").isFalse();
            admin.alterConsumerGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(1))).all().get();
            assertThat(Erasures.readToEnd(admin, topic, group)).as("one of two read").isFalse();
            admin.alterConsumerGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(2))).all().get();
            assertThat(Erasures.readToEnd(admin, topic, group)).as("both read").isTrue();

            // a group that read one record, then was away while both went with their retention
            admin.alterConsumerGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(1))).all().get();
            admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(2))).all().get();
            assertThat(Erasures.readToEnd(admin, topic, group)).as("the records are gone: nothing left to read")
                    .isTrue();
        }
    }
}
