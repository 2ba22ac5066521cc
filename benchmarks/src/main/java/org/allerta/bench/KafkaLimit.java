package org.allerta.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The benchmarks' producer (the services' settings), their consumer positioned at the end of a topic, and Kafka's own
 * limit for the same records.
 */
final class KafkaLimit {

    private KafkaLimit() {
    }

    /** A producer with the services' settings: acks=all, idempotent, lz4, 5 ms linger, 64 KB batches. */
    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"), new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * A consumer of every partition of {@code topic}, its position at the topic's end resolved now, before the work it
     * waits for starts (a subscription's first poll may not have joined its group yet, and would then skip what came
     * meanwhile). {@code settings} come on top of the bootstrap servers and a group id of its own.
     */
    static KafkaConsumer<String, byte[]> atEnd(String bootstrap, String topic, Map<String, Object> settings) {
        var config = new HashMap<String, Object>(settings);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
        var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    /** Seconds Kafka alone takes to acknowledge {@code count} records of {@code value} on a scratch topic. */
    static double produce(String bootstrap, String topic, long count, byte[] value) throws Exception {
        var props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(props)) {
            if (!admin.listTopics().names().get().contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get();
            }
        }
        try (var producer = producer(bootstrap)) {
            // a new topic's partitions need their leaders before an idempotent producer writes at full speed
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (producer.partitionsFor(topic).stream().anyMatch(p -> p.leader() == null)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            for (int p = 0; p < 6; p++) {
                producer.send(new ProducerRecord<>(topic, p, "warm-up", value)).get();
            }
            long t = System.nanoTime();
            for (long i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "bench-" + i, value));
            }
            producer.flush();
            return (System.nanoTime() - t) / 1e9;
        }
    }
}
