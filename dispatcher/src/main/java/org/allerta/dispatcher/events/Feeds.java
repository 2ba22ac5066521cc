package org.allerta.dispatcher.events;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.ChannelBacklog;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchProgress;
import org.allerta.contracts.PlaceGeocoded;
import org.allerta.contracts.ProgressPhase;
import org.allerta.contracts.Publisher;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.Topics;
import org.allerta.dispatcher.dispatch.MatchDispatcher;
import org.allerta.dispatcher.registry.SubscriberService;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What the dispatcher reads besides the matches: the revisions of {@code alerts.events} (a match waits for the
 * revision it names), {@code publishers} (who may read an event's statistics), {@code alerts.progress} (when a
 * revision is complete), {@code places.geocoded} (shown to the city's app), {@code notifications.receipts} and
 * {@code notifications.backlog} (the statistics and the send plan). Each record is stored before its offset is
 * committed; a record that is not what its topic promises is dead-lettered with the reason.
 */
@ApplicationScoped
public class Feeds {

    @ConfigProperty(name = "allerta.dispatcher.group-id", defaultValue = "dispatcher")
    String groupId;

    private final BrokerProbe broker;
    private final Jdbc jdbc;
    private final RecordProducer producer;
    private final SubscriberService subscribers;
    private final MatchDispatcher dispatcher;
    private final StatsPending statsPending;
    private final Receipts receipts;
    private final List<ConsumerLoop> loops = new ArrayList<>();

    Feeds(BrokerProbe broker, Jdbc jdbc, RecordProducer producer, SubscriberService subscribers,
          MatchDispatcher dispatcher, StatsPending statsPending, Receipts receipts) {
        this.statsPending = statsPending;
        this.receipts = receipts;
        this.broker = broker;
        this.jdbc = jdbc;
        this.producer = producer;
        this.subscribers = subscribers;
        this.dispatcher = dispatcher;
    }

    void onStart(@Observes StartupEvent event) {
        loops.add(ConsumerLoop.startBatches("events", broker, groupId + "-events", List.of(Topics.ALERTS_EVENTS),
                producer, 500, batch -> each(batch, AlertEvent.class, this::event, AlertEvent::eventId)));
        loops.add(ConsumerLoop.startBatches("publishers", broker, groupId + "-publishers",
                List.of(Topics.PUBLISHERS), producer, 500, this::publishers));
        loops.add(ConsumerLoop.startBatches("progress", broker, groupId + "-progress",
                List.of(Topics.ALERTS_PROGRESS), producer, 500,
                batch -> each(batch, MatchProgress.class, this::progress, MatchProgress::eventId)));
        loops.add(ConsumerLoop.startBatches("geocoded", broker, groupId + "-geocoded",
                List.of(Topics.PLACES_GEOCODED), producer, 500, batch -> each(batch, PlaceGeocoded.class, this::geocoded, null)));
        loops.add(ConsumerLoop.startBatches("receipts", broker, groupId + "-receipts",
                List.of(Topics.NOTIFICATIONS_RECEIPTS), producer, 2000, this::receipts));
        loops.add(ConsumerLoop.startBatches("backlog", broker, groupId + "-backlog",
                List.of(Topics.NOTIFICATIONS_BACKLOG), producer, 500,
                batch -> each(batch, ChannelBacklog.class, this::backlog, null)));
        // several consumers of one group share the partitions of alerts.matches (keyed by subscriber, so one
        // person's changes stay in order on one of them): one decides and renders while another waits for the
        // database or the broker
        for (int i = 0; i < dispatcher.consumers(); i++) {
            loops.add(ConsumerLoop.startBatches("matches-" + i, broker, groupId + "-matches",
                    List.of(Topics.ALERTS_MATCHES), producer, dispatcher.batchSize(), dispatcher::handle));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        loops.forEach(ConsumerLoop::close);
    }

    /** Work on one decoded record inside the batch's transaction. */
    @FunctionalInterface
    interface Store<T> {
        void store(java.sql.Connection c, T value) throws java.sql.SQLException;
    }

    /** Stores a batch's good records in one transaction, then marks their events' statistics (when they have one). */
    private <T> void each(List<ConsumerRecord<String, byte[]>> batch, Class<T> type, Store<T> store,
                          Function<T, String> eventOf) {
        var good = new ArrayList<T>();
        var letters = new java.util.LinkedHashMap<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            decode(record, type, v -> v, letters).ifPresent(good::add);
        }
        jdbc.inTransaction(c -> {
            for (T value : good) {
                store.store(c, value);
            }
            return null;
        });
        // once the batch is stored: a batch tried again (the database away) does not write them again at each try
        producer.deadLetters(letters);
        if (eventOf != null) {
            statsPending.touch(good.stream().map(eventOf).toList());
        }
    }

    private <T, R> java.util.Optional<R> decode(ConsumerRecord<String, byte[]> record, Class<T> type,
                                                Function<T, R> check) {
        var letters = new java.util.LinkedHashMap<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>>();
        java.util.Optional<R> decoded = decode(record, type, check, letters);
        producer.deadLetters(letters);
        return decoded;
    }

    /** Decodes a record; one that is not what its topic promises is added to {@code letters} with the reason. */
    private static <T, R> java.util.Optional<R> decode(ConsumerRecord<String, byte[]> record, Class<T> type,
            Function<T, R> check, Map<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>> letters) {
        try {
            if (record.value() == null) {
                throw new IllegalArgumentException("an empty record");
            }
            return java.util.Optional.of(check.apply(Json.fromBytes(record.value(), type)));
        } catch (IllegalArgumentException | NullPointerException e) {
            letters.put(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record",
                    "value", String.valueOf(e.getMessage()))));
            return java.util.Optional.empty();
        }
    }

    private void event(java.sql.Connection c, AlertEvent event) throws java.sql.SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO event_revision (event_id, revision, publisher_id, status, alert, expires_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (event_id, revision) DO NOTHING""")) {
            s.setString(1, event.eventId());
            s.setLong(2, event.revision());
            s.setString(3, event.publisherId());
            s.setString(4, event.status().name());
            s.setBytes(5, Json.toBytes(event));
            s.setTimestamp(6, event.expiresAt() == null ? null : java.sql.Timestamp.from(event.expiresAt()));
            s.executeUpdate();
        }
    }

    private void publishers(List<ConsumerRecord<String, byte[]>> batch) {
        var good = new ArrayList<Object[]>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            if (record.value() == null) {
                good.add(new Object[] {record.key(), null});
            } else {
                decode(record, Publisher.class, p -> p).ifPresent(p -> good.add(new Object[] {p.publisherId(), p}));
            }
        }
        jdbc.inTransaction(c -> {
            for (Object[] entry : good) {
                Publisher p = (Publisher) entry[1];
                if (p == null) {
                    try (PreparedStatement s = c.prepareStatement(
                            "DELETE FROM publisher_directory WHERE publisher_id = ?")) {
                        s.setString(1, (String) entry[0]);
                        s.executeUpdate();
                    }
                    continue;
                }
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO publisher_directory (publisher_id, name, api_key_sha256, active) VALUES (?, ?, ?, ?)
                        ON CONFLICT (publisher_id) DO UPDATE SET name = excluded.name,
                            api_key_sha256 = excluded.api_key_sha256, active = excluded.active, updated_at = now()""")) {
                    s.setString(1, p.publisherId());
                    s.setString(2, p.name());
                    s.setString(3, p.apiKeySha256());
                    s.setBoolean(4, p.active());
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    private void progress(java.sql.Connection c, MatchProgress progress) throws java.sql.SQLException {
        if (progress.phase() != ProgressPhase.FINISHED) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO revision_progress (event_id, revision, subscribers, finished_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (event_id, revision) DO UPDATE SET subscribers = excluded.subscribers,
                    finished_at = excluded.finished_at""")) {
            s.setString(1, progress.eventId());
            s.setLong(2, progress.revision());
            s.setLong(3, progress.subscribers());
            s.setTimestamp(4, Timestamp.from(progress.at() == null ? java.time.Instant.now() : progress.at()));
            s.executeUpdate();
        }
    }

    private void geocoded(java.sql.Connection c, PlaceGeocoded outcome) throws java.sql.SQLException {
        subscribers.geocoded(c, outcome);
    }

    private void backlog(java.sql.Connection c, ChannelBacklog backlog) throws java.sql.SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO channel_backlog (channel, event_id, waiting, rate_per_second, drain_seconds, at,
                                             positions, ends)
                VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)
                ON CONFLICT (channel, event_id) DO UPDATE SET waiting = excluded.waiting,
                    rate_per_second = excluded.rate_per_second, drain_seconds = excluded.drain_seconds,
                    at = excluded.at, positions = excluded.positions, ends = excluded.ends
                WHERE channel_backlog.at <= excluded.at""")) {
            s.setString(1, backlog.channel().name());
            s.setString(2, backlog.eventId() == null ? "" : backlog.eventId());
            s.setLong(3, backlog.waiting());
            s.setDouble(4, backlog.ratePerSecond());
            s.setObject(5, backlog.estimatedDrainSeconds());
            s.setTimestamp(6, Timestamp.from(backlog.at() == null ? java.time.Instant.now() : backlog.at()));
            s.setString(7, backlog.positions() == null ? null : Json.toString(backlog.positions()));
            s.setString(8, backlog.ends() == null ? null : Json.toString(backlog.ends()));
            s.executeUpdate();
        }
    }

    /** Receipts update their job's row, or wait for it ({@link Receipts}). */
    private void receipts(List<ConsumerRecord<String, byte[]>> batch) {
        var good = new java.util.LinkedHashMap<Receipt, ConsumerRecord<String, byte[]>>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            decode(record, Receipt.class, r -> {
                UUID.fromString(r.jobId());
                return r;
            }).ifPresent(r -> good.putIfAbsent(r, record));
        }
        if (!good.isEmpty()) {
            receipts.consume(good);
        }
    }
}
