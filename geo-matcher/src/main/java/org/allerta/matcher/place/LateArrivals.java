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
import org.allerta.service.Ticker;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A subscriber whose places were added or moved while events are active is told AFFECTED for each active event now
 * covering one of them (and that they follow), at the event's current revision; one who was affected by an active
 * event and whose places no longer lie in its area (moved, or removed) is told NO_LONGER_AFFECTED at once, as the next
 * revision would tell them, and leaves the event's affected set: they hear no update of it, nor its end. As in
 * matching, the changes are acknowledged by the broker before the affected set is written; a crash in between
 * re-sends the same change.
 *
 * <p>Never beside the matching of a revision ({@link MatchingLock}): the subscribers are first recorded as waiting
 * ({@code late_arrival}, with their places' transaction committed), then matched when no revision is being matched.
 * The lock is only ever tried here, never waited for, so that the matching of revisions never queues behind a place
 * edit; what could not be matched yet is tried again every second.
 */
@ApplicationScoped
public class LateArrivals {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(LateArrivals.class);
    private static final int PAGE = 500;
    /** The event {@code e} is not past its {@code expiresAt} (an event without one never expires). */
    private static final String NOT_EXPIRED =
            "coalesce((convert_from(e.alert, 'UTF8')::jsonb ->> 'expiresAt')::timestamptz > now(), true)";

    private final Jdbc jdbc;
    private final RecordProducer producer;
    private Ticker retries;

    LateArrivals(Jdbc jdbc, RecordProducer producer) {
        this.jdbc = jdbc;
        this.producer = producer;
    }

    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        retries = Ticker.start("allerta-late-arrivals").every(java.time.Duration.ofSeconds(1), () -> {
            try {
                drain();
            } catch (RuntimeException e) {
                LOG.debugf("late arrivals wait: %s", e.getMessage());
            }
        });
    }

    void onStop(@jakarta.enterprise.event.Observes io.quarkus.runtime.ShutdownEvent event) {
        if (retries != null) {
            retries.close();
        }
    }

    /** Records one subscriber as waiting to be matched against the active events, and matches if it can. */
    public void match(String subscriberId) {
        match(List.of(subscriberId));
    }

    /** Records these subscribers as waiting to be matched against the active events, and matches if it can. */
    public void match(List<String> subscriberIds) {
        if (subscriberIds.isEmpty()) {
            return;
        }
        jdbc.inTransaction(c -> {
            record(c, subscriberIds);
            return null;
        });
        matchWaiting();
    }

    /**
     * Records these subscribers as waiting to be matched, inside the caller's transaction (the one that stores their
     * places: once they are stored, they are matched, whatever happens next).
     */
    public static void record(java.sql.Connection c, List<String> subscriberIds) throws java.sql.SQLException {
        if (subscriberIds.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO late_arrival (subscriber_id) SELECT unnest(?::text[])
                ON CONFLICT (subscriber_id) DO UPDATE SET since = least(late_arrival.since, excluded.since)""")) {
            s.setArray(1, c.createArrayOf("text", subscriberIds.toArray()));
            s.executeUpdate();
        }
    }

    /** Matches who waits, if it can now; otherwise the next try does (every second, and at each new arrival). */
    public void matchWaiting() {
        try {
            drain();
        } catch (RuntimeException e) {
            // recorded as waiting: matched by the next try, whatever stopped this one (the broker away)
            LOG.debugf("late arrivals matched later: %s", e.getMessage());
        }
    }

    /** Matches the waiting subscribers, a page at a time, while no revision is being matched. */
    synchronized void drain() {
        while (matchPage()) {
            // the next page
        }
    }

    /** One page; false when nothing waits or a revision is being matched (tried again later). */
    private boolean matchPage() {
        return jdbc.inTransaction(c -> {
            if (!MatchingLock.tryAcquire(c)) {
                return false;
            }
            var waiting = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT subscriber_id FROM late_arrival ORDER BY since LIMIT ? FOR UPDATE SKIP LOCKED")) {
                s.setInt(1, PAGE);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        waiting.add(rows.getString(1));
                    }
                }
            }
            if (waiting.isEmpty()) {
                return false;
            }
            // the erased among them: a revision matched while they were erased may have written their affected rows
            // back; removed without a word (the dispatcher no longer knows them)
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM affected a USING event_state e
                    WHERE a.event_id = e.event_id AND a.subscriber_id = ANY (?)
                      AND NOT EXISTS (SELECT 1 FROM subscriber s WHERE s.subscriber_id = a.subscriber_id)""")) {
                s.setArray(1, c.createArrayOf("text", waiting.toArray()));
                s.executeUpdate();
            }
            var found = new ArrayList<MatchChange>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT e.event_id, e.revision, p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id),
                           bool_or(s.priority)
                    FROM event_state e
                    JOIN place p ON ST_Intersects(p.geom, e.area)
                    JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                    WHERE p.subscriber_id = ANY (?) AND e.area IS NOT NULL
                      -- an event past its expiry tells no newcomer of it, though its end was never published
                      AND %s
                      -- not while a matching of the event is in doubt (started, not committed: a crash): the revision
                      -- it was matching, perhaps its end, comes again and tells the newcomer what holds then
                      AND NOT EXISTS (SELECT 1 FROM matching_under_way m WHERE m.event_id = e.event_id)
                      AND ((e.kind = 'CIVIL_PROTECTION' AND e.severity = 'EXTREME')
                           OR s.followed_kinds @> ARRAY[e.kind]::text[])
                      AND NOT EXISTS (SELECT 1 FROM affected a WHERE a.event_id = e.event_id
                                      AND a.subscriber_id = p.subscriber_id)
                    GROUP BY e.event_id, e.revision, p.subscriber_id""".formatted(NOT_EXPIRED))) {
                s.setArray(1, c.createArrayOf("text", waiting.toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.add(new MatchChange(rows.getString(1), rows.getLong(2), rows.getString(3),
                                Change.AFFECTED, List.of((String[]) rows.getArray(4).getArray()), rows.getBoolean(5),
                                Instant.now()));
                    }
                }
            }
            var left = new ArrayList<MatchChange>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT a.event_id, e.revision, a.subscriber_id, a.place_ids, coalesce(s.priority, false)
                    FROM event_state e
                    -- found by the affected set's key, event first: a few active events times the page
                    CROSS JOIN unnest(?::text[]) AS w(subscriber_id)
                    JOIN affected a ON a.event_id = e.event_id AND a.subscriber_id = w.subscriber_id
                    LEFT JOIN subscriber s ON s.subscriber_id = a.subscriber_id
                    WHERE e.area IS NOT NULL
                      -- past its expiry too: whoever was told of it and leaves hears so, and is not told its end
                      -- about a place that is no longer theirs
                      -- not while a matching of the event is in doubt: its affected set may lag what was told
                      AND NOT EXISTS (SELECT 1 FROM matching_under_way m WHERE m.event_id = e.event_id)
                      -- inside as a revision's matching reckons it: a place in the area, and the kind followed (or a
                      -- civil-protection event that has been EXTREME, whose override keeps whom it reached while
                      -- they stay inside)
                      AND NOT EXISTS (SELECT 1 FROM place p WHERE p.subscriber_id = a.subscriber_id
                                      AND ST_Intersects(p.geom, e.area)
                                      AND ((e.kind = 'CIVIL_PROTECTION' AND e.was_extreme)
                                           OR s.followed_kinds @> ARRAY[e.kind]::text[]))""")) {
                s.setArray(1, c.createArrayOf("text", waiting.toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        left.add(new MatchChange(rows.getString(1), rows.getLong(2), rows.getString(3),
                                Change.NO_LONGER_AFFECTED, List.of((String[]) rows.getArray(4).getArray()),
                                rows.getBoolean(5), Instant.now()));
                    }
                }
            }
            found.addAll(left);
            // prioritised subscribers first (rule 8), within the page as within a revision's matching
            found.sort(java.util.Comparator.comparing(MatchChange::priority).reversed());
            if (!found.isEmpty()) {
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
                        if (change.change() != Change.AFFECTED) {
                            continue;
                        }
                        s.setString(1, change.eventId());
                        s.setString(2, change.subscriberId());
                        s.setArray(3, c.createArrayOf("text", change.placeIds().toArray()));
                        s.setLong(4, change.revision());
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            if (!left.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement(
                        "DELETE FROM affected WHERE event_id = ? AND subscriber_id = ?")) {
                    for (MatchChange change : left) {
                        s.setString(1, change.eventId());
                        s.setString(2, change.subscriberId());
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            // someone still inside whose places changed (a home replaced by another inside the area) is told nothing,
            // but the event's later changes name their places as they are now: a RESOLVED names the new home
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE affected a SET place_ids = now_inside.ids
                    FROM (SELECT e.event_id, p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id) AS ids
                          FROM event_state e JOIN place p ON ST_Intersects(p.geom, e.area)
                          WHERE p.subscriber_id = ANY (?) AND e.area IS NOT NULL
                          GROUP BY e.event_id, p.subscriber_id) now_inside
                    WHERE a.event_id = now_inside.event_id AND a.subscriber_id = now_inside.subscriber_id
                      AND a.place_ids IS DISTINCT FROM now_inside.ids""")) {
                s.setArray(1, c.createArrayOf("text", waiting.toArray()));
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM late_arrival WHERE subscriber_id = ANY (?)")) {
                s.setArray(1, c.createArrayOf("text", waiting.toArray()));
                s.executeUpdate();
            }
            return waiting.size() == PAGE;
        });
    }
}
