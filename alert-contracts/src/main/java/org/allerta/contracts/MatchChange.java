package org.allerta.contracts;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What revision {@code revision} of event {@code eventId} changed for one subscriber, on {@code alerts.matches}
 * (key = subscriber id, so that one person's changes stay in order). One record per subscriber and revision.
 *
 * @param eventId      the event
 * @param revision     the revision that caused the change
 * @param subscriberId the subscriber
 * @param change       AFFECTED, UPDATED, NO_LONGER_AFFECTED or RESOLVED
 * @param placeIds     the subscriber's places concerned (inside the area, or those that left it)
 * @param priority     the subscriber is prioritised
 * @param at           when the matcher decided it
 */
public record MatchChange(
        String eventId,
        long revision,
        String subscriberId,
        Change change,
        List<String> placeIds,
        boolean priority,
        Instant at) {

    public MatchChange {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(change, "change");
        placeIds = placeIds == null ? List.of() : List.copyOf(placeIds);
    }
}
