package org.allerta.dispatcher.events;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@code notifications.receipts} onto the job rows: the first time of each status stays, and only first times count
 * in the statistics. A receipt can arrive before its job's row: the dispatcher commits a batch's rows once the broker
 * holds every job of it, and a sender reports within that moment; after a crash of the dispatcher, the rows come when
 * the redelivered matches are dispatched again, minutes later perhaps. Such a receipt waits in
 * {@code receipt_orphan}, without holding up the receipts behind it, and is applied by {@link #sweep} once its row
 * is there; one whose job never appears is dead-lettered after {@link #ORPHAN_PATIENCE_HOURS} hours.
 */
@ApplicationScoped
public class Receipts {

    static final int ORPHAN_PATIENCE_HOURS = 24;
    /** Receipts applied by one sweep at most. */
    public static final int SWEEP_LIMIT = 2000;

    private final Jdbc jdbc;
    private final RecordProducer producer;
    private final StatsPending statsPending;

    Receipts(Jdbc jdbc, RecordProducer producer, StatsPending statsPending) {
        this.jdbc = jdbc;
        this.producer = producer;
        this.statsPending = statsPending;
    }

    /** What a receipt says of its job. */
    private record Report(UUID jobId, ReceiptStatus status, String reason, Instant at) {
    }

    /** Applies a batch's receipts (each with the record it came in); those whose job has no row yet wait for it. */
    void consume(Map<Receipt, ConsumerRecord<String, byte[]>> batch) {
        var events = new HashSet<String>();
        var reports = new java.util.LinkedHashMap<Report, ConsumerRecord<String, byte[]>>();
        batch.forEach((r, record) -> reports.putIfAbsent(new Report(UUID.fromString(r.jobId()), r.status(),
                r.reason(), r.at() == null ? Instant.now() : r.at()), record));
        jdbc.inTransaction(c -> {
            Set<UUID> found = apply(c, List.copyOf(reports.keySet()), events);
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO receipt_orphan (job_id, status, reason, at, topic, part, "offset", record_key, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, status) DO NOTHING""")) {
                for (var entry : reports.entrySet()) {
                    Report r = entry.getKey();
                    if (found.contains(r.jobId())) {
                        continue;
                    }
                    ConsumerRecord<String, byte[]> record = entry.getValue();
                    s.setObject(1, r.jobId());
                    s.setString(2, r.status().name());
                    s.setString(3, r.reason());
                    s.setTimestamp(4, Timestamp.from(r.at()));
                    s.setString(5, record.topic());
                    s.setInt(6, record.partition());
                    s.setLong(7, record.offset());
                    s.setString(8, record.key());
                    s.setBytes(9, record.value());
                    s.addBatch();
                }
                s.executeBatch();
            }
            return null;
        });
        statsPending.touch(events);
    }

    /**
     * Applies the waiting receipts whose job rows have appeared, and dead-letters those waiting longer than a day;
     * returns how many receipts were applied.
     */
    public int sweep() {
        var events = new HashSet<String>();
        int applied = jdbc.inTransaction(c -> {
            var waiting = new ArrayList<Report>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT o.job_id, o.status, o.reason, o.at FROM receipt_orphan o
                    WHERE EXISTS (SELECT 1 FROM job j WHERE j.job_id = o.job_id)
                    ORDER BY o.job_id, o.status LIMIT ? FOR UPDATE OF o SKIP LOCKED""")) {
                s.setInt(1, SWEEP_LIMIT);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        waiting.add(new Report(rows.getObject(1, UUID.class), ReceiptStatus.valueOf(rows.getString(2)),
                                rows.getString(3), rows.getTimestamp(4).toInstant()));
                    }
                }
            }
            if (waiting.isEmpty()) {
                return 0;
            }
            Set<UUID> found = apply(c, waiting, events);
            // exactly the rows read and applied: another receipt of the same job, beyond this page or stored since,
            // waits for the next sweep
            List<Report> done = waiting.stream().filter(r -> found.contains(r.jobId())).toList();
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM receipt_orphan o USING unnest(?::uuid[], ?::text[]) AS a(job_id, status)
                    WHERE o.job_id = a.job_id AND o.status = a.status""")) {
                s.setArray(1, c.createArrayOf("uuid", done.stream().map(Report::jobId).toArray()));
                s.setArray(2, c.createArrayOf("text", done.stream().map(r -> r.status().name()).toArray()));
                s.executeUpdate();
            }
            return waiting.size();
        });
        statsPending.touch(events);
        expire();
        return applied;
    }

    /** The receipts whose job never appeared within the patience: dead-lettered with their record, then forgotten. */
    private void expire() {
        jdbc.inTransaction(c -> {
            var letters = new java.util.LinkedHashMap<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>>();
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM receipt_orphan WHERE ctid IN (
                        SELECT ctid FROM receipt_orphan o WHERE received_at < now() - make_interval(hours => ?)
                          AND NOT EXISTS (SELECT 1 FROM job j WHERE j.job_id = o.job_id)
                        LIMIT ? FOR UPDATE SKIP LOCKED)
                    RETURNING job_id, topic, part, "offset", record_key, record""")) {
                s.setInt(1, ORPHAN_PATIENCE_HOURS);
                s.setInt(2, SWEEP_LIMIT);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        letters.put(new ConsumerRecord<>(rows.getString(2), rows.getInt(3), rows.getLong(4),
                                rows.getString(5), rows.getBytes(6)), List.of(new DeadLetter.Problem(
                                Problem.TYPE_PREFIX + "unknown-job", "key", "no job " + rows.getObject(1, UUID.class)
                                        + " was emitted within " + ORPHAN_PATIENCE_HOURS + " hours of its receipt")));
                    }
                }
            }
            // written before the rows' deletion commits: a failure leaves them to the next sweep
            producer.deadLetters(letters);
            return null;
        });
    }

    /**
     * Applies receipts to the rows of their jobs that exist (locked first: what each had before decides what counts
     * as a first time); returns the jobs found, and adds their events to {@code events}.
     */
    private static Set<UUID> apply(Connection c, List<Report> reports, Set<String> events) throws SQLException {
        int n = reports.size();
        var ids = new UUID[n];
        var statuses = new String[n];
        var reasons = new String[n];
        var ats = new Timestamp[n];
        for (int i = 0; i < n; i++) {
            Report r = reports.get(i);
            ids[i] = r.jobId();
            statuses[i] = r.status().name();
            reasons[i] = r.reason();
            ats[i] = Timestamp.from(r.at());
        }
        var found = new HashSet<UUID>();
        Map<UUID, EventCounts.Flags> before = EventCounts.lockBefore(c, Arrays.asList(ids));
        var counts = new EventCounts();
        try (PreparedStatement s = c.prepareStatement("""
                WITH r AS (SELECT job_id, min(at) FILTER (WHERE status = 'SENT') AS sent,
                                  min(at) FILTER (WHERE status = 'DELIVERED') AS delivered,
                                  min(at) FILTER (WHERE status = 'FAILED') AS failed,
                                  min(reason) FILTER (WHERE status = 'FAILED') AS reason,
                                  min(at) FILTER (WHERE status = 'READ') AS read
                           FROM unnest(?::uuid[], ?::text[], ?::text[], ?::timestamptz[])
                                AS u(job_id, status, reason, at)
                           GROUP BY job_id)
                UPDATE job j SET sent_at = coalesce(j.sent_at, r.sent, r.delivered, r.read),
                    delivered_at = coalesce(j.delivered_at, r.delivered, r.read),
                    failed_at = coalesce(j.failed_at, r.failed),
                    failure_reason = coalesce(j.failure_reason, r.reason),
                    read_at = coalesce(j.read_at, r.read)
                FROM r WHERE j.job_id = r.job_id AND j.job_id = ANY(?::uuid[])
                RETURNING j.job_id, j.event_id, j.purpose, j.channel, j.change, """ + EventCounts.FLAGS)) {
            s.setArray(1, c.createArrayOf("uuid", ids));
            s.setArray(2, c.createArrayOf("text", statuses));
            s.setArray(3, c.createArrayOf("text", reasons));
            s.setArray(4, c.createArrayOf("timestamptz", ats));
            // only the rows locked above: one committed since waits, with its receipt, for the next sweep
            s.setArray(5, c.createArrayOf("uuid", before.keySet().toArray()));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    UUID jobId = rows.getObject(1, UUID.class);
                    found.add(jobId);
                    if (rows.getString(2) != null) {
                        events.add(rows.getString(2));
                    }
                    counts.change(rows.getString(3), rows.getString(2), rows.getString(4), rows.getString(5),
                            before.get(jobId), EventCounts.Flags.of(rows, 6));
                }
            }
        }
        counts.write(c);
        return found;
    }
}
