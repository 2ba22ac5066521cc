package org.allerta.dispatcher.dispatch;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.UUID;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.NotificationJob;

/**
 * What the dispatcher keeps of an emitted job: ids, and later what became of it. No recipient address, no text, no
 * token (a token is the job id encrypted, {@link Tokens}), and for a notice not even its subscriber: the channel id
 * serves the one-click unsubscribe, and erasure finds a person's notices by their deterministic ids.
 *
 * @param job       the job
 * @param channelId the subscriber's channel it went to
 * @param urgent    sent on the channel's urgent topic, ahead of the bulk of the notices (a prioritised person, an
 *                  emergency, a verification code)
 */
public record JobRow(NotificationJob job, UUID channelId, boolean urgent) {

    /**
     * Inserts rows in one statement; a job already recorded (a re-emission) is left as it is. The notices really added
     * are counted per event, channel and change in {@code event_count} by the same statement.
     */
    public static void insert(Connection c, List<JobRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        var jobIds = new UUID[n];
        var purposes = new String[n];
        var events = new String[n];
        var revisions = new Long[n];
        var changes = new String[n];
        var channels = new String[n];
        var subscribers = new UUID[n];
        var channelIds = new UUID[n];
        var created = new Timestamp[n];
        for (int i = 0; i < n; i++) {
            JobRow row = rows.get(i);
            NotificationJob job = row.job();
            jobIds[i] = UUID.fromString(job.jobId());
            purposes[i] = job.purpose().name();
            events[i] = job.eventId();
            revisions[i] = job.revision();
            changes[i] = job.change() == null ? null : job.change().name();
            channels[i] = job.channel().name();
            // a notice is found at erasure by its id (rule 6); only a verification code is kept beside its person
            subscribers[i] = job.purpose() == JobPurpose.NOTICE ? null : UUID.fromString(job.subscriberId());
            channelIds[i] = row.channelId();
            created[i] = Timestamp.from(job.createdAt());
        }
        try (PreparedStatement s = c.prepareStatement("""
                WITH added AS (
                    INSERT INTO job (job_id, purpose, event_id, revision, change, channel, subscriber_id, channel_id,
                                     created_at)
                    SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[],
                                         ?::uuid[], ?::uuid[], ?::timestamptz[])
                    ON CONFLICT (job_id) DO NOTHING
                    RETURNING purpose, event_id, channel, change)
                INSERT INTO event_count (event_id, channel, change, notified)
                SELECT event_id, channel, change, count(*) FROM added
                WHERE purpose = 'NOTICE' AND event_id IS NOT NULL AND change IS NOT NULL
                GROUP BY event_id, channel, change""")) {
            s.setArray(1, c.createArrayOf("uuid", jobIds));
            s.setArray(2, c.createArrayOf("text", purposes));
            s.setArray(3, c.createArrayOf("text", events));
            s.setArray(4, c.createArrayOf("bigint", revisions));
            s.setArray(5, c.createArrayOf("text", changes));
            s.setArray(6, c.createArrayOf("text", channels));
            s.setArray(7, c.createArrayOf("uuid", subscribers));
            s.setArray(8, c.createArrayOf("uuid", channelIds));
            s.setArray(9, c.createArrayOf("timestamptz", created));
            s.executeUpdate();
        }
    }
}
