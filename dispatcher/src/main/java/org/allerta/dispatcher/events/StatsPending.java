package org.allerta.dispatcher.events;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.allerta.service.Jdbc;
import org.jboss.logging.Logger;

/**
 * The events whose statistics may have changed since {@code alerts.stats} last carried them (table
 * {@code stats_pending}). A writer touches its events <em>after</em> its own transaction has committed: the clock that
 * publishes the statistics removes an entry before it recounts, so every change is either already visible to that
 * count or touches the event again for the next one.
 */
@ApplicationScoped
public class StatsPending {

    private static final Logger LOG = Logger.getLogger(StatsPending.class);

    private final Jdbc jdbc;

    StatsPending(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Records that these events' counts may have moved. A failure is logged, not thrown: the work it follows is
     * already committed, the statistics endpoint counts live, and the next change or a restart publishes again.
     */
    public void touch(Collection<String> eventIds) {
        // in one order, so that two writers adding the same new events never wait for each other in a cycle
        var sorted = new TreeSet<String>();
        for (String id : eventIds) {
            if (id != null && !id.isEmpty()) {
                sorted.add(id);
            }
        }
        if (sorted.isEmpty()) {
            return;
        }
        try {
            jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO stats_pending (event_id) SELECT unnest(?::text[])
                        ON CONFLICT (event_id) DO NOTHING""")) {
                    s.setArray(1, c.createArrayOf("text", sorted.toArray()));
                    s.executeUpdate();
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warnf("statistics of %d events not marked for publication: %s", sorted.size(), e.getMessage());
        }
    }

    /** Takes up to {@code limit} of the longest-waiting events off the list. */
    public List<String> take(int limit) {
        return jdbc.inTransaction(c -> {
            var ids = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM stats_pending WHERE event_id IN (
                        SELECT event_id FROM stats_pending ORDER BY since, event_id LIMIT ? FOR UPDATE SKIP LOCKED)
                    RETURNING event_id""")) {
                s.setInt(1, limit);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                }
            }
            return ids;
        });
    }

    /**
     * The events still active: their last revision is {@code ACTIVE} and not past its expiry. Their statistics are
     * published again now and then though nothing moved, so that a dashboard can tell a count still true from the
     * last word of a dispatcher that stopped.
     */
    public List<String> active(Instant now) {
        return jdbc.inTransaction(c -> {
            var ids = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT r.event_id
                    FROM (SELECT DISTINCT ON (event_id) event_id, status, expires_at FROM event_revision
                          ORDER BY event_id, revision DESC) r
                    WHERE r.status = 'ACTIVE' AND (r.expires_at IS NULL OR r.expires_at > ?)""")) {
                s.setTimestamp(1, java.sql.Timestamp.from(now));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                }
            }
            return ids;
        });
    }

    /**
     * Adds every event that may have news after a start: active ones, and those with a revision or a count changed in
     * the last hour. What changed while the dispatcher was down is published again this way.
     */
    public int seed() {
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO stats_pending (event_id)
                    SELECT event_id FROM event_revision WHERE received_at > now() - interval '1 hour'
                    UNION SELECT event_id FROM event_tally WHERE updated_at > now() - interval '1 hour'
                    UNION SELECT r.event_id FROM (SELECT DISTINCT ON (event_id) event_id, status FROM event_revision
                                                  ORDER BY event_id, revision DESC) r
                          WHERE r.status = 'ACTIVE'
                    ON CONFLICT (event_id) DO NOTHING""")) {
                return s.executeUpdate();
            }
        });
    }
}
