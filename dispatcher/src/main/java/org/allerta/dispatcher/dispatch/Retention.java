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
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * How long the traces of a notice are kept ({@code allerta.dispatcher.retention}, 90 days by default). Who was inside
 * an event's area, and what each of them was told (the ledger), is personal data derived from where they live: it
 * is deleted once the event has been over for the retention period, with the notices still held for it and where its
 * jobs lay on the topics. Each notice's job row (its tracked link, its receipts) is deleted once it is older than the
 * retention period, whatever its event. An event's counts (matched, notified, delivered, read, clicked, per channel
 * and change) are anonymous and stay: its statistics read the same afterwards. A tracked link older than that leads
 * to the "not found" page, and a receipt that late is dead-lettered after its patience, as one for a job never
 * emitted.
 *
 * <p>The period outlives every record that could act on those rows again: {@code alerts.matches} keeps its records
 * for 7 days and the job topics for a day, so no match or job of a swept event can be read again. Deletions go in
 * chunks, each its own short transaction, so that dispatch never waits long behind them.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);
    /** Rows deleted per transaction. */
    static final int CHUNK = 10_000;
    /** The shortest period allowed: longer than the retention of every topic whose records act on these rows. */
    static final Duration MINIMUM = Duration.ofDays(8);

    private final Jdbc jdbc;
    private final StatsPending statsPending;
    private final Duration period;

    Retention(Jdbc jdbc, StatsPending statsPending,
              @ConfigProperty(name = "allerta.dispatcher.retention") Duration period) {
        if (period.compareTo(MINIMUM) < 0) {
            throw new IllegalArgumentException("allerta.dispatcher.retention (ALLERTA_RETENTION) is " + period
                    + ": it must be at least " + MINIMUM.toDays() + " days, longer than alerts.matches keeps the"
                    + " records that would act on what it deletes");
        }
        this.jdbc = jdbc;
        this.statsPending = statsPending;
        this.period = period;
    }

    /** What one sweep deleted. */
    public record Swept(int events, long ledgerRows, long jobRows) {
    }

    /** Deletes what is older than the retention period at {@code now}; returns what went. */
    public Swept sweep(Instant now) {
        Instant cutoff = now.minus(period);
        List<String> ended = endedBefore(cutoff);
        long ledger = 0;
        for (String eventId : ended) {
            ledger += forgetEvent(eventId);
        }
        long jobs = 0;
        int deleted;
        do {
            deleted = jdbc.inTransaction(c -> {
                // the BRIN index of V16 finds the old rows without a scan of the whole table
                try (PreparedStatement s = c.prepareStatement("""
                        DELETE FROM job WHERE job_id IN (SELECT job_id FROM job WHERE created_at < ? LIMIT ?)""")) {
                    s.setTimestamp(1, Timestamp.from(cutoff));
                    s.setInt(2, CHUNK);
                    return s.executeUpdate();
                }
            });
            jobs += deleted;
        } while (deleted == CHUNK);
        if (!ended.isEmpty() || jobs > 0) {
            LOG.infof("retention (%s): %d events over before %s forgotten (%d ledger rows), %d job rows deleted",
                    period, ended.size(), cutoff, ledger, jobs);
        }
        return new Swept(ended.size(), ledger, jobs);
    }

    /**
     * The events over before {@code cutoff} that still have ledger rows: their last revision ended them (RESOLVED,
     * CANCELLED) and arrived before it, or their alert expired before it.
     */
    private List<String> endedBefore(Instant cutoff) {
        return jdbc.inTransaction(c -> {
            var ids = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT r.event_id
                    FROM (SELECT DISTINCT ON (event_id) event_id, status, received_at, expires_at FROM event_revision
                          ORDER BY event_id, revision DESC) r
                    WHERE ((r.status IN ('RESOLVED', 'CANCELLED') AND r.received_at < ?)
                           OR (r.status = 'ACTIVE' AND r.expires_at < ?))
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
        long ledger = 0;
        int deleted;
        do {
            deleted = jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("""
                        DELETE FROM ledger WHERE event_id = ? AND subscriber_id IN (
                            SELECT subscriber_id FROM ledger WHERE event_id = ? LIMIT ?)""")) {
                    s.setString(1, eventId);
                    s.setString(2, eventId);
                    s.setInt(3, CHUNK);
                    return s.executeUpdate();
                }
            });
            ledger += deleted;
        } while (deleted == CHUNK);
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
            // an expired alert's notices held for quiet hours no longer count as held
            statsPending.touch(List.of(eventId));
        }
        return ledger;
    }
}
