package org.allerta.dispatcher.dispatch;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.allerta.dispatcher.events.StatsPending;
import org.allerta.service.Jdbc;
import org.allerta.service.RetentionSweep;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * How long the traces of a notice are kept ({@code allerta.dispatcher.retention}, 90 days by default). Who was inside
 * an event's area, and what each of them was told (the ledger), is personal data derived from where they live: it
 * is deleted once the event has been over for the retention period (its last revision RESOLVED or CANCELLED, or past
 * its expiry), with the notices still held for it and where its jobs lay on the topics. Each notice's job row (the
 * event and channel it went to, its tracked and unsubscribe links, its receipts) is deleted once it is older than the
 * retention period, whatever its event. The event's counts (matched, notified, sent, delivered, read, clicked) are
 * anonymous and stay. A link older than that leads to the "not found" page, and a receipt that late is dead-lettered
 * after its patience, as one for a job never emitted.
 *
 * <p>An alert that only expires is not over while its expiry is recent: its publisher may still extend or end it, and
 * the people told must hear that. Its ledger goes once it has been expired for the retention period, as that of an
 * event ended then (a revision published later still, an extension or an end, is told to nobody: who was told is no
 * longer known, and after so long nobody waits for it). An alert with no expiry that is never ended keeps its ledger
 * (troubleshooting.md shows how to find such alerts). The period outlives every record that could act on those rows again: a record of {@code
 * alerts.matches} (kept 7 days) or of a job topic (a day) can stay readable for up to a segment's age (7 days) longer,
 * and a consumer group idle for 7 days starts again from the earliest record, hence the minimum of 30 days. Deletions
 * go in chunks, each its own short transaction that skips rows another transaction holds, so that dispatch, receipts
 * and erasure never wait behind them.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);
    private final Jdbc jdbc;
    private final StatsPending statsPending;
    private final Duration period;

    Retention(Jdbc jdbc, StatsPending statsPending,
              @ConfigProperty(name = "allerta.dispatcher.retention") Duration period) {
        this.jdbc = jdbc;
        this.statsPending = statsPending;
        this.period = RetentionSweep.checked("allerta.dispatcher.retention", period,
                "a match the broker still holds could tell a citizen twice");
    }

    /** What one sweep deleted. */
    public record Swept(int events, long ledgerRows, long jobRows) {
    }

    /** Deletes what is older than the retention period at {@code now}; returns what went. */
    public Swept sweep(Instant now) {
        Instant cutoff = now.minus(period);
        List<String> ended = overBefore(cutoff);
        long ledger = 0;
        for (String eventId : ended) {
            ledger += forgetEvent(eventId);
        }
        // the BRIN index of V16 finds the old rows while the table is in the order rows were written; once freed
        // space is reused, the sweep reads the table, which the retention itself keeps bounded
        long jobs = RetentionSweep.deleteInChunks(jdbc, """
                DELETE FROM job WHERE job_id IN (
                    SELECT job_id FROM job WHERE created_at < ? LIMIT ? FOR UPDATE SKIP LOCKED)""", s -> {
            s.setTimestamp(1, Timestamp.from(cutoff));
            return 2;
        });
        if (!ended.isEmpty() || jobs > 0) {
            LOG.infof("retention (%s): %d events over before %s forgotten (%d ledger rows), %d job rows deleted",
                    period, ended.size(), cutoff, ledger, jobs);
        }
        return new Swept(ended.size(), ledger, jobs);
    }

    /**
     * The events over before {@code cutoff} that still have rows to forget: their last revision ended them (RESOLVED,
     * CANCELLED) and arrived before it, or expires before it.
     */
    private List<String> overBefore(Instant cutoff) {
        return jdbc.inTransaction(c -> {
            var ids = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT r.event_id
                    FROM (SELECT DISTINCT ON (event_id) event_id, status, received_at, expires_at FROM event_revision
                          ORDER BY event_id, revision DESC) r
                    WHERE (r.status IN ('RESOLVED', 'CANCELLED') AND r.received_at < ? OR r.expires_at < ?)
                      AND (EXISTS (SELECT 1 FROM ledger l WHERE l.event_id = r.event_id)
                           OR EXISTS (SELECT 1 FROM held h WHERE h.event_id = r.event_id)
                           OR EXISTS (SELECT 1 FROM job_position p WHERE p.event_id = r.event_id))
                    ORDER BY r.event_id""")) {
                s.setTimestamp(1, Timestamp.from(cutoff));
                s.setTimestamp(2, Timestamp.from(cutoff));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                }
            }
            return ids;
        });
    }

    /** Deletes an ended event's ledger rows (in chunks), held notices and job positions; returns the ledger rows. */
    private long forgetEvent(String eventId) {
        long ledger = RetentionSweep.deleteInChunks(jdbc, """
                DELETE FROM ledger WHERE event_id = ? AND subscriber_id IN (
                    SELECT subscriber_id FROM ledger WHERE event_id = ? LIMIT ? FOR UPDATE SKIP LOCKED)""", s -> {
            s.setString(1, eventId);
            s.setString(2, eventId);
            return 3;
        });
        int held = jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM job_position WHERE event_id = ?")) {
                s.setString(1, eventId);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM held WHERE event_id = ?")) {
                s.setString(1, eventId);
                return s.executeUpdate();
            }
        });
        if (held > 0) {
            // (none are left once an event has ended, unless a release was under way) no longer counted as held
            statsPending.touch(List.of(eventId));
        }
        return ledger;
    }
}
