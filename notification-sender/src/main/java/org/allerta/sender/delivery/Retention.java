package org.allerta.sender.delivery;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.allerta.service.Jdbc;
import org.allerta.service.RetentionSweep;
import org.allerta.service.Ticker;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * How long the sender remembers the jobs it handled ({@code allerta.sender.retention}, 90 days by default). A handled
 * row is what keeps a job from being sent twice, so it must outlive every copy of its job that could still be read:
 * the job topics keep their records for a day, a record can stay readable for up to a segment's age (7 days) longer,
 * and a consumer group idle for 7 days starts again from the earliest record, hence the minimum of 30 days. Older rows
 * are deleted in chunks, each its own short transaction. A provider's report about a job that old is kept a day for
 * its job, then forgotten, as one for a job never recorded.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);
    /** How long the urgent notices that may overtake the bulk are remembered ({@code urgent_notice}, V5). */
    static final Duration URGENT_NOTICES = Duration.ofDays(2);
    /** How long erased subscribers are remembered ({@code erased_subscriber}, V6), as their topic keeps them. */
    static final Duration ERASURES = Duration.ofDays(2);

    private final Jdbc jdbc;
    private final Clock clock;
    private final Duration period;
    private final Duration every;
    private Ticker ticker;

    Retention(Jdbc jdbc, Clock clock, @ConfigProperty(name = "allerta.sender.retention") Duration period,
              @ConfigProperty(name = "allerta.sender.retention-sweep") Duration every) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.period = RetentionSweep.checked("allerta.sender.retention", period,
                "a job the broker still holds could be sent twice");
        this.every = every;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-sender-retention").every(every, RetentionSweep.task(clock, this::sweep));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
    }

    /** Deletes the handled rows older than the retention period at {@code now}; returns how many went. */
    long sweep(Instant now) {
        Instant cutoff = now.minus(period);
        // the B-tree of V4 finds the old rows in their order, whatever the table's
        long total = RetentionSweep.deleteInChunks(jdbc, """
                DELETE FROM handled_job WHERE job_id IN (
                    SELECT job_id FROM handled_job WHERE handled_at < ? ORDER BY handled_at LIMIT ?
                    FOR UPDATE SKIP LOCKED)""", s -> {
            s.setTimestamp(1, Timestamp.from(cutoff));
            return 2;
        });
        if (total > 0) {
            LOG.infof("retention (%s): %d handled jobs older than %s forgotten", period, total, cutoff);
        }
        // which urgent notices overtook the bulk matters only while a job of the bulk can still be sent (a job lives
        // 12 hours by default)
        Instant overtaken = now.minus(URGENT_NOTICES);
        RetentionSweep.deleteInChunks(jdbc, """
                DELETE FROM urgent_notice WHERE (person_event, channel) IN (
                    SELECT person_event, channel FROM urgent_notice WHERE sent_at < ?
                    ORDER BY sent_at LIMIT ? FOR UPDATE SKIP LOCKED)""", s -> {
            s.setTimestamp(1, Timestamp.from(overtaken));
            return 2;
        });
        // so does who was erased: a job lives a day on its topic at most
        Instant erased = now.minus(ERASURES);
        RetentionSweep.deleteInChunks(jdbc, """
                DELETE FROM erased_subscriber WHERE (subscriber, channel) IN (
                    SELECT subscriber, channel FROM erased_subscriber WHERE erased_at < ?
                    ORDER BY erased_at LIMIT ? FOR UPDATE SKIP LOCKED)""", s -> {
            s.setTimestamp(1, Timestamp.from(erased));
            return 2;
        });
        return total;
    }
}
