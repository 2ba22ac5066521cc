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

    /**
     * A producer with the services' settings for the scratch topic {@code topic} (created with six partitions if
     * missing), each partition's leader known and one record of {@code value} acknowledged on each, so that the clock
     * starts on a producer at full speed.
     */
    private static KafkaProducer<String, byte[]> ready(String bootstrap, String topic, byte[] value)
            throws Exception {
        var props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(props)) {
            if (!admin.listTopics().names().get().contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get();
            }
        }
        var producer = producer(bootstrap);
        try {
            // a new topic's partitions need their leaders before an idempotent producer writes at full speed
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (producer.partitionsFor(topic).stream().anyMatch(p -> p.leader() == null)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            for (int p = 0; p < 6; p++) {
                producer.send(new ProducerRecord<>(topic, p, "warm-up", value)).get();
            }
            return producer;
        } catch (Exception e) {
            producer.close();
            throw e;
        }
    }

    /** Seconds Kafka alone takes to acknowledge {@code count} records of {@code value} on a scratch topic. */
    static double produce(String bootstrap, String topic, long count, byte[] value) throws Exception {
        try (var producer = ready(bootstrap, topic, value)) {
            long t = System.nanoTime();
            for (long i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "bench-" + i, value));
            }
            producer.flush();
            return (System.nanoTime() - t) / 1e9;
        }
    }

    /**
     * Seconds Kafka alone takes to acknowledge {@code count} records shaped like those the services send, where
     * {@link #produce} sends copies of one value without headers (which compress to almost nothing): each record of
     * {@code sample}'s size with two 36-byte stretches of it replaced by random hexadecimal, as two UUIDs differ from
     * record to record (a subscriber's and a place's, a job's), and the seven CloudEvents headers the services write,
     * their id and subject different for each record. The values and headers are made from prepared bytes, so that the
     * time is Kafka's and not the making of JSON.
     */
    static double produceAsSent(String bootstrap, String topic, long count, byte[] sample, String service,
                                String type) throws Exception {
        var random = new java.util.Random(7);
        byte[] pool = new byte[1 << 20];
        byte[] hex = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < pool.length; i++) {
            pool[i] = hex[random.nextInt(16)];
        }
        byte[] source = ("/allerta/" + service).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] typeBytes = ("org.allerta." + type).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] spec = "1.0".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] json = "application/json".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] time = java.time.Instant.now().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int first = sample.length / 4;
        int second = sample.length / 2;
        try (var producer = ready(bootstrap, topic, sample)) {
            long t = System.nanoTime();
            for (long i = 0; i < count; i++) {
                int at = (int) ((i * 7919) % (pool.length - 110));
                byte[] value = sample.clone();
                System.arraycopy(pool, at, value, first, Math.min(36, value.length - first));
                System.arraycopy(pool, at + 36, value, second, Math.min(36, value.length - second));
                String key = "bench-" + i;
                var record = new ProducerRecord<>(topic, key, value);
                var headers = record.headers();
                headers.add(org.allerta.contracts.kafka.CloudEvents.ID, java.util.Arrays.copyOfRange(pool, at + 72,
                        at + 110));
                headers.add(org.allerta.contracts.kafka.CloudEvents.SOURCE, source);
                headers.add(org.allerta.contracts.kafka.CloudEvents.TYPE, typeBytes);
                headers.add(org.allerta.contracts.kafka.CloudEvents.SPECVERSION, spec);
                headers.add(org.allerta.contracts.kafka.CloudEvents.TIME, time);
                headers.add(org.allerta.contracts.kafka.CloudEvents.SUBJECT,
                        key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                headers.add(org.allerta.contracts.kafka.CloudEvents.CONTENT_TYPE, json);
                producer.send(record);
            }
            producer.flush();
            return (System.nanoTime() - t) / 1e9;
        }
    }
}
