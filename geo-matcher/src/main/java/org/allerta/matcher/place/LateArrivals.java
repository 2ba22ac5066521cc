package org.allerta.matcher.place;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.allerta.contracts.Change;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.Topics;
import org.allerta.matcher.matching.MatchingLock;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A subscriber whose places were added or moved while events are active is told AFFECTED for each active event now
 * covering one of them (and that they follow), at the event's current revision. As in matching, the changes are
 * acknowledged by the broker before the subscriber is recorded as affected; a crash in between re-sends the same
 * change. The whole runs under the {@link MatchingLock}, never beside the matching of a revision.
 */
@ApplicationScoped
public class LateArrivals {

    private final Jdbc jdbc;
    private final RecordProducer producer;

    LateArrivals(Jdbc jdbc, RecordProducer producer) {
        this.jdbc = jdbc;
        this.producer = producer;
    }

    /** Matches one subscriber's places against the active events that do not count them as affected yet. */
    public void match(String subscriberId) {
        match(List.of(subscriberId));
    }

    /** Matches these subscribers' places against the active events that do not count them as affected yet. */
    public void match(List<String> subscriberIds) {
        if (subscriberIds.isEmpty()) {
            return;
        }
        jdbc.inTransaction(c -> {
            MatchingLock.acquire(c);
            var found = new ArrayList<MatchChange>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT e.event_id, e.revision, p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id),
                           bool_or(s.priority)
                    FROM event_state e
                    JOIN place p ON ST_Intersects(p.geom, e.area)
                    JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                    WHERE p.subscriber_id = ANY (?) AND e.area IS NOT NULL
                      AND ((e.kind = 'CIVIL_PROTECTION' AND e.severity = 'EXTREME')
                           OR s.followed_kinds @> ARRAY[e.kind]::text[])
                      AND NOT EXISTS (SELECT 1 FROM affected a WHERE a.event_id = e.event_id
                                      AND a.subscriber_id = p.subscriber_id)
                    GROUP BY e.event_id, e.revision, p.subscriber_id""")) {
                s.setArray(1, c.createArrayOf("text", subscriberIds.toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.add(new MatchChange(rows.getString(1), rows.getLong(2), rows.getString(3),
                                Change.AFFECTED, List.of((String[]) rows.getArray(4).getArray()), rows.getBoolean(5),
                                Instant.now()));
                    }
                }
            }
            if (found.isEmpty()) {
                return null;
            }
            var acknowledgements = new ArrayList<Future<RecordMetadata>>();
            for (MatchChange change : found) {
                acknowledgements.add(producer.send(Topics.ALERTS_MATCHES, change.subscriberId(), change,
                        change.eventId() + "/" + change.revision() + "/" + change.subscriberId(),
                        change.subscriberId()));
            }
            acknowledgements.forEach(RecordProducer::await);
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO affected (event_id, subscriber_id, place_ids, since_revision) VALUES (?, ?, ?, ?)
                    ON CONFLICT (event_id, subscriber_id) DO NOTHING""")) {
                for (MatchChange change : found) {
                    s.setString(1, change.eventId());
                    s.setString(2, change.subscriberId());
                    s.setArray(3, c.createArrayOf("text", change.placeIds().toArray()));
                    s.setLong(4, change.revision());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return null;
        });
    }
}
