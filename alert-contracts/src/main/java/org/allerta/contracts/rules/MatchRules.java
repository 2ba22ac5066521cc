package org.allerta.contracts.rules;

import java.util.Optional;
import org.allerta.contracts.Change;
import org.allerta.contracts.EventStatus;

/**
 * Rules 1–5 as the geo-matcher applies them to one subscriber for one revision: given whether the subscriber was
 * affected by the previous revision and whether, now, one of their places lies inside the area (a point on the
 * boundary is inside) and they follow the event's kind ({@link Interests}), which change to emit, if any.
 */
public final class MatchRules {

    private MatchRules() {
    }

    /**
     * @param wasAffected  the subscriber was affected after the previous revision processed
     * @param isAffected   inside the area of this revision and following the kind
     * @param status       status of this revision
     * @param material     this revision is material compared with the previous one ({@link Materiality})
     */
    public static Optional<Change> change(boolean wasAffected, boolean isAffected, EventStatus status,
                                          boolean material) {
        if (status.ended()) {
            return wasAffected ? Optional.of(Change.RESOLVED) : Optional.empty();
        }
        if (isAffected && !wasAffected) {
            return Optional.of(Change.AFFECTED);
        }
        if (isAffected) {
            return material ? Optional.of(Change.UPDATED) : Optional.empty();
        }
        return wasAffected ? Optional.of(Change.NO_LONGER_AFFECTED) : Optional.empty();
    }
}
