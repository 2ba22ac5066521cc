package org.allerta.contracts;

import java.time.Instant;
import java.util.Objects;

/**
 * A subscriber erased from the registry (GDPR erasure), or one of their channels removed (its address replaced, the
 * channel dropped or unsubscribed), on {@code subscribers.erased} (key = subscriber id): the notification-sender no
 * longer sends the jobs still queued on the job topics for them, or for that channel. The id is opaque and, once the
 * registry has forgotten it, ties to nobody; the record never names an address.
 *
 * @param subscriberId the erased subscriber's id
 * @param erasedAt     when the erasure, or the channel's removal, was committed
 * @param channel      absent for an erasure (every job of the person); the channel type removed otherwise (the jobs of
 *                     that type made before {@code erasedAt}: a channel of the same type registered since, another
 *                     number, keeps its own)
 */
public record SubscriberErased(String subscriberId, Instant erasedAt, Channel channel) {

    public SubscriberErased {
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(erasedAt, "erasedAt");
    }

    /** The erasure of a whole person. */
    public SubscriberErased(String subscriberId, Instant erasedAt) {
        this(subscriberId, erasedAt, null);
    }
}
