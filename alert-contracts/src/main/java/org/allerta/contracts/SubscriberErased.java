package org.allerta.contracts;

import java.time.Instant;
import java.util.Objects;

/**
 * A subscriber erased from the registry (GDPR erasure), on {@code subscribers.erased} (key = subscriber id): the
 * notification-sender no longer sends the jobs of theirs still queued on the job topics. The id is opaque and, once
 * the registry has forgotten it, ties to nobody.
 *
 * @param subscriberId the erased subscriber's id
 * @param erasedAt     when the erasure was committed
 */
public record SubscriberErased(String subscriberId, Instant erasedAt) {

    public SubscriberErased {
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(erasedAt, "erasedAt");
    }
}
