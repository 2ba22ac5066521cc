package org.allerta.service.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.allerta.contracts.Json;
import org.allerta.contracts.kafka.CloudEvents;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Writes a record to publish into the {@code outbox} table, inside the caller's transaction: the record exists if and
 * only if the state it announces was committed. {@link OutboxRelay} publishes it.
 */
@ApplicationScoped
public class Outbox {

    private static final String INSERT =
            "INSERT INTO outbox (topic, record_key, payload, headers) VALUES (?, ?, ?, ?::jsonb)";

    private final String service;

    Outbox(@ConfigProperty(name = "quarkus.application.name") String service) {
        this.service = service;
    }

    /** Adds a contract record for {@code topic}, keyed by {@code key}, with its CloudEvents attributes. */
    public void add(Connection connection, String topic, String key, Object record, String cloudEventId,
                    String subject) throws SQLException {
        add(connection, topic, key, record.getClass(), Json.toBytes(record), cloudEventId, subject);
    }

    /** Adds an already serialised contract record of type {@code contract}. */
    public void add(Connection connection, String topic, String key, Class<?> contract, byte[] json,
                    String cloudEventId, String subject) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            bind(statement, topic, key, contract, json, cloudEventId, subject);
            statement.executeUpdate();
        }
    }

    /** One record of {@link #addAll}. */
    public record Entry(String key, Object record, String cloudEventId, String subject) {
    }

    /** Adds records for {@code topic} in one batch of statements. */
    public void addAll(Connection connection, String topic, List<Entry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            for (Entry e : entries) {
                bind(statement, topic, e.key(), e.record().getClass(), Json.toBytes(e.record()), e.cloudEventId(),
                        e.subject());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    private void bind(PreparedStatement statement, String topic, String key, Class<?> contract, byte[] json,
                      String cloudEventId, String subject) throws SQLException {
        var attributes = CloudEvents.Attributes.of(cloudEventId, service, contract, CloudEvents.now(), subject);
        statement.setString(1, topic);
        statement.setString(2, key);
        statement.setBytes(3, json);
        statement.setString(4, Json.toString(attributes.asHeaders()));
    }

    /** Adds a tombstone (a null value) for {@code key}: on a compacted topic it erases the key. */
    public void addTombstone(Connection connection, String topic, String key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO outbox (topic, record_key, payload, headers) VALUES (?, ?, NULL, '{}'::jsonb)")) {
            statement.setString(1, topic);
            statement.setString(2, key);
            statement.executeUpdate();
        }
    }
}
