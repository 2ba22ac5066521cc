package org.allerta.dispatcher.dispatch;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.allerta.contracts.Channel;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Where a batch's jobs landed: per event, channel and partition of the channel's job topic, the highest offset the
 * broker acknowledged. Stored in {@code job_position} in the batch's transaction once every job is acknowledged, so
 * that an event's send plan can say how much of each channel's queue lies ahead of its last notice (see
 * {@code StatsService}). Rows of one event are upserted in key order by every batch: concurrent batches of an event
 * wait for each other there, at the end of their transactions, and never deadlock.
 */
final class JobPositions {

    private record Key(String eventId, String channel, int partition) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int byEvent = eventId.compareTo(o.eventId);
            if (byEvent != 0) {
                return byEvent;
            }
            int byChannel = channel.compareTo(o.channel);
            return byChannel != 0 ? byChannel : Integer.compare(partition, o.partition);
        }
    }

    /** Sorted, so that two batches of the same event upsert their rows in the same order and never deadlock. */
    private final Map<Key, Long> last = new ConcurrentSkipListMap<>();

    /** Called from the producer's acknowledgement. */
    void acknowledged(String eventId, Channel channel, RecordMetadata metadata) {
        if (eventId != null && metadata != null && metadata.hasOffset()) {
            last.merge(new Key(eventId, channel.name(), metadata.partition()), metadata.offset(), Math::max);
        }
    }

    boolean isEmpty() {
        return last.isEmpty();
    }

    /** Moves each row forward (never back: batches of one event may commit out of order). */
    void write(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO job_position (event_id, channel, partition, last_offset)
                SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::bigint[])
                ON CONFLICT (event_id, channel, partition) DO UPDATE SET last_offset = excluded.last_offset
                    WHERE job_position.last_offset < excluded.last_offset""")) {
            int n = last.size();
            String[] events = new String[n];
            String[] channels = new String[n];
            Integer[] partitions = new Integer[n];
            Long[] offsets = new Long[n];
            int i = 0;
            for (var entry : last.entrySet()) {
                events[i] = entry.getKey().eventId();
                channels[i] = entry.getKey().channel();
                partitions[i] = entry.getKey().partition();
                offsets[i] = entry.getValue();
                i++;
            }
            s.setArray(1, c.createArrayOf("text", events));
            s.setArray(2, c.createArrayOf("text", channels));
            s.setArray(3, c.createArrayOf("int4", partitions));
            s.setArray(4, c.createArrayOf("int8", offsets));
            s.executeUpdate();
        }
    }
}
