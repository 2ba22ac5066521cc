package org.allerta.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Properties;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.Topics;
import org.allerta.contracts.kafka.CloudEvents;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The service's one Kafka producer: idempotent, {@code acks=all}, batching; contract records go out as JSON with their
 * CloudEvents headers. Also writes dead letters for records a consumer cannot accept.
 */
@ApplicationScoped
public class RecordProducer {

    /** Headers of a refused record that are safe to keep in its dead letter (never a credential). */
    private static final Set<String> SAFE_HEADERS = Set.of("content-type", "allerta-publisher", CloudEvents.ID,
            CloudEvents.TYPE, CloudEvents.SOURCE, CloudEvents.SUBJECT, CloudEvents.TIME);

    /** Dead letters written, by source topic and first reason (Prometheus: {@code allerta_dead_letters_total}). */
    public static final String DEAD_LETTERS = "allerta.dead.letters";

    private final BrokerProbe broker;
    private final String service;
    private final MeterRegistry meters;
    private volatile KafkaProducer<String, byte[]> producer;

    RecordProducer(BrokerProbe broker, @ConfigProperty(name = "quarkus.application.name") String service,
                   MeterRegistry meters) {
        this.broker = broker;
        this.service = service;
        this.meters = meters;
    }

    /**
     * Closes the producer after the consumer loops have stopped (their observers have the default priority, this one
     * a later one): a batch under way when the service stops still has the producer it sends with.
     */
    void onStop(@Observes @jakarta.annotation.Priority(jakarta.interceptor.Interceptor.Priority.LIBRARY_AFTER)
                ShutdownEvent event) {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            synchronized (this) {
                if (producer == null) {
                    var props = new Properties();
                    props.putAll(broker.clientConfig());
                    props.put(ProducerConfig.ACKS_CONFIG, "all");
                    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
                    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
                    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
                    props.put(ProducerConfig.CLIENT_ID_CONFIG, service);
                    producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
                }
            }
        }
        return producer;
    }

    /** Sends a contract record keyed by {@code key}; the future completes when the broker acknowledged it. */
    public Future<RecordMetadata> send(String topic, String key, Object record, String cloudEventId, String subject) {
        var out = new ProducerRecord<>(topic, key, Json.toBytes(record));
        CloudEvents.Attributes.of(cloudEventId, service, record.getClass(), CloudEvents.now(), subject)
                .addTo(out.headers());
        return producer().send(out);
    }

    /** Sends a contract record; {@code callback} hears of the acknowledgement or the failure. */
    public void send(String topic, String key, Object record, String cloudEventId, String subject,
                     org.apache.kafka.clients.producer.Callback callback) {
        var out = new ProducerRecord<>(topic, key, Json.toBytes(record));
        CloudEvents.Attributes.of(cloudEventId, service, record.getClass(), CloudEvents.now(), subject)
                .addTo(out.headers());
        producer().send(out, callback);
    }

    /** Sends whatever is batched and waits until every record sent so far is acknowledged or failed. */
    public void flush() {
        producer().flush();
    }

    /** Sends and waits for the acknowledgement. */
    public void sendAndWait(String topic, String key, Object record, String cloudEventId, String subject) {
        await(send(topic, key, record, cloudEventId, subject));
    }

    /** Waits for an acknowledgement; a failure is thrown. */
    public static void await(Future<RecordMetadata> future) {
        try {
            future.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("the broker did not acknowledge a record: " + e.getMessage(), e);
        }
    }

    /** Writes a dead letter for a consumed record and waits for the acknowledgement. */
    public void deadLetter(ConsumerRecord<String, byte[]> record, List<DeadLetter.Problem> reasons) {
        await(sendDeadLetter(record, reasons));
    }

    /** Writes dead letters for many records at once and waits until every one is acknowledged. */
    public void deadLetters(java.util.Map<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>> letters) {
        var futures = new java.util.ArrayList<Future<RecordMetadata>>(letters.size());
        letters.forEach((record, reasons) -> futures.add(sendDeadLetter(record, reasons)));
        if (!futures.isEmpty()) {
            flush();
        }
        futures.forEach(RecordProducer::await);
    }

    /**
     * Counts a dead letter, by source and first reason, for a service that writes one another way (through its
     * outbox).
     */
    public void countDeadLetter(String source, List<DeadLetter.Problem> reasons) {
        meters.counter(DEAD_LETTERS, "source", source, "type", reasons.isEmpty() ? "unknown"
                : org.allerta.service.problem.Problem.slug(reasons.get(0).type())).increment();
    }

    private Future<RecordMetadata> sendDeadLetter(ConsumerRecord<String, byte[]> record,
                                                  List<DeadLetter.Problem> reasons) {
        countDeadLetter(record.topic(), reasons);
        byte[] payload = record.value() == null ? new byte[0] : record.value();
        if (record.topic().startsWith(Topics.JOBS_PREFIX)) {
            // a job carries its recipient's address and a personal text: the dead letter keeps its digest and its
            // place on the source topic (partition, offset), where the job itself can be read while it is kept
            var letter = new DeadLetter(UUID.randomUUID().toString(), record.topic(), service, record.key(),
                    reasons, digest(payload), "redacted", Map.of(), record.partition(), record.offset(), Instant.now());
            return send(Topics.ALERTS_DLQ, record.key() == null ? letter.id() : record.key(), letter, letter.id(),
                    record.key());
        }
        Kept kept = kept(payload);
        var headers = new LinkedHashMap<String, String>();
        for (Header header : record.headers()) {
            if (SAFE_HEADERS.contains(header.key()) && header.value() != null) {
                headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        String id = UUID.randomUUID().toString();
        var letter = new DeadLetter(id, record.topic(), service, record.key(), reasons,
                kept.payload(), kept.encoding(), headers, record.partition(), record.offset(), Instant.now());
        return send(Topics.ALERTS_DLQ, record.key() == null ? id : record.key(), letter, id, record.key());
    }

    /** The most of a record's value a dead letter keeps as it is; a larger one keeps its digest. */
    public static final int MAX_KEPT_BYTES = 64 * 1024;

    /** What a dead letter keeps of a record's value, and how it is written. */
    public record Kept(String payload, String encoding) {
    }

    /**
     * A record's value as a dead letter keeps it: as text when it is UTF-8, else in base64; past
     * {@link #MAX_KEPT_BYTES}, its SHA-256 only (encoding "digest"), the record itself staying on its topic at the
     * partition and offset the letter names. A dead letter must always fit where it goes: one that the broker
     * refused as too large would stop the outbox that carries it.
     */
    public static Kept kept(byte[] payload) {
        if (payload.length > MAX_KEPT_BYTES) {
            return new Kept(digest(payload), "digest");
        }
        String text = utf8(payload);
        return text != null ? new Kept(text, "utf-8") : new Kept(Base64.getEncoder().encodeToString(payload), "base64");
    }

    /** How a dead letter names a value it does not keep: {@code sha256:<hex>}. */
    public static String digest(byte[] payload) {
        return "sha256:" + java.util.HexFormat.of().formatHex(sha256(payload));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
