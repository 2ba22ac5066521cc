package org.allerta.service.outbox;

import com.fasterxml.jackson.core.type.TypeReference;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.allerta.contracts.Json;
import org.allerta.service.BrokerProbe;
import org.allerta.service.Jdbc;
import org.allerta.service.Ticker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox to Kafka in commit order: reads a batch, sends it with an idempotent producer
 * ({@code acks=all}), waits for every acknowledgement, then deletes what was acknowledged. One relay runs at a time
 * across a service's instances (a PostgreSQL advisory lock), so records of one key keep their order. Delivery is at least once:
 * a crash between the acknowledgement and the delete re-sends the batch, and consumers recognise a revision they
 * have already seen. While the broker is away, records wait in the table and the relay catches up when it returns.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final long LOCK_BASE = 0x616c6572746100L;

    @ConfigProperty(name = "allerta.outbox.batch-size", defaultValue = "500")
    int batchSize;

    @ConfigProperty(name = "allerta.outbox.poll-interval", defaultValue = "100ms")
    Duration pollInterval;

    /** Only services with an {@code outbox} table turn the relay on. */
    @ConfigProperty(name = "allerta.outbox.enabled", defaultValue = "false")
    boolean enabled;

    @ConfigProperty(name = "quarkus.application.name")
    String service;

    private final Jdbc jdbc;
    private final BrokerProbe broker;
    private final AtomicLong published = new AtomicLong();
    private Ticker ticker;
    private KafkaProducer<String, byte[]> producer;

    OutboxRelay(Jdbc jdbc, BrokerProbe broker) {
        this.jdbc = jdbc;
        this.broker = broker;
    }

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        ticker = Ticker.start("allerta-outbox-relay").every(Duration.ZERO, pollInterval, this::relaySafely);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            try {
                ticker.close(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    /** Records published since start. */
    public long published() {
        return published.get();
    }

    private void relaySafely() {
        if (!broker.state().up() || !broker.state().topicsReady()) {
            return;
        }
        try {
            while (relayBatch() == batchSize) {
                // keep going while full batches come
            }
        } catch (Exception e) {
            LOG.debugf("outbox relay paused: %s", e.getMessage());
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            var props = new Properties();
            props.putAll(broker.clientConfig());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, service + "-outbox");
            producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    private record Row(long id, String topic, String key, byte[] payload, Map<String, String> headers) {
    }

    /** Sends one batch; returns how many records it published. */
    int relayBatch() throws Exception {
        try (Connection connection = jdbc.dataSource().getConnection()) {
            connection.setAutoCommit(true);
            if (!tryLock(connection, lockId())) {
                return 0;
            }
            try {
                List<Row> rows = read(connection);
                if (rows.isEmpty()) {
                    return 0;
                }
                var futures = new ArrayList<Future<RecordMetadata>>(rows.size());
                for (Row row : rows) {
                    var record = new ProducerRecord<>(row.topic(), row.key(), row.payload());
                    row.headers().forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                    futures.add(producer().send(record));
                }
                producer().flush();
                var acknowledged = new ArrayList<Long>(rows.size());
                for (int i = 0; i < futures.size(); i++) {
                    try {
                        try {
                            futures.get(i).get(60, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.ExecutionException e) {
                            if (!(e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException)) {
                                throw e;
                            }
                            // the broker will never take it: tried again, it would hold back every row behind it
                            setAside(rows.get(i), e.getCause().getMessage());
                        }
                        acknowledged.add(rows.get(i).id());
                    } catch (Exception e) {
                        LOG.warnf("outbox record %d not acknowledged yet (%s); will retry", rows.get(i).id(),
                                e.getMessage());
                        closeProducer();
                        break;
                    }
                }
                if (!acknowledged.isEmpty()) {
                    // exactly the rows sent: ids are not committed in their order, so a row with a smaller id
                    // may become visible after this batch was read; "id <= last" would delete it unsent
                    try (PreparedStatement delete = connection.prepareStatement(
                            "DELETE FROM outbox WHERE id = ANY (?)")) {
                        delete.setArray(1, connection.createArrayOf("bigint", acknowledged.toArray()));
                        int deleted = delete.executeUpdate();
                        published.addAndGet(deleted);
                        return deleted;
                    }
                }
                return 0;
            } finally {
                unlock(connection, lockId());
            }
        }
    }

    /** One lock per service: services may share a PostgreSQL instance, each with its own outbox. */
    private long lockId() {
        return lockId(service);
    }

    /** The advisory lock a service's relay holds while it publishes (held elsewhere, nothing leaves). */
    public static long lockId(String service) {
        return LOCK_BASE + (service.hashCode() & 0xff);
    }

    private void closeProducer() {
        if (producer != null) {
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    /**
     * Puts a row the broker refuses as too large on {@code alerts.dlq} as a dead letter that names its topic, key and
     * size and keeps its SHA-256 (the row itself cannot travel); its services refuse such input before it is
     * stored, so this is the last line.
     */
    private void setAside(Row row, String why) throws Exception {
        String id = java.util.UUID.randomUUID().toString();
        var letter = new org.allerta.contracts.DeadLetter(id, row.topic(), service, row.key(), List.of(
                new org.allerta.contracts.DeadLetter.Problem(org.allerta.service.problem.Problem.TYPE_PREFIX
                        + "record-too-large", "value", row.payload().length + " bytes, refused by the broker: "
                        + why)), org.allerta.service.RecordProducer.digest(row.payload()), "digest", Map.of(), null,
                null, java.time.Instant.now());
        producer().send(new ProducerRecord<>(org.allerta.contracts.Topics.ALERTS_DLQ, row.key(), Json.toBytes(letter)))
                .get(60, TimeUnit.SECONDS);
        LOG.errorf("outbox record %d for %s (%d bytes) is larger than the broker takes; dead-lettered on %s",
                row.id(), row.topic(), row.payload().length, org.allerta.contracts.Topics.ALERTS_DLQ);
    }

    private List<Row> read(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT id, topic, record_key, payload, headers FROM outbox ORDER BY id LIMIT ?")) {
            statement.setInt(1, batchSize);
            try (ResultSet rows = statement.executeQuery()) {
                var list = new ArrayList<Row>();
                while (rows.next()) {
                    Map<String, String> headers = Json.mapper().readValue(rows.getString(5),
                            new TypeReference<Map<String, String>>() { });
                    list.add(new Row(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getBytes(4),
                            headers));
                }
                return list;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new SQLException("unreadable outbox headers", e);
            }
        }
    }

    private static boolean tryLock(Connection connection, long lockId) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_try_advisory_lock(" + lockId + ")")) {
            return rows.next() && rows.getBoolean(1);
        }
    }

    private static void unlock(Connection connection, long lockId) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_unlock(" + lockId + ")");
        }
    }
}
