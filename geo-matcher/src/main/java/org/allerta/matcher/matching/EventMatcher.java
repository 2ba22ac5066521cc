package org.allerta.matcher.matching;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.MatchProgress;
import org.allerta.contracts.ProgressPhase;
import org.allerta.contracts.Topics;
import org.allerta.contracts.rules.Interests;
import org.allerta.contracts.rules.MatchRules;
import org.allerta.contracts.rules.Materiality;
import org.allerta.contracts.rules.RevisionOrder;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Matches each revision of {@code alerts.events} against the citizens' places in PostGIS and streams one
 * {@link MatchChange} per subscriber whose situation changed, prioritised subscribers first, following the shared
 * lifecycle rules ({@link MatchRules}, {@link Materiality}, {@link Interests}). "Inside" is {@code ST_Intersects}: a
 * place on the boundary or on a vertex is inside.
 *
 * <p>Order of work, so that a crash loses nothing: the changes are computed from a server-side cursor and sent;
 * once the broker has acknowledged every one of them, the new state (who is affected, the revision processed) is
 * committed, and only then the offset. A crash in between re-sends the same changes (same event, subscriber, change
 * and revision, hence the same job ids downstream), never skips anyone. A revision older than the one processed is
 * ignored.
 */
@ApplicationScoped
public class EventMatcher {

    private static final int FETCH = 5000;

    private final Jdbc jdbc;
    private final RecordProducer producer;

    EventMatcher(Jdbc jdbc, RecordProducer producer) {
        this.jdbc = jdbc;
        this.producer = producer;
    }

    /** Handles one record of {@code alerts.events}. */
    public void handle(ConsumerRecord<String, byte[]> record) {
        AlertEvent event;
        try {
            event = Json.fromBytes(record.value() == null ? new byte[0] : record.value(), AlertEvent.class);
            if (event.area() == null) {
                throw new IllegalArgumentException("the event has no area");
            }
        } catch (IllegalArgumentException e) {
            producer.deadLetter(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record",
                    "value", String.valueOf(e.getMessage()))));
            return;
        }
        Optional<AlertEvent> previous = jdbc.inTransaction(c -> previous(c, event.eventId()));
        if (previous.isPresent() && !RevisionOrder.isNewer(event, previous.get())) {
            return;
        }
        match(event, previous.orElse(null));
    }

    private void match(AlertEvent event, AlertEvent previous) {
        producer.sendAndWait(Topics.ALERTS_PROGRESS, event.eventId(), new MatchProgress(event.eventId(),
                event.revision(), ProgressPhase.STARTED, Map.of(), 0, Instant.now()), progressId(event, "started"),
                event.eventId());
        boolean material = Materiality.isMaterial(previous, event);
        boolean everyone = Interests.overridden(event.kind(), event.severity());
        Map<Change, AtomicLong> counts = new EnumMap<>(Change.class);
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong placesInside = new AtomicLong();
        String area = Json.toString(event.area());
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    WITH inside AS (
                        SELECT p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id) AS place_ids,
                               count(*) AS places, bool_or(s.priority) AS priority
                        FROM place p JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                        WHERE ? AND ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))
                          AND (? OR s.followed_kinds @> ARRAY[?]::text[])
                        GROUP BY p.subscriber_id),
                    before AS (SELECT subscriber_id, place_ids FROM affected WHERE event_id = ?)
                    SELECT coalesce(i.subscriber_id, b.subscriber_id), coalesce(i.place_ids, b.place_ids),
                           coalesce(i.priority, s.priority, false) AS priority, i.subscriber_id IS NOT NULL,
                           b.subscriber_id IS NOT NULL, coalesce(i.places, 0)
                    FROM inside i FULL JOIN before b ON b.subscriber_id = i.subscriber_id
                    LEFT JOIN subscriber s ON s.subscriber_id = coalesce(i.subscriber_id, b.subscriber_id)
                    ORDER BY 3 DESC""")) {
                s.setFetchSize(FETCH);
                s.setBoolean(1, !event.status().ended());
                s.setString(2, area);
                s.setBoolean(3, everyone);
                s.setString(4, event.kind().name());
                s.setString(5, event.eventId());
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        placesInside.addAndGet(rows.getLong(6));
                        Optional<Change> change = MatchRules.change(rows.getBoolean(5), rows.getBoolean(4),
                                event.status(), material);
                        if (change.isEmpty()) {
                            continue;
                        }
                        String subscriberId = rows.getString(1);
                        List<String> placeIds = List.of((String[]) rows.getArray(2).getArray());
                        var match = new MatchChange(event.eventId(), event.revision(), subscriberId, change.get(),
                                placeIds, rows.getBoolean(3), Instant.now());
                        counts.computeIfAbsent(change.get(), k -> new AtomicLong()).incrementAndGet();
                        producer.send(Topics.ALERTS_MATCHES, subscriberId, match,
                                event.eventId() + "/" + event.revision() + "/" + subscriberId, subscriberId,
                                (metadata, error) -> {
                                    if (error != null) {
                                        failure.compareAndSet(null, error);
                                    }
                                });
                    }
                }
            }
            return null;
        });
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("matches not acknowledged: " + failure.get().getMessage(), failure.get());
        }
        jdbc.inTransaction(c -> {
            save(c, event, everyone);
            return null;
        });
        Map<Change, Long> finished = new EnumMap<>(Change.class);
        counts.forEach((change, count) -> finished.put(change, count.get()));
        producer.sendAndWait(Topics.ALERTS_PROGRESS, event.eventId(), new MatchProgress(event.eventId(),
                event.revision(), ProgressPhase.FINISHED, finished, placesInside.get(), Instant.now()),
                progressId(event, "finished"), event.eventId());
    }

    private static String progressId(AlertEvent event, String phase) {
        return event.eventId() + "/" + event.revision() + "/" + phase;
    }

    /** The new state: who is affected now, and the revision processed. */
    private static void save(Connection c, AlertEvent event, boolean everyone) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO event_state (event_id, revision, kind, status, severity, sent_at, alert, area, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN ST_SetSRID(ST_GeomFromGeoJSON(?), 4326) END, now())
                ON CONFLICT (event_id) DO UPDATE SET revision = excluded.revision, kind = excluded.kind,
                    status = excluded.status, severity = excluded.severity, sent_at = excluded.sent_at,
                    alert = excluded.alert, area = excluded.area, updated_at = now()""")) {
            s.setString(1, event.eventId());
            s.setLong(2, event.revision());
            s.setString(3, event.kind().name());
            s.setString(4, event.status().name());
            s.setString(5, event.severity().name());
            s.setTimestamp(6, event.sentAt() == null ? null : Timestamp.from(event.sentAt()));
            s.setBytes(7, Json.toBytes(event));
            s.setBoolean(8, !event.status().ended());
            s.setString(9, Json.toString(event.area()));
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("""
                WITH inside AS (
                    SELECT p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id) AS place_ids
                    FROM place p JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                    WHERE ? AND ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))
                      AND (? OR s.followed_kinds @> ARRAY[?]::text[])
                    GROUP BY p.subscriber_id),
                gone AS (DELETE FROM affected a WHERE a.event_id = ?
                         AND NOT EXISTS (SELECT 1 FROM inside i WHERE i.subscriber_id = a.subscriber_id))
                INSERT INTO affected (event_id, subscriber_id, place_ids, since_revision)
                SELECT ?, subscriber_id, place_ids, ? FROM inside
                ON CONFLICT (event_id, subscriber_id) DO UPDATE SET place_ids = excluded.place_ids""")) {
            s.setBoolean(1, !event.status().ended());
            s.setString(2, Json.toString(event.area()));
            s.setBoolean(3, everyone);
            s.setString(4, event.kind().name());
            s.setString(5, event.eventId());
            s.setString(6, event.eventId());
            s.setLong(7, event.revision());
            s.executeUpdate();
        }
    }

    private static Optional<AlertEvent> previous(Connection c, String eventId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT alert FROM event_state WHERE event_id = ?")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? Optional.of(Json.fromBytes(rows.getBytes(1), AlertEvent.class)) : Optional.empty();
            }
        }
    }

}
