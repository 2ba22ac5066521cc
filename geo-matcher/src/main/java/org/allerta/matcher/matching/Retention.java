package org.allerta.matcher.matching;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.allerta.service.Jdbc;
import org.allerta.service.RetentionSweep;
import org.allerta.service.Ticker;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * How long the matcher keeps who is inside an alert that only expired ({@code allerta.matcher.retention}, 90 days by
 * default, the dispatcher's period). An event resolved or cancelled empties its affected set with that revision; an
 * alert that passes its expiry without an end keeps it, since its publisher may still extend or end it and those
 * inside must then hear it. Once the alert has been expired for the retention period its set is deleted, as the
 * dispatcher forgets what it told them then: the subscriber ids are pseudonymous, but together they say who lives
 * where. A revision published later still is matched as though nobody inside had been told of it. The event's own
 * state (its last revision, no personal data) stays. Swept every {@code allerta.matcher.retention-sweep}, in chunks,
 * each its own short transaction that skips rows a matching holds.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);

    private final Jdbc jdbc;
    private final Clock clock;
    private final Duration period;
    private final Duration every;
    private Ticker ticker;

    Retention(Jdbc jdbc, Clock clock, @ConfigProperty(name = "allerta.matcher.retention") Duration period,
              @ConfigProperty(name = "allerta.matcher.retention-sweep") Duration every) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.period = RetentionSweep.checked("allerta.matcher.retention", period,
                "an alert extended soon after its expiry would tell its people as if they had never heard of it");
        this.every = every;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-retention").every(every, RetentionSweep.task(clock, this::sweep));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
    }

    /** What one sweep deleted. */
    public record Swept(int events, long affectedRows) {
    }

    /** Deletes the affected sets of the alerts expired before {@code now} minus the period; returns what went. */
    public Swept sweep(Instant now) {
        Instant cutoff = now.minus(period);
        List<String> expired = expiredBefore(cutoff);
        long rows = 0;
        for (String eventId : expired) {
            rows += RetentionSweep.deleteInChunks(jdbc, """
                    DELETE FROM affected WHERE event_id = ? AND subscriber_id IN (
                        SELECT subscriber_id FROM affected WHERE event_id = ? LIMIT ? FOR UPDATE SKIP LOCKED)""", s -> {
                s.setString(1, eventId);
                s.setString(2, eventId);
                return 3;
            });
        }
        if (!expired.isEmpty()) {
            LOG.infof("retention (%s): the affected sets of %d alerts expired before %s forgotten (%d rows)", period,
                    expired.size(), cutoff, rows);
        }
        return new Swept(expired.size(), rows);
    }

    /** The alerts whose last revision processed expires before {@code cutoff} and that still have an affected set. */
    private List<String> expiredBefore(Instant cutoff) {
        return jdbc.inTransaction(c -> {
            var ids = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT e.event_id FROM event_state e
                    WHERE (convert_from(e.alert, 'UTF8')::jsonb ->> 'expiresAt')::timestamptz < ?
                      AND EXISTS (SELECT 1 FROM affected a WHERE a.event_id = e.event_id)
                    ORDER BY e.event_id""")) {
                s.setTimestamp(1, Timestamp.from(cutoff));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                }
            }
            return ids;
        });
    }
}
