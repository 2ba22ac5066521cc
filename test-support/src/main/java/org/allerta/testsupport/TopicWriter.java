package org.allerta.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes a record to a topic of the test broker with a plain Kafka producer, as an outsider would. */
public final class TopicWriter {

    private TopicWriter() {
    }

    /** Sends one record (a null value is a tombstone) and waits for the broker's acknowledgement. */
    public static void send(String topic, String key, byte[] value, Map<String, String> headers) throws Exception {
        send(topic, key, value, headers, null);
    }

    /**
     * Sends one record stamped with the given time (null: the producer's clock), as a record written while its
     * reader was away looks when the reader comes back.
     */
    public static void send(String topic, String key, byte[] value, Map<String, String> headers, Long timestamp)
            throws Exception {
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafka.shared().bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            var record = new ProducerRecord<>(topic, null, timestamp, key, value);
            headers.forEach((name, header) -> record.headers().add(name, header.getBytes(StandardCharsets.UTF_8)));
            producer.send(record).get(10, TimeUnit.SECONDS);
        }
    }

    /** Sends records in this order with one producer (they reach the topic together), and waits for them all. */
    public static void sendAll(String topic, java.util.List<Map.Entry<String, byte[]>> records) throws Exception {
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafka.shared().bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            var sent = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (var r : records) {
                sent.add(producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())));
            }
            for (var future : sent) {
                future.get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Sends one record without headers. */
    public static void send(String topic, String key, byte[] value) throws Exception {
        send(topic, key, value, Map.of());
    }
}
