package org.allerta.contracts;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Progress of the matching of one revision, on {@code alerts.progress} (key = event id): STARTED when the matcher
 * begins a revision, FINISHED once its last {@link MatchChange} was acknowledged by the broker.
 *
 * @param eventId  the event
 * @param revision the revision
 * @param phase    STARTED or FINISHED
 * @param counts   per change, how many subscribers (FINISHED only; empty for STARTED)
 * @param places   how many places lie inside the area (FINISHED only)
 * @param at       when
 */
public record MatchProgress(
        String eventId,
        long revision,
        ProgressPhase phase,
        Map<Change, Long> counts,
        long places,
        Instant at) {

    public MatchProgress {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(phase, "phase");
        counts = counts == null ? Map.of() : Map.copyOf(counts);
    }

    /** Number of subscribers with a change of this revision. */
    public long subscribers() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
