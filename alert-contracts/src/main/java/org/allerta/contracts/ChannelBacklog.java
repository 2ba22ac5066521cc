package org.allerta.contracts;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A channel's send plan, on {@code notifications.backlog} (key = channel, or channel/eventId for one event).
 *
 * @param channel               the channel
 * @param eventId               null for the whole channel, or the event this backlog belongs to
 * @param waiting               jobs received and not yet sent or failed
 * @param ratePerSecond         current sending rate, in jobs per second (a long SMS is one job of several messages)
 * @param estimatedDrainSeconds estimated seconds until the last waiting job is sent; null when unknown
 * @param at                    when measured
 * @param positions             for a whole channel, per partition of its job topic, the offset of the first job the
 *                              sender has not finished yet (its committed position); null when not known. With the
 *                              offsets where an event's last jobs lie, it tells how much of the queue is ahead of
 *                              that event's last notice
 * @param ends                  for a whole channel, per partition, the offset after the last job on the topic (with
 *                              {@code positions}, each partition's share of the queue); null when not known
 */
public record ChannelBacklog(
        Channel channel,
        String eventId,
        long waiting,
        double ratePerSecond,
        Double estimatedDrainSeconds,
        Instant at,
        Map<Integer, Long> positions,
        Map<Integer, Long> ends) {

    public ChannelBacklog {
        Objects.requireNonNull(channel, "channel");
        positions = positions == null ? null : Map.copyOf(positions);
        ends = ends == null ? null : Map.copyOf(ends);
    }

    /** A plan without the queue's positions. */
    public ChannelBacklog(Channel channel, String eventId, long waiting, double ratePerSecond,
                          Double estimatedDrainSeconds, Instant at) {
        this(channel, eventId, waiting, ratePerSecond, estimatedDrainSeconds, at, null, null);
    }
}
