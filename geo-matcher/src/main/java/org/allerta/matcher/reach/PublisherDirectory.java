package org.allerta.matcher.reach;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Optional;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.Publisher;
import org.allerta.service.ApiKeys;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps the publishers of the compacted {@code publishers} topic (key hashes, kinds, territories; no secrets). */
@ApplicationScoped
public class PublisherDirectory {

    private final Jdbc jdbc;
    private final RecordProducer producer;

    PublisherDirectory(Jdbc jdbc, RecordProducer producer) {
        this.jdbc = jdbc;
        this.producer = producer;
    }

    /** Stores one record of {@code publishers} (a tombstone removes the publisher). */
    public void handle(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM publisher_directory WHERE publisher_id = ?")) {
                    s.setString(1, record.key());
                    return s.executeUpdate();
                }
            });
            return;
        }
        Publisher publisher;
        try {
            publisher = Json.fromBytes(record.value(), Publisher.class);
        } catch (IllegalArgumentException e) {
            producer.deadLetter(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record", "value",
                    e.getMessage())));
            return;
        }
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO publisher_directory (publisher_id, api_key_sha256, allowed_kinds, territory, active,
                                                     updated_at)
                    VALUES (?, ?, ?, CASE WHEN ?::text IS NULL THEN NULL
                                          ELSE ST_SetSRID(ST_GeomFromGeoJSON(?), 4326) END, ?, now())
                    ON CONFLICT (publisher_id) DO UPDATE SET api_key_sha256 = excluded.api_key_sha256,
                        allowed_kinds = excluded.allowed_kinds, territory = excluded.territory,
                        active = excluded.active, updated_at = now()""")) {
                String territory = publisher.territory() == null ? null : publisher.territory().toString();
                s.setString(1, publisher.publisherId());
                s.setString(2, publisher.apiKeySha256());
                s.setArray(3, c.createArrayOf("text", publisher.allowedKinds().stream().map(Enum::name).toArray()));
                s.setString(4, territory);
                s.setString(5, territory);
                s.setBoolean(6, publisher.active());
                return s.executeUpdate();
            }
        });
    }
    /** A publisher as the matcher knows it: its kinds and whether it has a territory. */
    public record Entry(String publisherId, List<String> kinds, boolean hasTerritory) {
    }

    /** The active publisher holding the bearer key of {@code authorization}, if any. */
    public Optional<Entry> byKey(String authorization) {
        Optional<String> key = KeyGuard.bearer(authorization);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        String hash = ApiKeys.sha256(key.get());
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT publisher_id, allowed_kinds, territory IS NOT NULL,"
                    + " api_key_sha256 FROM publisher_directory WHERE api_key_sha256 = ? AND active")) {
                s.setString(1, hash);
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next() || !ApiKeys.matches(key.get(), rows.getString(4))) {
                        return Optional.empty();
                    }
                    return Optional.of(new Entry(rows.getString(1),
                            List.of((String[]) rows.getArray(2).getArray()), rows.getBoolean(3)));
                }
            }
        });
    }
}
