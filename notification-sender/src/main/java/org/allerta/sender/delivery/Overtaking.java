package org.allerta.sender.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.NotificationJob;
import org.allerta.service.Jdbc;

/**
 * Which urgent notices have overtaken the bulk (ADR 5). When an event escalates to an emergency while a person's
 * notice of an earlier revision still waits in the bulk queue, the urgent notice of the later revision goes first;
 * the older one is then not sent after it. Each urgent notice of a revision after the first, once sent, is recorded
 * in {@code urgent_notice} (in the transaction of its handled row) under a keyed digest of its event and person, so
 * that the table names nobody to whoever knows a subscriber id; this instance also remembers the latest ones. A
 * notice of the bulk is looked up when its batch is read, and again just before its send: in this instance's
 * memory, and in the table when it has waited long enough for another instance to have sent the urgent one. Whether
 * the table holds anything at all is asked at most once a second, so that the bulk costs no query while no event has
 * escalated (another instance's first row may then go unseen for up to a second).
 */
final class Overtaking {

    /** How many of this instance's latest urgent notices are remembered in memory. */
    private static final int REMEMBERED = 50_000;

    private final Jdbc jdbc;
    private final SenderKey key;
    private final Map<String, Long> recent = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };

    Overtaking(Jdbc jdbc, SenderKey key) {
        this.jdbc = jdbc;
        this.key = key;
    }

    /** A notice that an urgent one of a later revision can overtake, or that can overtake one of the bulk. */
    static boolean concerns(NotificationJob j) {
        return j.purpose() == JobPurpose.NOTICE && j.eventId() != null && j.subscriberId() != null
                && j.revision() != null;
    }

    /** An urgent notice that can overtake one of the bulk: a notice about a revision after the first. */
    static boolean overtakes(NotificationJob j) {
        return concerns(j) && j.revision() > 1;
    }

    /** Records these urgent notices, sent (or maybe sent), in the caller's transaction; one row per key. */
    void record(Connection c, List<NotificationJob> jobs) throws SQLException {
        var newest = new TreeMap<String, NotificationJob>();
        for (NotificationJob j : jobs) {
            if (overtakes(j)) {
                newest.merge(slot(j), j, (a, b) -> a.revision() >= b.revision() ? a : b);
            }
        }
        if (newest.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO urgent_notice (person_event, channel, revision)
                SELECT decode(d, 'hex'), ch, r FROM unnest(?::text[], ?::text[], ?::bigint[]) AS u(d, ch, r)
                ON CONFLICT (person_event, channel) DO UPDATE SET revision = excluded.revision, sent_at = now()
                    WHERE urgent_notice.revision < excluded.revision""")) {
            s.setArray(1, c.createArrayOf("text", newest.values().stream().map(this::digest).toArray()));
            s.setArray(2, c.createArrayOf("text", newest.values().stream().map(j -> j.channel().name()).toArray()));
            s.setArray(3, c.createArrayOf("bigint", newest.values().stream().map(NotificationJob::revision).toArray()));
            s.executeUpdate();
        }
    }

    /** Remembers these urgent notices once their record is committed. */
    void remember(List<NotificationJob> jobs) {
        if (jobs.isEmpty()) {
            return;
        }
        anyRecorded = true;
        synchronized (recent) {
            for (NotificationJob j : jobs) {
                if (overtakes(j)) {
                    recent.merge(slot(j), j.revision(), Math::max);
                }
            }
        }
    }

    /** Whether this instance sent an urgent notice of a later revision to the job's person on its channel. */
    boolean overtakenHere(NotificationJob job) {
        if (!concerns(job)) {
            return false;
        }
        Long newest;
        synchronized (recent) {
            newest = recent.get(slot(job));
        }
        return newest != null && newest > job.revision();
    }

    /**
     * Of these notices of the bulk, those an urgent notice of a later revision has overtaken (any instance). While the
     * table is empty, as it is but for two days after an escalation, nothing is looked up per job.
     */
    Set<String> overtaken(List<NotificationJob> jobs) {
        List<NotificationJob> notices = jobs.stream().filter(Overtaking::concerns).toList();
        if (notices.isEmpty() || !anyRecorded()) {
            return Set.of();
        }
        return jdbc.inTransaction(c -> {
            var found = new HashSet<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT u.job_id FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[])
                        AS u(d, channel, revision, job_id)
                    JOIN urgent_notice n ON n.person_event = decode(u.d, 'hex') AND n.channel = u.channel
                    WHERE n.revision > u.revision""")) {
                s.setArray(1, c.createArrayOf("text", notices.stream().map(this::digest).toArray()));
                s.setArray(2, c.createArrayOf("text", notices.stream().map(j -> j.channel().name()).toArray()));
                s.setArray(3, c.createArrayOf("bigint", notices.stream().map(NotificationJob::revision).toArray()));
                s.setArray(4, c.createArrayOf("text", notices.stream().map(NotificationJob::jobId).toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.add(rows.getString(1));
                    }
                }
            }
            return found;
        });
    }

    /** How long the answer to "is the table empty?" is used before it is asked again (another instance may write). */
    private static final long EMPTY_CHECK_NANOS = 1_000_000_000L;
    private volatile boolean anyRecorded = true;
    private volatile long emptyCheckedAt = System.nanoTime() - EMPTY_CHECK_NANOS;

    /** Whether {@code urgent_notice} may hold rows: asked of the database at most once a second. */
    private boolean anyRecorded() {
        long now = System.nanoTime();
        if (now - emptyCheckedAt > EMPTY_CHECK_NANOS) {
            anyRecorded = jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM urgent_notice)");
                     ResultSet rows = s.executeQuery()) {
                    rows.next();
                    return rows.getBoolean(1);
                }
            });
            emptyCheckedAt = now;
        }
        return anyRecorded;
    }

    private String slot(NotificationJob j) {
        return digest(j) + "/" + j.channel().name();
    }

    /** HMAC-SHA256 of the event and the person under the sender's own key, in hex. */
    private String digest(NotificationJob j) {
        return key.digest(j.eventId() + "\u0000" + j.subscriberId());
    }
}
