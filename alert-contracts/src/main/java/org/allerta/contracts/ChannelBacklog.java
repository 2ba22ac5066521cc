package org.allerta.contracts;

import java.time.Instant;
import java.util.Objects;

/**
 * A channel's send plan, on {@code notifications.backlog} (key = channel, or channel/eventId for one event).
 *
 * @param channel               the channel
 * @param eventId               null for the whole channel, or the event this backlog belongs to
 * @param waiting               jobs received and not yet sent or failed
 * @param ratePerSecond         current sending rate (messages per second)
 * @param estimatedDrainSeconds estimated seconds until the last waiting job is sent; null when unknown
 * @param at                    when measured
 */
public record ChannelBacklog(
        Channel channel,
        String eventId,
        long waiting,
        double ratePerSecond,
        Double estimatedDrainSeconds,
        Instant at) {

    public ChannelBacklog {
        Objects.requireNonNull(channel, "channel");
    }
}
