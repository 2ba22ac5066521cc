package org.allerta.testsupport;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic of the test broker with a plain Kafka consumer, from the beginning, as an outsider would. */
public final class TopicReader implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

    public TopicReader(String topic) {
        this(List.of(topic));
    }

    /** Reads these topics together, from the beginning. */
    public TopicReader(List<String> topics) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalKafka.shared().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(topics);
    }

    /** Polls until {@code count} records match (or fails after {@code timeout}); returns the matching ones. */
    public List<ConsumerRecord<String, byte[]>> await(Predicate<ConsumerRecord<String, byte[]>> match, int count,
                                                      Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<ConsumerRecord<String, byte[]>> matching = seen.stream().filter(match).toList();
            if (matching.size() >= count) {
                return matching;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("expected " + count + " matching records, found " + matching.size()
                        + " among " + seen.size());
            }
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
    }

    /** Everything read so far plus whatever arrives within {@code quiet}. */
    public List<ConsumerRecord<String, byte[]>> drain(Duration quiet) {
        Instant deadline = Instant.now().plus(quiet);
        while (Instant.now().isBefore(deadline)) {
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
