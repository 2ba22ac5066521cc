package org.allerta.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A batch whose producer is closed under it while the service stops is read again at the next start: the consumer
 * loop must recognise that failure as the stop, not as a fault of the record (which would be dead-lettered and its
 * offset committed, the record lost to the service).
 */
class ConsumerLoopTest {

    @Test
    void aClosedProducersRefusalIsRecognisedAsTheStopAndNothingElseIs() {
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 100), new StringSerializer(), new ByteArraySerializer());
        producer.close();
        Throwable refused = catchThrowable(() -> producer.send(new ProducerRecord<>("t", "k", new byte[1])));
        assertThat(refused).isInstanceOf(IllegalStateException.class);
        assertThat(ConsumerLoop.closedProducer(refused)).isTrue();
        assertThat(ConsumerLoop.closedProducer(new RuntimeException("matching failed", refused))).isTrue();
        assertThat(ConsumerLoop.closedProducer(new IllegalStateException("a record without its key"))).isFalse();
        assertThat(ConsumerLoop.closedProducer(new IllegalArgumentException("bad JSON"))).isFalse();
    }

    /** A loop that handles one record at a time polls one at a time; a batch loop polls its batch. */
    @Test
    void aLoopOfOneRecordAtATimePollsOneAndABatchLoopItsBatch() {
        assertThat(ConsumerLoop.pollRecords(1)).isEqualTo(1);
        assertThat(ConsumerLoop.pollRecords(2000)).isEqualTo(2000);
        assertThat(ConsumerLoop.pollRecords(50)).isEqualTo(100);
    }
}
