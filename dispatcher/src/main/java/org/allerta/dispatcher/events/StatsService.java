package org.allerta.dispatcher.events;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventStats;
import org.allerta.service.Jdbc;

/**
 * Per-event statistics, counted from the dispatcher's own records: subscribers matched, notices emitted per channel
 * and change, notices held for quiet hours, what the senders reported (sent, delivered, failed, read), distinct
 * links clicked (these from {@code event_count}, added to by whoever changes job rows), the senders' backlog, and the
 * last revision whose matching finished and whose changes were all dispatched.
 */
@ApplicationScoped
public class StatsService {

    private final Jdbc jdbc;
    private final Clock clock;

    StatsService(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The event's statistics; empty when the dispatcher has never seen the event. */
    public Optional<EventStats> stats(String eventId) {
        return jdbc.inTransaction(c -> compute(c, eventId));
    }

    Optional<EventStats> compute(Connection c, String eventId) throws SQLException {
        long lastRevision;
        try (PreparedStatement s = c.prepareStatement(
                "SELECT max(revision) FROM event_revision WHERE event_id = ?")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                if (rows.getObject(1) == null) {
                    return Optional.empty();
                }
            }
        }
        lastRevision = lastComplete(c, eventId);
        long matched;
        long testWithheld;
        try (PreparedStatement s = c.prepareStatement("""
                SELECT coalesce(max(matched), 0), coalesce(max(test_withheld), 0) FROM event_tally
                WHERE event_id = ?""")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                matched = rows.getLong(1);
                testWithheld = rows.getLong(2);
            }
        }
        // held for quiet hours, and apart those waiting for their person's first verified channel (V10's literal)
        long held;
        long awaiting;
        try (PreparedStatement s = c.prepareStatement("""
                SELECT count(*) FILTER (WHERE release_at <> '9999-12-31 00:00:00+00'),
                       count(*) FILTER (WHERE release_at = '9999-12-31 00:00:00+00')
                FROM held WHERE event_id = ?""")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                held = rows.getLong(1);
                awaiting = rows.getLong(2);
            }
        }
        Map<Channel, Long> notified = new EnumMap<>(Channel.class);
        Map<Channel, Long> finished = new EnumMap<>(Channel.class);
        Map<Change, Long> perChange = new EnumMap<>(Change.class);
        long sent = 0;
        long delivered = 0;
        long failed = 0;
        long superseded = 0;
        long read = 0;
        long clicked = 0;
        try (PreparedStatement s = c.prepareStatement("""
                SELECT channel, change, sum(notified), sum(sent), sum(delivered), sum(failed), sum(read),
                       sum(clicked), sum(finished), sum(superseded)
                FROM event_count WHERE event_id = ? GROUP BY channel, change""")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    notified.merge(Channel.valueOf(rows.getString(1)), rows.getLong(3), Long::sum);
                    finished.merge(Channel.valueOf(rows.getString(1)), rows.getLong(9), Long::sum);
                    perChange.merge(Change.valueOf(rows.getString(2)), rows.getLong(3), Long::sum);
                    sent += rows.getLong(4);
                    delivered += rows.getLong(5);
                    failed += rows.getLong(6);
                    read += rows.getLong(7);
                    clicked += rows.getLong(8);
                    superseded += rows.getLong(10);
                }
            }
        }
        Map<Channel, Long> backlog = new EnumMap<>(Channel.class);
        Map<Channel, Double> drain = new EnumMap<>(Channel.class);
        // waiting = emitted and not yet sent or failed. The sender's plan says how long its whole queue on a channel
        // takes, how many jobs it holds and where it stands in each partition; where this event's last jobs lie on
        // the topic says how much of that queue is ahead of them.
        Map<Channel, Plan> plans = new EnumMap<>(Channel.class);
        // a plan not renewed for a while (the sender stopped, or cut off from the broker) tells nothing any more:
        // the estimate is then unknown rather than the last one
        try (PreparedStatement s = c.prepareStatement("SELECT channel, drain_seconds, waiting, positions, ends"
                + " FROM channel_backlog WHERE event_id = '' AND at > now() - interval '" + STALE_PLAN_SECONDS
                + " seconds'")) {
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    Object seconds = rows.getObject(2);
                    if (seconds != null) {
                        plans.put(Channel.valueOf(rows.getString(1)), new Plan(((Number) seconds).doubleValue(),
                                rows.getLong(3), offsets(rows.getString(4)), offsets(rows.getString(5))));
                    }
                }
            }
        }
        // where the event's last job lies in each partition of each channel's topic
        Map<Channel, Map<Integer, Long>> last = new EnumMap<>(Channel.class);
        try (PreparedStatement s = c.prepareStatement(
                "SELECT channel, partition, last_offset FROM job_position WHERE event_id = ?")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    last.computeIfAbsent(Channel.valueOf(rows.getString(1)), k -> new java.util.TreeMap<>())
                            .put(rows.getInt(2), rows.getLong(3));
                }
            }
        }
        for (var entry : notified.entrySet()) {
            Channel channel = entry.getKey();
            long waiting = entry.getValue() - finished.getOrDefault(channel, 0L);
            backlog.put(channel, waiting);
            if (waiting == 0) {
                drain.put(channel, 0.0);
            } else if (plans.containsKey(channel)) {
                Plan plan = plans.get(channel);
                drain.put(channel, eventDrain(plan.drainSeconds(), plan.waiting(), plan.positions(), plan.ends(),
                        last.get(channel), waiting));
            }
        }
        return Optional.of(new EventStats(eventId, lastRevision, matched, notified, perChange, held, awaiting,
                testWithheld, sent, delivered, failed, superseded, read, clicked, backlog, drain, clock.instant()));
    }

    /** A sender's whole-channel plan: its time to drain, its waiting jobs, and per partition where it stands. */
    private record Plan(double drainSeconds, long waiting, Map<Integer, Long> positions, Map<Integer, Long> ends) {
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<Integer, Long>> OFFSETS =
            new com.fasterxml.jackson.core.type.TypeReference<>() {
            };

    private static Map<Integer, Long> offsets(String json) {
        if (json == null) {
            return null;
        }
        try {
            return org.allerta.contracts.Json.mapper().readValue(json, OFFSETS);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * Seconds until an event's last waiting job on a channel is sent. The sender reads the partitions of a channel's
     * topic side by side, each from its position ({@code positions}) to its end ({@code ends}); the event's last job
     * in partition p has {@code ahead(p) = last(p) + 1 - position(p)} jobs to go there, and meanwhile every other
     * partition q gives up to as many, {@code min(lag(q), ahead(p))}. The jobs sent before the event's last one are
     * the most of those sums over its partitions (at least the event's own waiting jobs), and the estimate is their
     * share of the whole queue's time. An event with no job position on the channel sent all its jobs there on the
     * urgent topic, which goes first: its estimate is the urgent jobs' share (the sender's waiting jobs beyond the bulk
     * topic's lag), which an event on the bulk topic waits for too. Without the sender's positions (a sender that does
     * not report them) it is the whole queue's time, an upper bound.
     */
    static double eventDrain(double channelDrain, long channelWaiting, Map<Integer, Long> positions,
                             Map<Integer, Long> ends, Map<Integer, Long> last, long eventWaiting) {
        if (positions == null || ends == null || channelWaiting <= 0) {
            return channelDrain;
        }
        // each partition's jobs still to go; the sender's waiting jobs beyond the bulk topic's are on the urgent
        // topic (ADR 5): they go first
        var lags = new java.util.HashMap<Integer, Long>();
        ends.forEach((p, end) -> lags.put(p, Math.max(0, end - positions.getOrDefault(p, 0L))));
        long bulkLag = lags.values().stream().mapToLong(Long::longValue).sum();
        long urgentAhead = Math.max(0, channelWaiting - bulkLag);
        if (last == null || last.isEmpty()) {
            // none of the event's jobs went on the bulk topic: they are urgent, sent before the bulk, among the
            // urgent jobs waiting
            return channelDrain * Math.min(1.0, (double) Math.max(eventWaiting, urgentAhead) / channelWaiting);
        }
        long before = 0;
        for (var entry : last.entrySet()) {
            long ahead = Math.max(0, entry.getValue() + 1 - positions.getOrDefault(entry.getKey(), 0L));
            if (ahead == 0) {
                continue;
            }
            long sum = ahead;
            for (var lag : lags.entrySet()) {
                if (!lag.getKey().equals(entry.getKey())) {
                    sum += Math.min(lag.getValue(), ahead);
                }
            }
            before = Math.max(before, sum);
        }
        if (before > 0) {
            before += urgentAhead;
        }
        double share = Math.min(1.0, (double) Math.max(before, eventWaiting) / channelWaiting);
        return channelDrain * share;
    }

    /** After this long without news from the sender (which reports every 5 s), its plan is no longer shown. */
    static final int STALE_PLAN_SECONDS = 30;

    /**
     * Folds an event's count rows into one per channel and change once they are many (each batch of notices or
     * receipts and each click adds one). Rows added meanwhile by others are not touched: they are not seen by the
     * statement, and stay.
     */
    public void fold(String eventId) {
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    WITH gone AS (DELETE FROM event_count WHERE event_id = ?
                                      AND (SELECT count(*) FROM event_count WHERE event_id = ?) > ?
                                  RETURNING *)
                    INSERT INTO event_count (event_id, channel, change, notified, sent, delivered, failed, read,
                                             clicked, finished, superseded)
                    SELECT event_id, channel, change, sum(notified), sum(sent), sum(delivered), sum(failed),
                           sum(read), sum(clicked), sum(finished), sum(superseded)
                    FROM gone GROUP BY event_id, channel, change""")) {
                s.setString(1, eventId);
                s.setString(2, eventId);
                s.setInt(3, FOLD_ABOVE);
                return s.executeUpdate();
            }
        });
    }

    /** How many count rows an event may have before they are folded. */
    static final int FOLD_ABOVE = 64;

    /**
     * The last revision whose matching finished (alerts.progress) and whose changes have all been dispatched, as have
     * those of every revision before it: the dispatcher's consumer is past every match the matcher announced for
     * them. A revision that changes nothing (its expiry extended) does not pass one still being dispatched.
     */
    public static long lastComplete(Connection c, String eventId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                WITH r AS (SELECT p.revision, p.subscribers <= coalesce(d.changes, 0) AS complete
                           FROM revision_progress p
                           LEFT JOIN revision_dispatched d ON d.event_id = p.event_id AND d.revision = p.revision
                           WHERE p.event_id = ?)
                SELECT revision FROM r
                WHERE complete AND NOT EXISTS (SELECT 1 FROM r o WHERE NOT o.complete AND o.revision < r.revision)
                ORDER BY revision DESC LIMIT 1""")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        }
    }
}
